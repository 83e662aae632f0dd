"""Delegations between organisations (seed 001 *OF déléguant*, SPEC §4): a request, then a decision.

Organisation A (the delegate) asks, by SIRET and name, to manage the contracts of organisation B (the
delegator). The request is `demandee` and opens nothing: a SIRET and a name are public. B's admin OF
accepts or refuses it in the portal; the OPCO (an administrator, in the back office) may decide too, and is
the only one who can when B has no active admin OF. An approved delegation is ended by either organisation
or by the OPCO. access/scope.py opens B's dossiers to A only while the delegation is `approuvee`.

Who bills and who is paid on a delegated dossier — one rule on every path: the organisation that bills,
the delegate named by the approved delegation, is the invoicing organisation (`Invoice.organisation`) of a
reimbursement request and of a mass invoice alike, and a payment of that invoice goes to the approved RIB
of that organisation (workflows/payments.py pays an organisation its own validated invoices only). The
delegator is never paid for what the delegate billed. Reimbursement, mass-invoicing send and payment
recording re-check, inside their write transaction, that the invoicing organisation still owns each
dossier or holds an approved delegation for it (`check_may_bill`): a draft or a form started under a
delegation that has ended since is refused when it is sent, and nothing is written.
"""
import datetime as dt
import unicodedata


from access.permissions import ADMIN_OF, as_scope, can
from models.states import OPEN_DELEGATION_STATES, DelegationState, OrganisationStatus
from models import Delegation, Dossier, Membership, Organisation, User, is_postgres
from rules.identifiers import normalize_siret
from workflows.audit import record
from workflows.notify import notify_organisation
from infrastructure.numbering import immediate_transaction
from workflows.state_machines import DELEGATION
from workflows.transitions import TransitionRefused, apply

OPEN_STATES = OPEN_DELEGATION_STATES


class DelegationError(TransitionRefused):
    """A delegation request or decision refused; the French message says why."""


# An actor is a Scope (a CFA user in the organisation picked in the portal) or a staff User (the OPCO).

def is_opco(actor):
    """OPCO staff allowed to decide on delegations in the back office."""
    scope = as_scope(actor)
    return scope is not None and scope.is_staff and can(scope, "delegation.decide")


def admin_for(actor, organisation_id):
    """A CFA administrator acting for `organisation_id` (the organisation picked in the portal)."""
    scope = as_scope(actor)
    return (scope is not None and scope.kind == "cfa" and scope.organisation_id == organisation_id
            and can(scope, "organisation.admin"))


def _user(actor):
    return as_scope(actor).user


MACHINE = DELEGATION


def label(state):
    return DELEGATION.label(state)


# --- request ------------------------------------------------------------------------------------------

def same_name(a, b):
    """Names compared without case, accents, punctuation or extra spaces."""
    def norm(text):
        text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
        return " ".join("".join(c if c.isalnum() else " " for c in text).split())
    return norm(a) == norm(b) and norm(a) != ""


def has_active_admin(organisation_id):
    """Whether the organisation has an active admin OF, who then decides on the requests it receives."""
    return (Membership.select().join(User)
            .where((Membership.organisation == organisation_id) & (Membership.role == ADMIN_OF)
                   & (User.active == True)).exists())  # noqa: E712


def request(delegate, siret, name, actor):
    """Ask to manage the contracts of the organisation with this SIRET and name; returns the pending row."""
    if not admin_for(actor, delegate.id):
        raise DelegationError("Seul un administrateur de l'organisme peut demander une délégation.")
    delegator = (Organisation.select()
                 .where((Organisation.siret == normalize_siret(siret)) & (Organisation.status == OrganisationStatus.ACTIVE)).first())
    if delegator is None or not same_name(delegator.name, name):
        raise DelegationError("Aucun organisme actif ne correspond à ce SIRET et à ce nom d'établissement.")
    if delegator.id == delegate.id:
        raise DelegationError("Un organisme ne peut pas se déléguer à lui-même.")
    with immediate_transaction():
        if is_postgres():
            # Two requests for the same pair run one after the other: the second sees the first.
            Organisation.select().where(Organisation.id == delegator.id).for_update().get()
        current = (Delegation.select()
                   .where((Delegation.delegate == delegate.id) & (Delegation.delegator == delegator.id)
                          & Delegation.state.in_(OPEN_STATES)).first())
        if current is not None and current.state == DelegationState.APPROVED:
            raise DelegationError("Cet organisme vous délègue déjà la gestion de ses contrats.")
        if current is not None:
            raise DelegationError("Vous avez déjà demandé la délégation de cet organisme : elle attend sa décision.")
        delegation = Delegation.create(delegate=delegate.id, delegator=delegator.id, requested_by=_user(actor).id,
                                       note="Demandée depuis le portail")
        record("delegation", delegation.id, "request", after=delegation, user=_user(actor),
               note=f"{delegate.name} ({delegate.siret}) demande à gérer les contrats de "
                    f"{delegator.name} ({delegator.siret})")
    decider = ("Acceptez-la ou refusez-la dans « Gestion des accès »." if has_active_admin(delegator.id)
               else "L'OPCO l'examinera avant toute ouverture de vos dossiers.")
    notify_organisation(delegator, f"{delegate.name} (SIRET {delegate.siret}) demande à gérer vos contrats "
                                   f"d'apprentissage en tant qu'organisme délégataire. {decider}",
                        category="delegation")
    return delegation


