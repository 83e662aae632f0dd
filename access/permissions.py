"""One permission map and one question: `can(actor, permission, obj=None)`.

An actor is a `Scope` (a staff user, a CFA or employer user in the organisation picked in the header, or an
API key) or, for the OPCO's staff, their `User`. Role-level permissions come from the map below; a
permission asked about an object also checks that the object belongs to the actor's organisations and,
for dossiers, that the actor holds the right of that kind of dossier (contracts, stock, without contract).
"""
from models import Organisation

from .scope import BILLING_RIGHTS, RIGHTS, Scope

STAFF_PERMISSIONS = {
    "conseiller": {
        "backoffice.read", "dossier.instruct", "dossier.edit", "apprentice.manage", "employer.manage",
        "delegation.read", "news.publish",
    },
    "comptable": {
        "backoffice.read", "invoice.decide", "payment.record", "credit_note.manage", "bank_details.review",
        "bank_details.read_iban", "delegation.read",
    },
}
STAFF_PERMISSIONS["admin"] = set().union(*STAFF_PERMISSIONS.values()) | {
    "organisation.manage", "user.manage", "registration.decide", "delegation.decide", "referential.manage",
    "settings.manage", "api_key.revoke", "delegation.end",
}

# CFA permissions: the rights that grant each (any one of them); ADMIN_OF grants it to an administrator OF.
ADMIN_OF = "admin_of"
MANAGE_RIGHTS = frozenset(RIGHTS)
CONTRACT_RIGHTS = frozenset({"right_contracts", "right_contracts_billing", "right_stock", "right_stock_billing"})
CFA_PERMISSIONS = {
    "portal.use": None,  # any membership
    "dossier.view": MANAGE_RIGHTS,
    "dossier.manage": MANAGE_RIGHTS,
    "dossier.change_contract": CONTRACT_RIGHTS,  # ruptures and amendments: dossiers that have a contract
    "dossier.bill": BILLING_RIGHTS,  # invoices, payments, credit notes, expired dossiers, mass invoicing
    "billing_settings.manage": BILLING_RIGHTS | {ADMIN_OF},  # bank details page, credit-note settlement mode
    "proposal.manage": frozenset({"right_contracts", "right_contracts_billing"}),
    "stock.manage": frozenset({"right_stock", "right_stock_billing"}),  # *Mes contrats stockés* and their check
    "organisation.admin": {ADMIN_OF},  # profile, users and rights, API keys, delegations
    "delegation.request": {ADMIN_OF},
    "delegation.decide": {ADMIN_OF},
    "delegation.end": {ADMIN_OF},
    "bank_details.submit": BILLING_RIGHTS | {ADMIN_OF},
    "user.manage": {ADMIN_OF},
    "user.read": None,  # the users list, read-only for a gestionnaire OF (seed 004)
    "api_key.manage": {ADMIN_OF},
}
EMPLOYER_PERMISSIONS = {"portal.use", "proposal.decide"}

# For a dossier, the rights that manage it and that bill it, by its kind.
DOSSIER_RIGHTS = {
    "stock": ({"right_stock", "right_stock_billing"}, {"right_stock_billing"}),
    "no_contract": ({"right_no_contract", "right_no_contract_billing"}, {"right_no_contract_billing"}),
    "contract": ({"right_contracts", "right_contracts_billing"}, {"right_contracts_billing"}),
}


def dossier_kind(dossier):
    if dossier.is_stock:
        return "stock"
    if dossier.without_contract:
        return "no_contract"
    return "contract"


def as_scope(actor):
    """A Scope for `actor` (a Scope already, or a staff User); None when it cannot act."""
    if isinstance(actor, Scope):
        return actor
    if getattr(actor, "kind", None) == "staff" and getattr(actor, "staff_role", None):
        if getattr(actor, "is_authenticated", True) is False:
            return None
        return Scope.of_staff(actor)
    return None


def can(actor, permission, obj=None):
    scope = as_scope(actor)
    if scope is None:
        return False
    if scope.is_staff:
        return permission in STAFF_PERMISSIONS.get(scope.staff_role, ()) and _staff_object_rule(scope, permission, obj)
    if scope.kind == "employer":
        return permission in EMPLOYER_PERMISSIONS and _employer_object_rule(scope, obj)
    if scope.organisation_id is None:  # no active organisation (or a revoked key): nothing
        return False
    if scope.kind not in ("cfa", "api"):
        return False
    needed = CFA_PERMISSIONS.get(permission, False)
    if needed is False:
        return False
    allowed = needed is None or bool(scope.rights & needed) or (ADMIN_OF in needed and scope.is_admin_of)
    return allowed and _cfa_object_rule(scope, permission, obj)


def _staff_object_rule(scope, permission, obj):
    if permission == "bank_details.review" and obj is not None:
        # four eyes: whoever entered a RIB does not approve it
        entered_by = getattr(obj, "entered_by_id", None)
        return entered_by is None or entered_by != getattr(scope.user, "id", None)
    return True


def _cfa_object_rule(scope, permission, obj):
    if obj is None:
        return True
    if hasattr(obj, "is_stock") and hasattr(obj, "without_contract"):  # a dossier
        manage, bill = DOSSIER_RIGHTS[dossier_kind(obj)]
        needed = bill if permission == "dossier.bill" else manage
        return scope.covers(obj.organisation_id) and bool(scope.rights & needed)
    if isinstance(obj, Organisation):  # its own profile: only the organisation picked in the header
        return obj.id == scope.organisation_id
    if permission == "delegation.decide":  # the delegating organisation's administrator
        return getattr(obj, "delegator_id", None) == scope.organisation_id
    if hasattr(obj, "delegator_id") and hasattr(obj, "delegate_id"):  # a delegation: either party
        return scope.organisation_id in (obj.delegator_id, obj.delegate_id)
    return _in_scope(scope, obj)


def _employer_object_rule(scope, obj):
    """An employer acts on what is addressed to one of its SIRETs (a proposal), nothing else."""
    if obj is None:
        return bool(scope.employer_sirets)
    siret = getattr(obj, "employer_siret", None)
    return siret is not None and siret in scope.employer_sirets


def _in_scope(scope, obj):
    """An object with an organisation belongs to the actor's organisations."""
    if obj is None:
        return True
    org_id = getattr(obj, "organisation_id", None)
    if org_id is None:
        return True
    return scope.covers(org_id)
