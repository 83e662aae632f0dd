"""Who may see and do what. Every portal query goes through `organisation_scope()`.

Access rules live here and nowhere else. The scope is the current organisation (picked in the header) plus
the organisations delegating to it; views load records only through the scoped helpers:
`dossier_visibility` / `get_dossier_or_404` (which also apply the stock and "without contract" rights),
`document_visibility` / `get_document_or_404`, `invoice_visibility` / `get_invoice_or_404` (billing right),
`letter_visibility` / `get_letter_or_404`, `notification_visibility` / `get_notification_or_404`,
`delegations_received` / `delegations_given` / `get_delegation_or_404`. Anything outside the scope is a 404,
never a hint. Only an approved delegation (services/delegations.py) brings its delegator into the scope.
Invoices (mass ones included), payments and their files need the billing right of every dossier they cover.
"""
import operator
from functools import reduce, wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from peewee import JOIN, fn

from models import (CreditNote, Delegation, Document, Dossier, Invoice, InvoiceLine, Letter, Membership,
                    Notification, Organisation, Payment, PaymentLine)
from models.states import DelegationState, OrganisationStatus

STAFF_ROLES_READ = {"conseiller", "comptable", "admin"}
BILLING_RIGHTS = {"right_contracts_billing", "right_stock_billing", "right_no_contract_billing"}


def is_staff(user=None, roles=None):
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or user.kind != "staff":
        return False
    return roles is None or user.staff_role in roles


def _scope_rows(user):
    """Memberships of active organisations with the organisations delegating to each (approved only), in ONE query.

    Cached for the request: the dossier list must stay within a handful of SQL queries per page.
    """
    cache = g.setdefault("_scope_rows", {})
    if user.id not in cache:
        query = (Membership.select(Membership, Organisation, Delegation.delegator.alias("delegator_ref"))
                 .join(Organisation).switch(Membership)
                 .join(Delegation, JOIN.LEFT_OUTER, on=((Delegation.delegate == Membership.organisation)
                                                        & (Delegation.state == DelegationState.APPROVED)))
                 .where((Membership.user == user.id) & (Organisation.status == OrganisationStatus.ACTIVE))
                 .order_by(Organisation.name, Membership.id))
        found, delegators = {}, {}
        for row in query:
            found.setdefault(row.id, row)
            ref = getattr(getattr(row, "delegation", None), "delegator_ref", None)
            if ref:
                delegators.setdefault(row.organisation.id, set()).add(ref)
        cache[user.id] = (list(found.values()), delegators)
    return cache[user.id]


def forget_scope():
    """Drop the per-request cache (after a delegation or membership change in the same request)."""
    g.pop("_scope_rows", None)


def memberships(user=None):
    """The user's memberships of active organisations (cached for the request)."""
    user = user or current_user
    return _scope_rows(user)[0]


def member_organisations(user=None):
    return [m.organisation for m in memberships(user)]


def allowed_organisation_ids(user=None, organisation=None):
    """Organisation ids the user may act for through `organisation` (or all of theirs).

    A membership of A gives A, plus every organisation whose delegation of its contracts to A is approved.
    """
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or user.kind != "cfa":
        return []
    rows, delegators = _scope_rows(user)
    own = [m.organisation.id for m in rows]
    if organisation is not None:
        own = [oid for oid in own if oid == organisation.id]
    ids = set(own)
    for oid in own:
        ids |= delegators.get(oid, set())
    return sorted(ids)


def current_membership(user=None):
    """The membership of the organisation picked in the header (the first one by default)."""
    user = user or current_user
    ms = memberships(user)
    if not ms:
        return None
    wanted = session.get("organisation_id")
    for m in ms:
        if m.organisation.id == wanted:
            return m
    return ms[0]


def current_organisation(user=None):
    m = current_membership(user)
    return m.organisation if m else None


def organisation_scope(user=None):
    """Ids of the organisations whose data the current screen may show: the current one and its delegators."""
    org = current_organisation(user)
    if org is None:
        return []
    return allowed_organisation_ids(user, org)


def has_right(right, user=None):
    m = current_membership(user)
    if m is None:
        return False
    if m.role == "admin_of" and right == "admin_of":
        return True
    return bool(getattr(m, right, False))


def has_billing_right(user=None):
    m = current_membership(user)
    return bool(m) and any(getattr(m, r) for r in BILLING_RIGHTS)


def is_admin_of(user=None):
    m = current_membership(user)
    return bool(m) and m.role == "admin_of"


