"""Contract pre-entry by a CFA (seeds 002 and 004): drafts tab by tab, duplicate, delete a draft, send to the employer.

A proposal's CERFA lives in its ``data`` (keys of rules/cerfa_fields.py). The CFA edits it until the employer
decides (states brouillon and envoyé). Every state change goes through workflows/transitions.apply with a
ProposalStep written in the same transaction; every save is audited with the keys it changed (NIR masked).
"""
import datetime as dt
from types import SimpleNamespace

from peewee import JOIN, fn

from access.permissions import can
from models import ContractProposal, Dossier, Employer, Notification, Organisation, ProposalStep, User, db
from models.states import ProposalState
from infrastructure.mail import render_email
from infrastructure.numbering import immediate_transaction
from rules import cerfa_fields as fields
from rules.cerfa import check_draft_minimum, check_proposal
from rules.identifiers import mask_nir, normalize_email
from workflows import tokens
from workflows.audit import record
from workflows.notify import send_email
from workflows.state_machines import PROPOSAL
from workflows.transitions import TransitionRefused, apply

EDITABLE = (ProposalState.DRAFT.value, ProposalState.SENT.value)  # until the employer decides
EMPLOYER_INVITATION_LIFETIME = dt.timedelta(hours=24)  # as for CFA accounts; the CFA sends again to renew it
ENTITY = "contract_proposal"


class ProposalRefused(Exception):
    """Refused with field errors ``{field_key: [messages]}`` (a tab key for what concerns a whole tab)."""

    def __init__(self, errors):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def may_manage(scope, proposal=None):
    return can(scope, "proposal.manage", proposal)


def is_editable(proposal):
    return proposal.state in EDITABLE


def cfa_prefill(organisation):
    """The CFA fields of the Formation tab, taken from the organisation's profile (Fiche OF)."""
    values = {
        "organismeFormation.denomination": organisation.name, "organismeFormation.siret": organisation.siret,
        "organismeFormation.uaiCfa": organisation.uai or "",
        "organismeFormation.adresse.voie": organisation.street or "",
        "organismeFormation.adresse.codePostal": organisation.postal_code or "",
        "organismeFormation.adresse.commune": organisation.city or "",
    }
    return {k: v for k, v in values.items() if v}


def _columns(data):
    """The indexed columns the lists search and sort on, from the CERFA data."""
    return {"employer_siret": (data.get("employeur.siret") or "")[:14],
            "employer_name": (data.get("employeur.denomination") or "")[:200],
            "apprentice_last_name": (data.get("apprenti.nom") or "")[:100],
            "apprentice_first_name": (data.get("apprenti.prenom") or "")[:100]}


def _masked(data):
    return {k: (mask_nir(v) if k.endswith(".nir") and v else v) for k, v in data.items()}


def _merge(data, values):
    merged = dict(data or {})
    for key, value in values.items():
        if key not in fields.FIELDS_BY_KEY:
            continue
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def create(scope, values, now=None):
    """A new draft of the scope's organisation: the CFA fields pre-filled, then `values`; needs a draft minimum."""
    if scope.organisation_id is None or not may_manage(scope):
        raise TransitionRefused("vous n'avez pas le droit de saisir des contrats")
    organisation = Organisation.get_by_id(scope.organisation_id)
    data = _merge(cfa_prefill(organisation), values)
    errors = check_draft_minimum(data)
    if errors:
        raise ProposalRefused(errors)
    return _create(scope, data, "Création du brouillon", now)


def _create(scope, data, note, now=None):
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with db.atomic():
        api_key = getattr(scope, "api_key", None)  # deposited by a CFA's software: the dossier says so later
        proposal = ContractProposal.create(organisation=scope.organisation_id, data=data, created_by=scope.user,
                                           state=ProposalState.DRAFT.value, created_at=now, updated_at=now,
                                           api_key_id=api_key.id if api_key is not None else None,
                                           **_columns(data))
        ProposalStep.create(proposal=proposal, state=ProposalState.DRAFT.value, note=note, by=scope.user, at=now)
        record(ENTITY, proposal.id, "create", None, {"state": proposal.state, **_masked(data)}, user=scope,
               note=note)
    return proposal


