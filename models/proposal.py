"""Contract pre-entry (CERFA) sent by a CFA to an employer, and API keys."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, JSONField, now
from .dossier import Dossier
from .organisation import Organisation
from .states import ProposalState
from .user import User

PROPOSAL_STATES = ProposalState.choices()


class ContractProposal(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="proposals", on_delete="CASCADE")
    employer_siret = CharField(max_length=14, default="", index=True)
    employer_name = CharField(max_length=200, default="")
    apprentice_last_name = CharField(max_length=100, default="")
    apprentice_first_name = CharField(max_length=100, default="")
    state = CharField(max_length=18, choices=PROPOSAL_STATES, default=ProposalState.DRAFT.value)
    data = JSONField(default=dict)
    dossier = ForeignKeyField(Dossier, null=True, on_delete="SET NULL")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    # The employer's management mandate (seed 004 *mandat de gestion*) the CFA declared with its signed
    # attestation (a Document, declared after this table, hence no foreign key): the CFA may then transmit
    # to the OPCO itself.
    mandate_document_id = IntegerField(null=True)
    mandate_declared_at = DateTimeField(null=True)
    mandate_declared_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="mandates_declared")
    # The API key (declared after this table) of the CFA's software that deposited it (`POST /api/v1/contrats`):
    # its dossier then shows « déposé par API ».
    api_key_id = IntegerField(null=True)


class ProposalStep(BaseModel):
    proposal = ForeignKeyField(ContractProposal, backref="steps", on_delete="CASCADE")
    state = CharField(max_length=18, choices=PROPOSAL_STATES)
    note = TextField(default="")
    by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now)


class ApiKey(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="api_keys", on_delete="CASCADE")
    name = CharField(max_length=100, default="")
    prefix = CharField(max_length=12, index=True)
    key_hash = CharField(max_length=128, unique=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)
    expiry_warned_at = DateTimeField(null=True)  # when its administrators were told it expires in 30 days