def dossier_visibility(query=None, user=None):
    """Dossiers of the scope the user's rights allow (stock / without contract need their own right)."""
    m = current_membership(user)
    query = query if query is not None else Dossier.select()
    ids = organisation_scope(user)
    if not ids or m is None:
        return query.where(Dossier.id == -1)
    query = query.where(Dossier.organisation.in_(ids))
    if not (m.right_stock or m.right_stock_billing):
        query = query.where(Dossier.is_stock == False)  # noqa: E712
    if not (m.right_no_contract or m.right_no_contract_billing):
        query = query.where(Dossier.without_contract == False)  # noqa: E712
    if not (m.right_contracts or m.right_contracts_billing):
        query = query.where((Dossier.is_stock == True) | (Dossier.without_contract == True))  # noqa: E712
    return query


def can_bill_dossier(dossier, user=None):
    m = current_membership(user)
    if m is None:
        return False
    if dossier.is_stock:
        return m.right_stock_billing
    if dossier.without_contract:
        return m.right_no_contract_billing
    return m.right_contracts_billing


def get_dossier_or_404(number, user=None):
    """The one way a portal view loads a dossier by its number."""
    dossier = dossier_visibility(user=user).where(Dossier.number == str(number)).first()
    if dossier is None:
        abort(404)
    return dossier


def visible_dossier_ids(user=None):
    """A subquery of the ids of the dossiers the user may see (for documents, letters, invoices)."""
    return dossier_visibility(Dossier.select(Dossier.id), user=user)


def billable_dossier_ids(user=None):
    """A subquery of the ids of the dossiers of the scope the user holds the billing right of (can_bill_dossier)."""
    query = visible_dossier_ids(user)
    refused = _unbillable_dossiers(Dossier, user)
    return query if refused is None else query.where(~refused)


def current_organisation_by_siret(siret, user=None):
    """The membership whose organisation has this SIRET, or 404 (no hint that another organisation exists)."""
    for m in memberships(user):
        if m.organisation.siret == str(siret):
            return m
    abort(404)


def set_current_organisation(siret, user=None):
    """Switch the organisation the portal works for (header picker); only among the user's memberships."""
    m = current_organisation_by_siret(siret, user)
    session["organisation_id"] = m.organisation.id
    return m.organisation


def letter_visibility(query=None, user=None):
    query = query if query is not None else Letter.select()
    return query.where(Letter.dossier.in_(visible_dossier_ids(user)))


def get_letter_or_404(letter_id, dossier=None, user=None):
    query = letter_visibility(user=user).where(Letter.id == _int_or_404(letter_id))
    if dossier is not None:
        query = query.where(Letter.dossier == dossier.id)
    return _first_or_404(query)


def _billing_scope(user=None):
    """The scope's organisation ids for a user holding a billing right; none otherwise."""
    return organisation_scope(user) if has_billing_right(user) else []


def _unbillable_dossiers(dossier, user=None):
    """A condition on `dossier` (Dossier or an alias) true for the kinds the user may not bill; None: none.

    Same order as can_bill_dossier: stock first, then "without contract", then ordinary contracts.
    """
    m = current_membership(user)
    stock = dossier.is_stock == True  # noqa: E712
    loose = (dossier.is_stock == False) & (dossier.without_contract == True)  # noqa: E712
    plain = (dossier.is_stock == False) & (dossier.without_contract == False)  # noqa: E712
    refused = [kind for kind, right in ((stock, "right_stock_billing"), (loose, "right_no_contract_billing"),
                                        (plain, "right_contracts_billing")) if not getattr(m, right, False)]
    return reduce(operator.or_, refused) if refused else None


def invoice_visibility(query=None, user=None):
    """Invoices of the scope whose every dossier (the invoice's own, each line's) the user holds the billing right of.

    A mass invoice (no dossier of its own) is judged by its lines; an invoice the organisation sent on a
    delegator's dossiers stays its own after the delegation ends (it billed and was paid), so the lines'
    dossiers are judged by kind, not by scope.
    """
    query = query if query is not None else Invoice.select()
    ids = _billing_scope(user)
    if not ids:
        return query.where(Invoice.id == -1)
    query = query.where(Invoice.organisation.in_(ids))
    own, line_dossier = Dossier.alias("own_dossier"), Dossier.alias("line_dossier")
    refused_own, refused_line = _unbillable_dossiers(own, user), _unbillable_dossiers(line_dossier, user)
    if refused_own is None:
        return query
    bad_own = own.select(own.id).where((own.id == Invoice.dossier) & refused_own)
    bad_line = (InvoiceLine.select(InvoiceLine.id).join(line_dossier, on=(InvoiceLine.dossier == line_dossier.id))
                .where((InvoiceLine.invoice == Invoice.id) & refused_line))
    return query.where(~fn.EXISTS(bad_own) & ~fn.EXISTS(bad_line))


def get_invoice_or_404(invoice_id, user=None):
    return _first_or_404(invoice_visibility(user=user).where(Invoice.id == _int_or_404(invoice_id)))


