"""The `Scope` an actor acts within, how it is built, and the scoped queries every portal read goes through.

A Scope is built once per request from the signed-in user and the organisation picked in the portal header
(`scope_for_user`), or from an API key (`scope_for_api_key`): the organisation acted for plus the
organisations whose delegation to it is approved, with the membership's rights. The workflows receive it
and never read the browser session. Staff act for the OPCO: no organisation, a role.

The queries (`dossiers`, `invoices`, `documents`, `letters`, `credit_notes`, `payments`, `notifications`,
`delegations_received` / `delegations_given`) apply the stock and "without contract" rights; invoices,
payments and their files need the billing right of every dossier they cover. Anything outside is a 404 for
the view, never a hint.

Establishments (seed 004): an organisation may be the main establishment (`Organisation.parent`) of secondary
ones. A membership of a main establishment does NOT reach its secondary establishments: each establishment is
reached through its own membership, with its own role and rights (the users screen grants them establishment
by establishment), so nothing opens records by inheritance. `establishment_memberships` lists them.
"""
import datetime as dt
import operator
from dataclasses import dataclass, field
from functools import reduce

from peewee import JOIN, SQL, fn

from models.states import DelegationState, OrganisationStatus, ProposalState
from models import (CreditNote, Delegation, Document, Dossier, DossierCounter, Invoice, InvoiceLine, Letter,
                    Membership, Notification, OpcoNews, OpcoNewsRead, OpcoNewsTarget, Organisation, Payment,
                    PaymentLine)

RIGHTS = ("right_contracts", "right_contracts_billing", "right_stock", "right_stock_billing",
          "right_no_contract", "right_no_contract_billing")
BILLING_RIGHTS = frozenset({"right_contracts_billing", "right_stock_billing", "right_no_contract_billing"})
APPROVED = DelegationState.APPROVED  # the only delegation state that opens the delegator's records


@dataclass(frozen=True)
class Scope:
    kind: str  # "staff", "cfa", "employer" or "api"
    user: object = None  # the User acting (None for an API key)
    staff_role: str | None = None
    organisation_id: int | None = None  # the organisation acted for (picked in the header, or the key's)
    organisation_ids: frozenset = field(default_factory=frozenset)  # it and the organisations delegating to it
    role: str | None = None  # "admin_of" / "gestionnaire_of" for a CFA membership
    rights: frozenset = field(default_factory=frozenset)
    api_key: object = None
    employer_sirets: frozenset = field(default_factory=frozenset)  # an employer user's SIRETs (its proposals)

    @classmethod
    def of_staff(cls, user):
        return cls(kind="staff", user=user, staff_role=user.staff_role)

    @classmethod
    def of_membership(cls, membership, delegator_ids=(), user=None):
        """A CFA or employer user acting for the organisation of `membership` (and its approved delegators)."""
        user = user if user is not None else membership.user
        org_id = membership.organisation_id
        rights = frozenset(r for r in RIGHTS if getattr(membership, r, False))
        kind = "employer" if getattr(user, "kind", None) == "employer" else "cfa"
        return cls(kind=kind, user=user, organisation_id=org_id,
                   organisation_ids=frozenset({org_id, *delegator_ids}), role=membership.role, rights=rights)

    @classmethod
    def of_api_key(cls, key, delegator_ids=()):
        """An API key acts as an administrator of its organisation holding the six rights."""
        org_id = key.organisation_id
        return cls(kind="api", api_key=key, organisation_id=org_id,
                   organisation_ids=frozenset({org_id, *delegator_ids}), role="admin_of", rights=frozenset(RIGHTS))

    @classmethod
    def of_employer(cls, user):
        """An employer user acts for the SIRETs of its employer (none once the employer is deactivated)."""
        from models import Employer
        from models.states import EmployerStatus

        sirets = frozenset(siret for (siret,) in Employer.select(Employer.siret).where(
            (Employer.id == user.employer_id) & (Employer.status == EmployerStatus.ACTIVE)).tuples())
        return cls(kind="employer", user=user, employer_sirets=sirets)

    @classmethod
    def nobody(cls, user=None):
        """A user with no active organisation: covers nothing."""
        return cls(kind=getattr(user, "kind", None) or "cfa", user=user)

    @property
    def is_staff(self):
        return self.kind == "staff"

    @property
    def is_admin_of(self):
        return self.kind in ("cfa", "api") and self.role == "admin_of"

    @property
    def has_billing_right(self):
        return bool(self.rights & BILLING_RIGHTS)

    @property
    def audit_user(self):
        """The user written in the audit log (None for an API key: its entries name the key)."""
        return self.user

    def covers(self, organisation_id):
        return organisation_id in self.organisation_ids