def save(scope, proposal, values, now=None):
    """Merge one tab's `values` into the proposal; the merged CERFA must keep a draft minimum. Return True if changed."""
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit de modifier cette proposition")
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with db.atomic():
        current = ContractProposal.get_by_id(proposal.id)
        if not is_editable(current):
            raise TransitionRefused("l'entreprise s'est prononcée : la proposition n'est plus modifiable par le CFA")
        data = _merge(current.data, values)
        errors = check_draft_minimum(data)
        if errors:
            raise ProposalRefused(errors)
        before = current.data or {}
        changed = sorted(k for k in set(before) | set(data) if before.get(k) != data.get(k))
        if not changed:
            return False
        updated = (ContractProposal.update(data=data, updated_at=now, **_columns(data))
                   .where((ContractProposal.id == current.id) & ContractProposal.state.in_(EDITABLE)).execute())
        if updated != 1:
            raise TransitionRefused("la proposition a changé d'état entre-temps ; rechargez la page")
        record(ENTITY, current.id, "update", _masked({k: before.get(k) for k in changed}),
               _masked({k: data.get(k) for k in changed}), user=scope)
    return True


def duplicate(scope, proposal, now=None):
    """A new draft with everything but the apprentice's identity (seed 002 *dupliquer*)."""
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit de dupliquer cette proposition")
    data = {k: v for k, v in (proposal.data or {}).items() if k not in fields.APPRENTICE_IDENTITY}
    return _create(scope, data, f"Copie de la proposition n° {proposal.id}", now)


def delete_draft(scope, proposal):
    """Delete a draft (the only proposal ever deleted: nothing was sent, no money involved)."""
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit de supprimer cette proposition")
    with db.atomic():
        current = ContractProposal.get_or_none(ContractProposal.id == proposal.id)
        if current is None or current.state != ProposalState.DRAFT.value:
            raise TransitionRefused("seul un brouillon peut être supprimé")
        from workflows.proposal_documents import delete_row, documents_of

        for document in documents_of(current):  # a draft's pieces go with it, each removal audited
            delete_row(document, scope, note=f"Brouillon n° {current.id} supprimé : {document.original_name}")
        ProposalStep.delete().where(ProposalStep.proposal == current.id).execute()
        deleted = (ContractProposal.delete().where((ContractProposal.id == current.id)
                                                    & (ContractProposal.state == ProposalState.DRAFT.value)).execute())
        if deleted != 1:
            raise TransitionRefused("seul un brouillon peut être supprimé")
        record(ENTITY, current.id, "delete", {"state": current.state, **_masked(current.data or {})}, None,
               user=scope, note="Brouillon supprimé")


def steps(proposal):
    """The history of the proposal's steps (state, by whom, when), oldest first."""
    return list(ProposalStep.select(ProposalStep, User).join(User, JOIN.LEFT_OUTER, on=(ProposalStep.by == User.id))
                .where(ProposalStep.proposal == proposal.id).order_by(ProposalStep.at, ProposalStep.id))


def proposal_errors(proposal, today, smic):
    """What still stands in the way of sending to the employer (the employer's own fields left out)."""
    return check_proposal(proposal.data or {}, today, smic, include_employer_fields=False)


# --- sending to the employer -------------------------------------------------------------------------------

def employer_users(siret):
    """Active employer users of the employer with this SIRET."""
    return list(User.select(User).join(Employer, on=(User.employer == Employer.id))
                .where((Employer.siret == siret) & (User.kind == "employer") & (User.active == True))  # noqa: E712
                .order_by(User.id))


