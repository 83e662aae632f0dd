"""The employer's decision on a proposal (seed 002): accept, complete, refuse; and the CFA's mandate.

*Accepter* moves a sent proposal to *en cours d'examen*; the employer may then complete or correct the
employer, contract (pay included) and attestation tabs — the fields of the catalogue (rules/cerfa_fields.py),
except the SIRET that addresses the proposal to it. *Refuser* needs a reason and tells the CFA. Every change
goes through the PROPOSAL table (workflows/state_machines.py) or a guarded UPDATE on the state, with one
audit entry and one step of the proposal's history in the same transaction.
"""
import datetime as dt
import re

from models import ContractProposal, ProposalStep
from models.states import ProposalState
from rules.cerfa_fields import NO, YES, fields_of
from infrastructure.numbering import immediate_transaction
from workflows.audit import actor_user, record
from workflows.documents import save_document
from workflows.notify import send_email
from workflows.state_machines import PROPOSAL
from workflows.transitions import TransitionRefused, apply

# The tabs an employer completes once it accepted (seed 002: employer, contract and pay, attestation).
EMPLOYER_TABS = ("employeur", "contrat", "attestation")
# Never the employer's to change: the SIRET the proposal is addressed to.
LOCKED_KEYS = frozenset({"employeur.siret"})
FRENCH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def editable_fields(tab_key):
    """The catalogue's fields of an employer tab that the employer may change."""
    if tab_key not in EMPLOYER_TABS:
        return ()
    return tuple(f for f in fields_of(tab_key) if f.key not in LOCKED_KEYS)


def _step(row, scope, note=""):
    ProposalStep.create(proposal=row.id, state=row.state, by=actor_user(scope), note=note or "")


def accept(proposal, scope):
    """*Accepter et compléter*: the proposal is the employer's to complete (en cours d'examen)."""
    return apply(PROPOSAL, "examiner", proposal, scope, within=lambda row: _step(row, scope, "Acceptée par l'entreprise"),
                 notice=lambda row: f"{_who(row)} : acceptée par l'entreprise, qui la complète.")


def refuse(proposal, scope, reason):
    """*Refuser* with a reason: the CFA's users are notified and its author receives an email."""
    reason = (reason or "").strip()

    def within(row):
        _step(row, scope, reason)
        author = row.created_by
        if author is not None and author.active:
            send_email(author.email, f"Proposition de contrat refusée par {row.employer_name or 'l’entreprise'}",
                       f"Bonjour,\n\nL'entreprise {row.employer_name or row.employer_siret} a refusé la proposition "
                       f"de contrat de {_apprentice(row)}.\n\nMotif : {reason}\n\nPortail CFA")

    return apply(PROPOSAL, "refuser", proposal, scope, reason=reason, within=within,
                 notice=lambda row: f"{_who(row)} : refusée par l'entreprise. Motif : {reason}")


def clean_value(field, raw):
    """The stored string of one submitted value (ISO dates, '.' decimals, oui/non); the checks judge it later."""
    if field.kind == "bool":
        return YES if str(raw or "").strip().lower() in ("y", "yes", "oui", "on", "1", "true") else NO
    value = str(raw or "").replace("\x00", "").strip()[:max(field.max_length, 10)]
    if field.kind == "date":
        match = FRENCH_DATE.match(value)
        if match:
            day, month, year = (int(x) for x in match.groups())
            try:
                value = dt.date(year, month, day).isoformat()
            except ValueError:
                pass
    elif field.kind in ("decimal", "percent"):
        value = value.replace(" ", "").replace("\u202f", "").replace(",", ".")
    elif field.kind in ("siret", "nir", "postal", "int"):
        value = re.sub(r"\s+", "", value)
    return value


def save_fields(proposal, scope, tab_key, form):
    """Store what the employer typed on one of its tabs (a mapping key → raw value); return the changed keys.

    Only while the proposal is under its review (a guarded UPDATE on the state), one audit entry.
    """
    from access.permissions import can

    if not can(scope, "proposal.decide", proposal):
        raise TransitionRefused("vous n'avez pas le droit de compléter cette proposition")
    fields = editable_fields(tab_key)
    with immediate_transaction():
        current = ContractProposal.get_by_id(proposal.id)
        data = dict(current.data or {})
        before = {}
        for field in fields:
            value = clean_value(field, form.get(field.key))
            if value != (data.get(field.key) or ("" if field.kind != "bool" else NO)):
                before[field.key] = data.get(field.key, "")
                data[field.key] = value
        if not before:
            if current.state != ProposalState.UNDER_REVIEW:
                raise _not_under_review(current)
            return []
        values = {"data": data, "updated_at": dt.datetime.now().replace(microsecond=0)}
        if "employeur.denomination" in before:
            values["employer_name"] = data["employeur.denomination"][:200]
        updated = (ContractProposal.update(**values)
                   .where((ContractProposal.id == proposal.id)
                          & (ContractProposal.state == ProposalState.UNDER_REVIEW)).execute())
        if updated != 1:
            raise _not_under_review(current)
        record("contract_proposal", proposal.id, "employer_edit", before, {k: data[k] for k in before}, user=scope,
               note=f"Onglet {tab_key} complété par l'entreprise")
    return sorted(before)


def _not_under_review(current):
    return TransitionRefused("la proposition ne peut être complétée qu'en cours d'examen par l'entreprise "
                             f"(état actuel : {ProposalState.label_of(current.state)}) ; rechargez la page")


def declare_mandate(proposal, scope, name, data):
    """The CFA declares the employer's management mandate with its signed attestation (a checked PDF)."""
    from access.permissions import can

    if not can(scope, "proposal.manage", proposal):
        raise TransitionRefused("vous n'avez pas le droit de déclarer un mandat pour cette proposition")
    with immediate_transaction():
        current = ContractProposal.get_by_id(proposal.id)
        if current.state not in (ProposalState.DRAFT, ProposalState.SENT):
            raise TransitionRefused("le mandat se déclare avant la décision de l'entreprise "
                                    f"(état actuel : {ProposalState.label_of(current.state)})")
        document = save_document(name, data, current.organisation_id, "mandat", user=scope)
        data_ = dict(current.data or {}, **{"attestation.mandatGestion": YES})
        ContractProposal.update(mandate_document_id=document.id, data=data_,
                                mandate_declared_at=dt.datetime.now().replace(microsecond=0),
                                mandate_declared_by=actor_user(scope)).where(
            ContractProposal.id == current.id).execute()
        record("contract_proposal", current.id, "declare_mandate", {"mandate_document_id": current.mandate_document_id},
               {"mandate_document_id": document.id}, user=scope,
               note=f"Mandat de gestion de l'employeur déclaré ({document.original_name})")
        _step(current, scope, "Mandat de gestion de l'employeur déclaré")
    return ContractProposal.get_by_id(proposal.id)


def _apprentice(row):
    return f"{row.apprentice_last_name} {row.apprentice_first_name}".strip() or "l'apprenti"


def _who(row):
    return f"Proposition de contrat de {_apprentice(row)}"