# --- building a Scope ------------------------------------------------------------------------------------

def memberships_of(user):
    """The user's memberships of active organisations and, per organisation, its approved delegators.

    ONE query (the dossier list must stay within a handful of SQL queries per page): a list of memberships
    (organisation loaded, sorted by name) and a dict {organisation id: set of delegator ids}.
    """
    query = (Membership.select(Membership, Organisation, Delegation.delegator.alias("delegator_ref"))
             .join(Organisation).switch(Membership)
             .join(Delegation, JOIN.LEFT_OUTER, on=((Delegation.delegate == Membership.organisation)
                                                    & (Delegation.state == APPROVED)))
             .where((Membership.user == user.id) & (Organisation.status == OrganisationStatus.ACTIVE))
             .order_by(Organisation.name, Membership.id))
    found, delegators = {}, {}
    for row in query:
        found.setdefault(row.id, row)
        ref = getattr(getattr(row, "delegation", None), "delegator_ref", None)
        if ref:
            delegators.setdefault(row.organisation.id, set()).add(ref)
    return list(found.values()), delegators


def pick_membership(memberships, organisation_id=None):
    """The membership of `organisation_id` among `memberships`, the first one by default."""
    for m in memberships:
        if m.organisation.id == organisation_id:
            return m
    return memberships[0] if memberships else None


def scope_for_user(user, organisation_id=None, rows=None):
    """The Scope of a signed-in user acting for `organisation_id` (picked in the header; the first by default).

    `rows` is what `memberships_of(user)` answered, when the caller already has it.
    """
    if getattr(user, "kind", None) == "staff":
        return Scope.of_staff(user)
    if getattr(user, "kind", None) == "employer":
        return Scope.of_employer(user)
    memberships, delegators = rows if rows is not None else memberships_of(user)
    m = pick_membership(memberships, organisation_id)
    if m is None:
        return Scope.nobody(user)
    delegator_ids = delegators.get(m.organisation.id, ()) if user.kind == "cfa" else ()
    return Scope.of_membership(m, delegator_ids, user=user)


def establishment_memberships(user):
    """The user's memberships of every organisation (whatever its status), with the organisation and its main
    establishment loaded, sorted by name: the *Établissements* screen. Each one is reached by its own
    membership only (see the module's docstring)."""
    if getattr(user, "kind", None) != "cfa":
        return []
    main = Organisation.alias("main_establishment")
    return list(Membership.select(Membership, Organisation, main)
                .join(Organisation).join(main, JOIN.LEFT_OUTER, on=(Organisation.parent == main.id))
                .where(Membership.user == user.id).order_by(Organisation.name, Organisation.id))


def approved_delegator_ids(organisation_id):
    """Ids of the organisations whose delegation of their contracts to `organisation_id` is approved."""
    return {row.delegator_id for row in Delegation.select(Delegation.delegator)
            .where((Delegation.delegate == organisation_id) & (Delegation.state == APPROVED))}


def scope_for_api_key(key, now=None):
    """The Scope of an API key: its organisation and the approved delegations to it.

    A revoked or expired key, or one of an organisation that is not active, covers nothing.
    """
    now = now or dt.datetime.now()
    organisation = Organisation.get_or_none(Organisation.id == key.organisation_id)
    if key.revoked_at is not None or key.expires_at <= now or organisation is None or organisation.status != OrganisationStatus.ACTIVE:
        return Scope(kind="api", api_key=key)
    return Scope.of_api_key(key, approved_delegator_ids(key.organisation_id))