def _employer_for(data, scope):
    """The Employer of the proposal's SIRET, created from the CERFA's employer tab when unknown."""
    siret = data.get("employeur.siret", "")
    employer = Employer.get_or_none(Employer.siret == siret)
    if employer is not None:
        return employer, False
    headcount = data.get("employeur.nombreDeSalaries", "")
    employer = Employer.create(
        siret=siret, name=data.get("employeur.denomination", "")[:200],
        street=" ".join(x for x in (data.get("employeur.adresse.numero", ""),
                                     data.get("employeur.adresse.voie", "")) if x)[:200],
        postal_code=data.get("employeur.adresse.codePostal", "")[:5],
        city=data.get("employeur.adresse.commune", "")[:100], naf=data.get("employeur.naf", "")[:5],
        idcc=data.get("employeur.codeIdcc", "")[:4],
        headcount=int(headcount) if headcount.isascii() and headcount.isdigit() else None,
        email=data.get("employeur.courriel", "")[:254], phone=data.get("employeur.telephone", "")[:20])
    record("employer", employer.id, "create", None, {"siret": siret, "name": employer.name},
           user=scope, note="Employeur créé à l'envoi d'une proposition de contrat")
    return employer, True


def _invite_contact(employer, email, now, scope):
    """An employer user without password for the contact email, with an invitation token; None if the address
    already belongs to another account (it then only receives the proposal's email)."""
    existing = User.get_or_none(fn.LOWER(User.email) == email)
    if existing is not None:
        if existing.kind == "employer" and existing.employer_id == employer.id and not existing.password_hash:
            return existing, tokens.issue(existing, "invitation", EMPLOYER_INVITATION_LIFETIME, now=now)
        return None, None
    user = User.create(email=email, kind="employer", employer=employer, password_hash="", active=True)
    record("user", user.id, "invite", None, {"email": email, "kind": "employer", "employer": employer.id},
           user=scope, note="Compte employeur créé à l'envoi d'une proposition de contrat : invitation envoyée.")
    return user, tokens.issue(user, "invitation", EMPLOYER_INVITATION_LIFETIME, now=now)


def _summary(proposal, organisation):
    data = proposal.data or {}
    start = data.get("contrat.dateDebutContrat", "")
    try:
        start = dt.date.fromisoformat(start).strftime("%d/%m/%Y")
    except ValueError:
        start = ""
    apprentice = " ".join(x for x in (data.get("apprenti.prenom", ""), data.get("apprenti.nom", "")) if x)
    return {"cfa": organisation.name, "apprentice": apprentice, "start": start,
            "employer": data.get("employeur.denomination", ""), "training": data.get("formation.intituleQualification", "")}


def send_to_employer(scope, proposal, today, smic, link_for, portal_link, now=None, transition="envoyer"):
    """*Envoyer à l'entreprise*: every check but the employer's own fields, then → envoyé; the employer's users
    are emailed and notified, or — without an account — its contact is invited to create one.

    `link_for(secret)` builds the invitation link, `portal_link` the portal's address; `transition` is
    "transmettre_api" when a CFA's software sends it (→ transmis par API, the same path otherwise). Raises
    ProposalRefused with the failing rules, or TransitionRefused.
    """
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit d'envoyer cette proposition")
    current = ContractProposal.get_by_id(proposal.id)
    errors = proposal_errors(current, today, smic)
    if errors:
        raise ProposalRefused(errors)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    organisation = Organisation.get_by_id(current.organisation_id)
    data = current.data or {}
    outcome = SimpleNamespace(invited=None, recipients=[])

    target = PROPOSAL.transitions[transition].to_state

    def within(row):
        ProposalStep.create(proposal=row, state=target.value, by=scope.user, at=now,
                            note="Transmise à l'entreprise par API" if transition == "transmettre_api"
                            else "Envoyée à l'entreprise")
        employer, _ = _employer_for(data, scope)
        users = [u for u in employer_users(employer.siret) if u.password_hash]  # accounts in use
        summary = _summary(row, organisation)
        subject = f"Proposition de contrat d'apprentissage de {organisation.name}"
        if users:
            for user in users:
                Notification.create(organisation=row.organisation_id, user=user, category="proposition",
                                    message=f"{organisation.name} vous propose un contrat d'apprentissage"
                                            f"{' pour ' + summary['apprentice'] if summary['apprentice'] else ''}.")
                text, html = render_email("proposal_sent", link=portal_link, invitation=None, until="", **summary)
                send_email(user.email, subject, text, html)
                outcome.recipients.append(user.email)
            return f"Envoyée à {', '.join(outcome.recipients)}"
        contact = normalize_email(data.get("employeur.courriel", ""))
        user, secret = _invite_contact(employer, contact, now, scope)
        until = now + EMPLOYER_INVITATION_LIFETIME
        text, html = render_email("proposal_sent", link=portal_link, invitation=link_for(secret) if secret else None,
                                  until=f"{until:%d/%m/%Y à %H:%M}", **summary)
        send_email(contact, subject, text, html)
        outcome.recipients.append(contact)
        outcome.invited = user
        return f"Envoyée à {contact}" + (" (invitation à créer un compte employeur)" if secret else "")

    with immediate_transaction():
        row = apply(PROPOSAL, transition, current, scope, within=within)
    return row, outcome


