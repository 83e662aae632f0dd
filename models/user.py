"""Users of every kind and their memberships of organisations, with the six rights."""
import secrets

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from .base import BaseModel, JSONField, now
from .organisation import Employer, Organisation

USER_KINDS = [("staff", "Personnel OPCO"), ("cfa", "Utilisateur CFA"), ("employer", "Employeur")]
STAFF_ROLES = [("conseiller", "Conseiller"), ("comptable", "Comptable"), ("admin", "Administrateur")]
MEMBERSHIP_ROLES = [("admin_of", "Administrateur OF"), ("gestionnaire_of", "Gestionnaire OF")]

# The six rights of OPCO EP (seed 003), as membership boolean columns.
RIGHTS = [
    ("right_contracts", "Gérer les contrats"),
    ("right_contracts_billing", "Gérer les contrats et leur facturation"),
    ("right_stock", "Gérer les contrats de stock"),
    ("right_stock_billing", "Gérer les contrats de stock et leur facturation"),
    ("right_no_contract", "Gérer les apprentis sans contrat"),
    ("right_no_contract_billing", "Gérer les apprentis sans contrat et leur facturation"),
]


def new_session_token():
    return secrets.token_urlsafe(24)


class User(BaseModel):
    email = CharField(max_length=254, unique=True)  # stored lower-case
    password_hash = CharField(max_length=255, default="")
    last_name = CharField(max_length=100, default="")
    first_name = CharField(max_length=100, default="")
    active = BooleanField(default=True)
    email_confirmed_at = DateTimeField(null=True)
    pending_email = CharField(max_length=254, null=True)  # the new login asked for, until its link is opened
    kind = CharField(max_length=10, choices=USER_KINDS, index=True)
    staff_role = CharField(max_length=12, null=True, choices=STAFF_ROLES)
    employer = ForeignKeyField(Employer, null=True, backref="users", on_delete="SET NULL")
    newsletter = BooleanField(default=False)
    notification_email = CharField(max_length=254, default="")  # where notices go; empty: the login email
    daily_digest = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    session_token = CharField(max_length=64, default=new_session_token, index=True)
    last_login_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)
    # The organisation this user registered by its SIRET (seed 001 *Pas de compte ?*); unique, so one
    # self-registered account per organisation. Such an account signs in once its email is confirmed.
    registered_for = ForeignKeyField(Organisation, null=True, unique=True, backref="self_registrations",
                                     on_delete="SET NULL")
    # The columns the user chose to see in each portal list ({"dossiers": ["cfa", "budget", …]}); None: defaults.
    list_columns = JSONField(null=True)

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    # Flask-Login protocol, kept here because it is a property of the account.
    @property
    def is_active(self):
        return bool(self.active)

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return self.session_token

    @property
    def awaiting_activation(self):
        """A self-registered account whose activation link has not been followed yet (`active` stays the
        administrators' switch: a deactivated account is another thing)."""
        return self.registered_for_id is not None and self.email_confirmed_at is None

    @property
    def is_staff(self):
        return self.kind == "staff"

    @property
    def notices_address(self):
        """Where notification emails (the daily digest) go: the chosen address, else the login email."""
        return self.notification_email or self.email

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email


class Membership(BaseModel):
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    organisation = ForeignKeyField(Organisation, backref="memberships", on_delete="CASCADE")
    role = CharField(max_length=16, choices=MEMBERSHIP_ROLES, default="gestionnaire_of")
    right_contracts = BooleanField(default=True)
    right_contracts_billing = BooleanField(default=False)
    right_stock = BooleanField(default=False)
    right_stock_billing = BooleanField(default=False)
    right_no_contract = BooleanField(default=False)
    right_no_contract_billing = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "organisation"), True),)

    def __str__(self):
        return f"{self.user.email} @ {self.organisation.name}"

    @property
    def rights(self):
        return {name for name, _ in RIGHTS if getattr(self, name)}