def organisation_ids_of_user(user):
    """Every organisation a CFA user may act for, through any of their memberships (the daily digest)."""
    if getattr(user, "kind", None) != "cfa":
        return []
    memberships, delegators = memberships_of(user)
    ids = set()
    for m in memberships:
        ids |= {m.organisation.id, *delegators.get(m.organisation.id, ())}
    return sorted(ids)


# --- the scoped queries ----------------------------------------------------------------------------------

def organisation_ids(scope):
    """Ids of the organisations whose records the scope shows (none for staff and employers here)."""
    return sorted(scope.organisation_ids) if scope.kind in ("cfa", "api") else []


def _none(query, model):
    return query.where(model.id == -1)


def dossiers(scope, query=None, organisation_id=None):
    """Dossiers of the scope the rights allow (stock / without contract need their own right).

    `organisation_id`: only that organisation's (none when the scope does not cover it), so a list can read
    each organisation's index range in order instead of sorting all of them.
    """
    query = query if query is not None else Dossier.select()
    ids = organisation_ids(scope)
    if organisation_id is not None:
        ids = [organisation_id] if organisation_id in ids else []
    if not ids:
        return _none(query, Dossier)
    query = query.where(Dossier.organisation == ids[0]) if len(ids) == 1 else query.where(Dossier.organisation.in_(ids))
    return _kinds(scope, query, Dossier)


def _kinds(scope, query, model):
    """Keep the kinds of dossiers (stock, without contract, ordinary) the scope's rights show; `model` is
    Dossier or DossierCounter, which carry the same `is_stock` and `without_contract` columns."""
    rights = scope.rights
    if not rights & {"right_stock", "right_stock_billing"}:
        query = query.where(model.is_stock == False)  # noqa: E712
    if not rights & {"right_no_contract", "right_no_contract_billing"}:
        query = query.where(model.without_contract == False)  # noqa: E712
    if not rights & {"right_contracts", "right_contracts_billing"}:
        query = query.where((model.is_stock == True) | (model.without_contract == True))  # noqa: E712
    return query


def dossier_counters(scope, query=None):
    """The dashboard counters (models/counters.py) of the dossiers `dossiers(scope)` shows: the same
    organisations, the same kinds, read from a few rows instead of counting the dossiers."""
    query = query if query is not None else DossierCounter.select()
    ids = organisation_ids(scope)
    if not ids:
        return _none(query, DossierCounter)
    return _kinds(scope, query.where(DossierCounter.organisation_id.in_(ids)), DossierCounter)


def visible_dossier_ids(scope):
    """A subquery of the ids of the dossiers the scope shows (for documents, letters, invoices)."""
    return dossiers(scope, Dossier.select(Dossier.id))


def shows_dossier(scope, column):
    """True for rows whose dossier (`column`, a foreign key to it) the scope shows.

    A correlated EXISTS answered through the dossier's primary key, row by row: `column IN (SELECT id …)`
    made PostgreSQL build the list of the organisation's 900,000 dossier ids for each page.
    """
    return fn.EXISTS(dossiers(scope, Dossier.select(SQL("1"))).where(Dossier.id == column))


def billable_dossier_ids(scope):
    """A subquery of the ids of the dossiers of the scope it holds the billing right of."""
    query = visible_dossier_ids(scope)
    refused = _unbillable_dossiers(scope, Dossier)
    return query if refused is None else query.where(~refused)


def _unbillable_dossiers(scope, dossier):
    """A condition on `dossier` (Dossier or an alias) true for the kinds the scope may not bill; None: none.

    Same order as the permission map: stock first, then "without contract", then ordinary contracts.
    """
    stock = dossier.is_stock == True  # noqa: E712
    loose = (dossier.is_stock == False) & (dossier.without_contract == True)  # noqa: E712
    plain = (dossier.is_stock == False) & (dossier.without_contract == False)  # noqa: E712
    refused = [kind for kind, right in ((stock, "right_stock_billing"), (loose, "right_no_contract_billing"),
                                        (plain, "right_contracts_billing")) if right not in scope.rights]
    return reduce(operator.or_, refused) if refused else None