def deposit_from_api(scope, values, today, smic, link_for, portal_link, mandate=None, now=None):
    """A CFA's software deposits a CERFA (`POST /api/v1/contrats`): the portal's own steps in one transaction.

    Without `mandate`: a draft (`create`) then *Envoyer à l'entreprise* (`send_to_employer`) → transmis par
    API, the employer sees it as a sent proposal. With `mandate` = (file name, checked PDF bytes) of the
    employer's signed attestation: a draft, the mandate declared (`declare_mandate`), then transmitted to the
    OPCO (`transmit_under_mandate`) → a dossier *reçu*. Every check runs first so that the refusal lists each
    field: ProposalRefused ({field key: [messages]}); a refused deposit writes nothing.
    Returns (proposal, dossier or None, outcome of the sending or None).
    """
    from workflows.employer_proposals import declare_mandate
    from workflows.proposal_transmission import TransmissionRefused, cerfa_errors, transmit_under_mandate

    if scope.organisation_id is None or not may_manage(scope):
        raise TransitionRefused("cette clé ne permet pas de saisir des contrats")
    data = _merge(cfa_prefill(Organisation.get_by_id(scope.organisation_id)), values)
    if mandate is None:
        errors = check_proposal(data, today, smic, include_employer_fields=False)  # as proposal_errors
    else:
        errors = cerfa_errors(data, today)  # as the mandate path's blocking_problems, field by field
    if errors:
        raise ProposalRefused(errors)
    with immediate_transaction():
        proposal = create(scope, values, now)
        if mandate is None:
            row, outcome = send_to_employer(scope, proposal, today, smic, link_for, portal_link, now,
                                            transition="transmettre_api")
            return row, None, outcome
        declare_mandate(proposal, scope, *mandate)
        try:
            dossier = transmit_under_mandate(proposal, scope, today)
        except TransmissionRefused as refused:
            raise ProposalRefused({"": refused.problems}) from None
    return ContractProposal.get_by_id(proposal.id), dossier, None


def deposit_key(dossier, key_id=...):
    """The API key whose software deposited the proposal the dossier came from (« déposé par API »), or None.

    `key_id` is that proposal's `api_key_id` when the caller's query already read it (None: none)."""
    from models import ApiKey

    if key_id is ...:
        key_id = (ContractProposal.select(ContractProposal.api_key_id)
                  .where((ContractProposal.dossier == dossier.id) & ContractProposal.api_key_id.is_null(False))
                  .scalar())
    return ApiKey.get_or_none(ApiKey.id == key_id) if key_id else None


def dossier_number(proposal):
    if not proposal.dossier_id:
        return ""
    return Dossier.select(Dossier.number).where(Dossier.id == proposal.dossier_id).scalar() or ""
