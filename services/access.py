"""Who may see and do what. Every portal query goes through `organisation_scope()`.

Access rules live here and nowhere else: views ask `allowed_organisation_ids`,
`current_organisation`, `has_right` and `scoped(...)` instead of filtering by hand.
"""
from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from models import Delegation, Dossier, Membership, Organisation

STAFF_ROLES_READ = {"conseiller", "comptable", "admin"}
BILLING_RIGHTS = {"right_contracts_billing", "right_stock_billing", "right_no_contract_billing"}


def is_staff(user=None, roles=None):
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or user.kind != "staff":
        return False
    return roles is None or user.staff_role in roles


def memberships(user=None):
    """The user's memberships (cached for the request)."""
    user = user or current_user
    cache = g.setdefault("_memberships", {})
    if user.id not in cache:
        cache[user.id] = list(
            Membership.select(Membership, Organisation)
            .join(Organisation)
            .where((Membership.user == user.id) & (Organisation.status == "active"))
            .order_by(Organisation.name)
        )
    return cache[user.id]


def member_organisations(user=None):
    return [m.organisation for m in memberships(user)]


def allowed_organisation_ids(user=None, organisation=None):
    """Organisation ids the user may act for through `organisation` (or all of theirs).

    A membership of A gives A, plus every organisation that delegates its contracts to A.
    """
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or user.kind != "cfa":
        return []
    own = [m.organisation.id for m in memberships(user)]
    if organisation is not None:
        own = [oid for oid in own if oid == organisation.id]
    if not own:
        return []
    delegators = [d.delegator_id for d in Delegation.select(Delegation.delegator).where(Delegation.delegate.in_(own))]
    return sorted(set(own) | set(delegators))


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