def _billing_ids(scope):
    """The scope's organisation ids when it holds a billing right; none otherwise."""
    return organisation_ids(scope) if scope.has_billing_right else []


def letters(scope, query=None):
    query = query if query is not None else Letter.select()
    return query.where(shows_dossier(scope, Letter.dossier))


def invoices(scope, query=None):
    """Invoices of the scope whose every dossier (the invoice's own, each line's) it holds the billing right of.

    A mass invoice (no dossier of its own) is judged by its lines; an invoice the organisation sent on a
    delegator's dossiers stays its own after the delegation ends (it billed and was paid), so the lines'
    dossiers are judged by kind, not by scope.
    """
    query = query if query is not None else Invoice.select()
    ids = _billing_ids(scope)
    if not ids:
        return _none(query, Invoice)
    query = query.where(Invoice.organisation.in_(ids))
    own, line_dossier = Dossier.alias("own_dossier"), Dossier.alias("line_dossier")
    refused_own, refused_line = _unbillable_dossiers(scope, own), _unbillable_dossiers(scope, line_dossier)
    if refused_own is None:
        return query
    bad_own = own.select(own.id).where((own.id == Invoice.dossier) & refused_own)
    bad_line = (InvoiceLine.select(InvoiceLine.id).join(line_dossier, on=(InvoiceLine.dossier == line_dossier.id))
                .where((InvoiceLine.invoice == Invoice.id) & refused_line))
    return query.where(~fn.EXISTS(bad_own) & ~fn.EXISTS(bad_line))


def documents(scope, query=None):
    """Documents of the scope: a dossier's follow the dossier, an invoice's follow the invoice (billing right)."""
    query = query if query is not None else Document.select()
    ids = organisation_ids(scope)
    if not ids:
        return _none(query, Document)
    query = query.where(Document.organisation.in_(ids)
                        & (Document.dossier.is_null() | shows_dossier(scope, Document.dossier)))
    # a proposal's piece not yet on a dossier: for the users who manage the organisation's proposals only
    from models import ContractProposal

    query = query.where(Document.dossier.is_null(False) | Document.proposal.is_null()
                        | fn.EXISTS(proposals(scope, ContractProposal.select(SQL("1")))
                                    .where(ContractProposal.id == Document.proposal)))
    if not scope.has_billing_right:
        return query.where(Document.invoice.is_null() & Document.credit_note.is_null()
                           & Document.bank_details.is_null())
    # a RIB stays with its organisation: a delegation opens the delegator's dossiers, never its bank details
    query = query.where(Document.bank_details.is_null() | (Document.organisation == scope.organisation_id))
    return query.where(Document.invoice.is_null()
                       | fn.EXISTS(invoices(scope, Invoice.select(SQL("1"))).where(Invoice.id == Document.invoice)))


def credit_notes(scope, query=None):
    """Credit notes of the scope whose dossier it shows, for a scope holding a billing right."""
    query = query if query is not None else CreditNote.select()
    ids = _billing_ids(scope)
    if not ids:
        return _none(query, CreditNote)
    return query.where(CreditNote.organisation.in_(ids) & shows_dossier(scope, CreditNote.dossier))


def payments(scope, query=None):
    """Payments to the organisations of the scope, when it holds the billing right of every dossier paid."""
    query = query if query is not None else Payment.select()
    ids = _billing_ids(scope)
    if not ids:
        return _none(query, Payment)
    query = query.where(Payment.organisation.in_(ids))
    line_dossier = Dossier.alias("paid_dossier")
    refused = _unbillable_dossiers(scope, line_dossier)
    if refused is None:
        return query
    bad_line = (PaymentLine.select(PaymentLine.id).join(line_dossier, on=(PaymentLine.dossier == line_dossier.id))
                .where((PaymentLine.payment == Payment.id) & refused))
    return query.where(~fn.EXISTS(bad_line))


