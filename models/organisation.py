"""CFA organisations, employers and the delegations between organisations."""
from peewee import (BooleanField, CharField, DateTimeField, DeferredForeignKey, ForeignKeyField, IntegerField,
                    TextField)

from .base import BaseModel, now
from .states import DelegationState, EmployerStatus, OrganisationStatus

ORG_STATUSES = OrganisationStatus.choices()
EMPLOYER_STATUSES = EmployerStatus.choices()
SETTLEMENT_MODES = [("deduction", "Déduction sur les prochains règlements"), ("refund", "Remboursement par virement")]


class Organisation(BaseModel):
    siret = CharField(max_length=14, unique=True)
    name = CharField(max_length=200)
    name_suite = CharField(max_length=200, default="")
    street = CharField(max_length=200, default="")
    street_suite = CharField(max_length=200, default="")
    postal_code = CharField(max_length=5, default="")
    city = CharField(max_length=100, default="")
    phone = CharField(max_length=20, default="")
    email = CharField(max_length=254, default="")
    uai = CharField(max_length=8, default="")
    da_number = CharField(max_length=20, default="")
    is_cfa = BooleanField(default=True)
    is_fpc_provider = BooleanField(default=False)
    for_profit = BooleanField(default=False)
    vat_liable = BooleanField(default=False)
    zone = CharField(max_length=200, default="")
    opco_reference = CharField(max_length=40, default="")
    contact_civility = CharField(max_length=10, default="")
    contact_last_name = CharField(max_length=100, default="")
    contact_first_name = CharField(max_length=100, default="")
    contact_function = CharField(max_length=100, default="")
    contact_phone = CharField(max_length=20, default="")
    contact_email = CharField(max_length=254, default="")
    status = CharField(max_length=10, default=OrganisationStatus.ACTIVE.value, choices=ORG_STATUSES, index=True)
    credit_note_mode = CharField(max_length=10, default="deduction", choices=SETTLEMENT_MODES)
    third_party_billing = BooleanField(default=False)
    esignature = BooleanField(default=False)
    parent = ForeignKeyField("self", null=True, backref="establishments", on_delete="SET NULL")
    registration_comment = TextField(default="")  # the *Commentaire* of the registration sheet (seed 001)
    created_at = DateTimeField(default=now)

    def __str__(self):
        return f"{self.name} ({self.siret})"


class Employer(BaseModel):
    siret = CharField(max_length=14, unique=True)
    name = CharField(max_length=200)
    street = CharField(max_length=200, default="")
    postal_code = CharField(max_length=5, default="")
    city = CharField(max_length=100, default="")
    naf = CharField(max_length=5, default="")
    idcc = CharField(max_length=4, default="")
    headcount = IntegerField(null=True)
    employer_type = CharField(max_length=60, default="Entreprise privée")
    collective_agreement = CharField(max_length=200, default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=20, default="")
    # An employer is deactivated, never deleted, once a dossier or a user refers to it.
    status = CharField(max_length=10, default=EmployerStatus.ACTIVE.value, choices=EMPLOYER_STATUSES, index=True)
    created_at = DateTimeField(default=now)

    def __str__(self):
        return f"{self.name} ({self.siret})"


class Delegation(BaseModel):
    """`delegate` manages the contracts of `delegator` once the request is approved (seed 001, SPEC §4).

    The states are DelegationState (models/states.py), their transitions the DELEGATION table of
    workflows/state_machines.py; only an approved delegation opens anything of the delegator to the delegate.
    """

    delegate = ForeignKeyField(Organisation, backref="delegations_received", on_delete="CASCADE")
    delegator = ForeignKeyField(Organisation, backref="delegations_given", on_delete="CASCADE")
    state = CharField(max_length=10, default=DelegationState.REQUESTED.value, choices=DelegationState.choices(),
                      index=True)
    requested_by = DeferredForeignKey("User", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    decided_by = DeferredForeignKey("User", null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    refusal_reason = TextField(default="")
    ended_by = DeferredForeignKey("User", null=True, on_delete="SET NULL")
    ended_at = DateTimeField(null=True)
    note = TextField(default="")

    class Meta:
        # History is kept: a pair may have several refused or ended rows, at most one open (checked on request).
        indexes = ((("delegate", "delegator"), False),)

    def __str__(self):
        return f"{self.delegator.name} → {self.delegate.name}"
