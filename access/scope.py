"""The `Scope` an actor acts within: who they are, for which organisations, with which rights.

Built once per request from the signed-in user and the organisation picked in the portal header, or from
an API key (its organisation and the approved delegations to it), and handed to the workflows, which
never read the browser session. Staff act for the OPCO: no organisation, a role.
"""
from dataclasses import dataclass, field

RIGHTS = ("right_contracts", "right_contracts_billing", "right_stock", "right_stock_billing",
          "right_no_contract", "right_no_contract_billing")
BILLING_RIGHTS = frozenset({"right_contracts_billing", "right_stock_billing", "right_no_contract_billing"})


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

    @classmethod
    def of_staff(cls, user):
        return cls(kind="staff", user=user, staff_role=user.staff_role)

    @classmethod
    def of_membership(cls, membership, delegator_ids=()):
        """A CFA or employer user acting for the organisation of `membership` (and its approved delegators)."""
        user = membership.user
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