def notifications(scope, query=None):
    """The notifications addressed to the scope's user (workflows write one per entitled user)."""
    query = query if query is not None else Notification.select()
    ids = organisation_ids(scope)
    if not ids or scope.user is None:
        return _none(query, Notification)
    return query.where(Notification.organisation.in_(ids) & (Notification.user == scope.user.id))


def news(scope, query=None):
    """The OPCO news addressed to the organisation picked in the header (to every CFA, or to it among a
    selection), not withdrawn, newest first. A CFA user only: nothing for an API key, an employer or staff."""
    query = query if query is not None else OpcoNews.select()
    if scope.kind != "cfa" or scope.organisation_id is None or scope.user is None:
        return _none(query, OpcoNews)
    chosen = OpcoNewsTarget.select(OpcoNewsTarget.news).where(OpcoNewsTarget.organisation == scope.organisation_id)
    return (query.where(OpcoNews.withdrawn_at.is_null() & (OpcoNews.all_cfas | OpcoNews.id.in_(chosen)))
            .order_by(OpcoNews.published_at.desc(), OpcoNews.id.desc()))


def unread_news(scope, query=None):
    """`news(scope)` the scope's user has not marked as read."""
    read = OpcoNewsRead.select(OpcoNewsRead.id).where(
        (OpcoNewsRead.news == OpcoNews.id) & (OpcoNewsRead.user == getattr(scope.user, "id", None)))
    return news(scope, query).where(~fn.EXISTS(read))


def _delegations(scope, side):
    if scope.kind not in ("cfa", "api") or scope.organisation_id is None:
        return _none(Delegation.select(), Delegation)
    other = Delegation.delegator if side == "received" else Delegation.delegate
    mine = Delegation.delegate if side == "received" else Delegation.delegator
    return (Delegation.select(Delegation, Organisation).join(Organisation, on=(other == Organisation.id))
            .where(mine == scope.organisation_id))


def delegations_received(scope):
    """Delegations the scope's organisation asked for or holds (every state), with the delegating organisation."""
    return _delegations(scope, "received")


def delegations_given(scope):
    """Delegations of the scope's organisation's contracts to others (every state), with the delegate."""
    return _delegations(scope, "given")


def delegations(scope):
    """Delegations the scope's organisation is a party to (either side)."""
    if scope.kind not in ("cfa", "api") or scope.organisation_id is None:
        return _none(Delegation.select(), Delegation)
    org = scope.organisation_id
    return Delegation.select().where((Delegation.delegate == org) | (Delegation.delegator == org))


# What an employer sees of the proposals addressed to its SIRETs: from the CFA's sending on; a proposal it
# refused leaves its space (seed 002), a draft never enters it.
EMPLOYER_VISIBLE_PROPOSAL_STATES = ProposalState.values(ProposalState.SENT, ProposalState.UNDER_REVIEW,
                                                        ProposalState.ACCEPTED, ProposalState.FROM_API)


def employer_proposals(scope, query=None):
    """Proposals addressed to the employer's SIRETs, in the states its space shows; nothing for anyone else."""
    from models import ContractProposal

    query = query if query is not None else ContractProposal.select()
    if scope.kind != "employer" or not scope.employer_sirets:
        return _none(query, ContractProposal)
    return query.where(ContractProposal.employer_siret.in_(sorted(scope.employer_sirets))
                       & ContractProposal.state.in_(EMPLOYER_VISIBLE_PROPOSAL_STATES))


def proposals(scope, query=None):
    """Contract proposals of the scope's organisations, for users holding a contracts right (CFA side)."""
    from models import ContractProposal

    query = query if query is not None else ContractProposal.select()
    ids = organisation_ids(scope)
    if not ids or not scope.rights & {"right_contracts", "right_contracts_billing"}:
        return _none(query, ContractProposal)
    return query.where(ContractProposal.organisation.in_(ids))