# --- decisions ----------------------------------------------------------------------------------------

def _now():
    return dt.datetime.now().replace(microsecond=0)


def _by(actor):
    return "l'OPCO" if is_opco(actor) else None


def approve(delegation, actor):
    delegator, delegate = delegation.delegator, delegation.delegate
    by = _by(actor) or delegator.name
    notice = {delegate.id: f"Votre demande de gestion des contrats de {delegator.name} est approuvée par {by} : "
                           "ses dossiers apparaissent désormais dans vos listes."}
    if is_opco(actor):  # the delegator's admin who approved needs no word of it
        notice[delegator.id] = (f"L'OPCO a approuvé la délégation de vos contrats à {delegate.name} (SIRET "
                                f"{delegate.siret}). Vous pouvez y mettre fin dans « Gestion des accès ».")
    return apply(DELEGATION, "approuver", delegation, actor, notice=notice,
                 changes={"decided_by": _user(actor).id, "decided_at": _now()},
                 note=f"{delegator.name} délègue à {delegate.name} (décision : {by})")


def refuse(delegation, actor, reason):
    delegator = delegation.delegator
    reason = (reason or "").strip()[:2000]
    by = _by(actor) or delegator.name
    return apply(DELEGATION, "refuser", delegation, actor, reason=reason,
                 notice=f"Votre demande de gestion des contrats de {delegator.name} est refusée par {by}. "
                        f"Motif : {reason}",
                 changes={"decided_by": _user(actor).id, "decided_at": _now(), "refusal_reason": reason})


def end(delegation, actor, name=None):
    """Cancel a pending request (the delegate or the OPCO) or end an approved delegation (either side or the OPCO).

    `name` forces one of the two transitions ("terminer" from the back office, where a request is refused).
    """
    delegator, delegate = delegation.delegator, delegation.delegate
    name = name or ("annuler" if delegation.state == DelegationState.REQUESTED else "terminer")
    if is_opco(actor):
        by = "l'OPCO"
    elif admin_for(actor, delegate.id):
        by = delegate.name
    else:
        by = delegator.name
    if name == "annuler":
        notice = f"{delegate.name} a annulé sa demande de gestion de vos contrats."
    else:
        notice = (f"La délégation des contrats de {delegator.name} à {delegate.name} a pris fin ({by}) : "
                  f"{delegate.name} ne voit plus ces dossiers et ne peut plus les facturer.")
    return apply(DELEGATION, name, delegation, actor, notice=notice,
                 changes={"ended_by": _user(actor).id, "ended_at": _now()},
                 note=f"{delegator.name} → {delegate.name} (par {by})")


# --- billing scope, re-checked when something is sent ---------------------------------------------------

def billing_organisation_ids(organisation_id):
    """The organisation itself and every organisation whose delegation to it is approved now."""
    ids = {organisation_id}
    ids |= {d for (d,) in Delegation.select(Delegation.delegator)
            .where((Delegation.delegate == organisation_id) & (Delegation.state == DelegationState.APPROVED)).tuples()}
    return ids


def check_may_bill(organisation_id, dossier_ids):
    """Refuse (French) when the organisation may no longer bill one of these dossiers; call inside the write."""
    dossier_ids = sorted(set(dossier_ids))
    if not dossier_ids:
        return
    allowed = billing_organisation_ids(organisation_id)
    outside = list(Dossier.select(Dossier.number)
                   .where(Dossier.id.in_(dossier_ids) & Dossier.organisation.not_in(sorted(allowed)))
                   .order_by(Dossier.number).tuples())
    if outside:
        numbers = ", ".join(n for (n,) in outside)
        name = Organisation.get_by_id(organisation_id).name
        raise DelegationError(
            f"{name} ne peut plus facturer le(s) dossier(s) {numbers} : la délégation de l'organisme déléguant "
            "n'est pas ou plus approuvée. Rien n'a été enregistré.")