def document_visibility(query=None, user=None):
    """Documents of the scope: a dossier's follow the dossier, an invoice's follow the invoice (billing right)."""
    query = query if query is not None else Document.select()
    ids = organisation_scope(user)
    if not ids:
        return query.where(Document.id == -1)
    query = query.where(Document.organisation.in_(ids)
                        & (Document.dossier.is_null() | Document.dossier.in_(visible_dossier_ids(user))))
    if not has_billing_right(user):
        return query.where(Document.invoice.is_null() & Document.credit_note.is_null()
                           & Document.bank_details.is_null())
    return query.where(Document.invoice.is_null()
                       | Document.invoice.in_(invoice_visibility(Invoice.select(Invoice.id), user=user)))


def get_document_or_404(document_id, dossier=None, user=None):
    query = document_visibility(user=user).where(Document.id == _int_or_404(document_id))
    if dossier is not None:
        query = query.where(Document.dossier == dossier.id)
    return _first_or_404(query)


def credit_note_visibility(query=None, user=None):
    """Credit notes of the scope whose dossier the user may see, for users holding a billing right."""
    query = query if query is not None else CreditNote.select()
    ids = _billing_scope(user)
    if not ids:
        return query.where(CreditNote.id == -1)
    return query.where(CreditNote.organisation.in_(ids) & CreditNote.dossier.in_(visible_dossier_ids(user)))


def get_credit_note_or_404(number, user=None):
    return _first_or_404(credit_note_visibility(user=user).where(CreditNote.number == _int_or_404(number)))


def payment_visibility(query=None, user=None):
    """Payments to the organisations of the scope, for users holding the billing right of every dossier paid."""
    query = query if query is not None else Payment.select()
    ids = _billing_scope(user)
    if not ids:
        return query.where(Payment.id == -1)
    query = query.where(Payment.organisation.in_(ids))
    line_dossier = Dossier.alias("paid_dossier")
    refused = _unbillable_dossiers(line_dossier, user)
    if refused is None:
        return query
    bad_line = (PaymentLine.select(PaymentLine.id).join(line_dossier, on=(PaymentLine.dossier == line_dossier.id))
                .where((PaymentLine.payment == Payment.id) & refused))
    return query.where(~fn.EXISTS(bad_line))


def notification_visibility(query=None, user=None):
    """The notifications addressed to this user (services.notify writes one per entitled user)."""
    user = user or current_user
    query = query if query is not None else Notification.select()
    ids = organisation_scope(user)
    if not ids:
        return query.where(Notification.id == -1)
    return query.where(Notification.organisation.in_(ids) & (Notification.user == user.id))


def get_notification_or_404(notification_id, user=None):
    return _first_or_404(notification_visibility(user=user).where(Notification.id == _int_or_404(notification_id)))


def _delegations(side, user=None):
    org = current_organisation(user)
    if org is None:
        return Delegation.select().where(Delegation.id == -1)
    other = Delegation.delegator if side == "received" else Delegation.delegate
    mine = Delegation.delegate if side == "received" else Delegation.delegator
    return (Delegation.select(Delegation, Organisation).join(Organisation, on=(other == Organisation.id))
            .where(mine == org.id))


def delegations_received(user=None):
    """Delegations the current organisation asked for or holds (every state), with the delegating organisation."""
    return _delegations("received", user)


def delegations_given(user=None):
    """Delegations of the current organisation's contracts to others (every state), with the delegate."""
    return _delegations("given", user)


def get_delegation_or_404(delegation_id, user=None):
    """A delegation the current organisation is a party to (either side)."""
    org = current_organisation(user)
    if org is None:
        abort(404)
    delegation_id = _int_or_404(delegation_id)
    return _first_or_404(Delegation.select().where(
        (Delegation.id == delegation_id) & ((Delegation.delegate == org.id) | (Delegation.delegator == org.id))))


def _first_or_404(query):
    """The one row of a scoped query, or 404: never a hint that it exists outside the scope."""
    row = query.first()
    if row is None:
        abort(404)
    return row


def _int_or_404(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < value < 2 ** 62:
        abort(404)
    return value


def portal_login_required(view):
    """CFA/employer pages: anonymous → /connexion, staff → 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if current_user.kind not in ("cfa", "employer"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def cfa_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if current_user.kind != "cfa" or current_membership() is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def right_required(*rights):
    """Require any of the given rights on the current organisation ('billing' = any billing right)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            if current_user.kind != "cfa" or current_membership() is None:
                abort(403)
            ok = any(has_billing_right() if r == "billing" else is_admin_of() if r == "admin_of" else has_right(r)
                     for r in rights)
            if not ok:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
