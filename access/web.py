"""The Scope of the current request, the get-or-404 helpers and the decorators of the portal views.

The only module of `access/` that knows Flask: it builds the Scope from `current_user` and the organisation
picked in the header (kept in the session), caches it on `g` for the request, and turns "not in the scope"
into a 404 (never a hint that the record exists) and "not allowed" into a 403.
"""
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from access import scope as scoped
from access.permissions import can
from models import CreditNote, Delegation, Document, Dossier, Invoice, Letter, Notification


def _user():
    if not getattr(current_user, "is_authenticated", False):
        return None
    return current_user._get_current_object()


def _rows(user):
    """The user's memberships and approved delegators, read once per request."""
    cache = g.setdefault("_scope_rows", {})
    if user.id not in cache:
        cache[user.id] = scoped.memberships_of(user)
    return cache[user.id]


def forget_scope():
    """Drop the per-request cache (after a delegation or membership change in the same request)."""
    g.pop("_scope_rows", None)
    g.pop("_scope", None)


def current_scope():
    """The Scope of the signed-in user in the organisation picked in the header (cached for the request)."""
    scope = g.get("_scope")
    if scope is None or scope.user is not _user():
        user = _user()
        if user is None:
            scope = scoped.Scope(kind="anonymous")
        elif user.kind == "staff":
            scope = scoped.Scope.of_staff(user)
        else:
            scope = scoped.scope_for_user(user, session.get("organisation_id"), rows=_rows(user))
        g._scope = scope
    return scope


def memberships():
    """The signed-in user's memberships of active organisations (the header's organisation picker)."""
    user = _user()
    return _rows(user)[0] if user is not None and user.kind != "staff" else []


def current_membership():
    """The membership of the organisation picked in the header (the first one by default)."""
    return scoped.pick_membership(memberships(), session.get("organisation_id"))


def current_organisation():
    m = current_membership()
    return m.organisation if m else None


def set_current_organisation(siret):
    """Switch the organisation the portal works for (header picker); only among the user's memberships, else 404."""
    for m in memberships():
        if m.organisation.siret == str(siret):
            session["organisation_id"] = m.organisation.id
            g.pop("_scope", None)
            return m.organisation
    abort(404)


# --- get-or-404 ------------------------------------------------------------------------------------------

def first_or_404(query):
    """The one row of a scoped query, or 404: never a hint that it exists outside the scope."""
    row = query.first()
    if row is None:
        abort(404)
    return row


def int_or_404(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < value < 2 ** 62:
        abort(404)
    return value


def get_dossier_or_404(number, scope=None):
    """The one way a portal view loads a dossier by its number."""
    return first_or_404(scoped.dossiers(scope or current_scope()).where(Dossier.number == str(number)))


def get_letter_or_404(letter_id, dossier=None, scope=None):
    query = scoped.letters(scope or current_scope()).where(Letter.id == int_or_404(letter_id))
    if dossier is not None:
        query = query.where(Letter.dossier == dossier.id)
    return first_or_404(query)


def get_invoice_or_404(invoice_id, scope=None):
    return first_or_404(scoped.invoices(scope or current_scope()).where(Invoice.id == int_or_404(invoice_id)))


def get_document_or_404(document_id, dossier=None, scope=None):
    query = scoped.documents(scope or current_scope()).where(Document.id == int_or_404(document_id))
    if dossier is not None:
        query = query.where(Document.dossier == dossier.id)
    return first_or_404(query)


def get_credit_note_or_404(number, scope=None):
    return first_or_404(scoped.credit_notes(scope or current_scope()).where(CreditNote.number == int_or_404(number)))


def get_notification_or_404(notification_id, scope=None):
    query = scoped.notifications(scope or current_scope())
    return first_or_404(query.where(Notification.id == int_or_404(notification_id)))


def get_delegation_or_404(delegation_id, scope=None):
    """A delegation the current organisation is a party to (either side)."""
    query = scoped.delegations(scope or current_scope())
    return first_or_404(query.where(Delegation.id == int_or_404(delegation_id)))


# --- decorators ------------------------------------------------------------------------------------------

def _login():
    return redirect(url_for("auth.login", next=request.full_path))


def portal_login_required(view):
    """CFA/employer pages: anonymous → /connexion, staff → 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login()
        if current_user.kind not in ("cfa", "employer"):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def require(permission):
    """CFA pages needing `permission` in the organisation picked in the header: anonymous → /connexion, else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return _login()
            if current_user.kind != "cfa" or not can(current_scope(), permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


cfa_required = require("portal.use")


def get_proposal_or_404(proposal_id, scope=None):
    """A contract proposal of the current organisation's scope (CFA side), else 404."""
    from models import ContractProposal

    query = scoped.proposals(scope or current_scope())
    return first_or_404(query.where(ContractProposal.id == int_or_404(proposal_id)))
