"""Schema creation and small numbered migration steps (playhouse.migrate).

Add a step as a function taking a `SchemaMigrator` and append it to STEPS:
the schema version is the number of steps applied.
"""
from peewee import BooleanField, CharField, DateTimeField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from .base import db
from .settings import SchemaVersion



def _add_missing_columns(migrator, table, columns):
    """Add the columns a table lacks (a database created after the model changed already has them)."""
    present = {column.name for column in db.get_columns(table)}
    operations = [migrator.add_column(table, name, field) for name, field in columns if name not in present]
    if operations:
        migrate(*operations)


def _0001_create_one_time_token(migrator):
    """Emailed links (password reset, later activation and invitations) need their token table."""
    from .token import OneTimeToken
    db.create_tables([OneTimeToken], safe=True)


def _0002_outbox_delivery(migrator):
    """Outbox emails sent by SMTP: HTML alternative, attempts, last error, claim for one worker."""
    _add_missing_columns(migrator, "outbox_email", [
        ("html_body", TextField(null=True)), ("attempts", IntegerField(default=0)),
        ("last_error", TextField(null=True)), ("claimed_at", DateTimeField(null=True))])


def _0003_self_registration(migrator):
    """Registration by SIRET: the organisation a user registered for (unique), the sheet's comment."""
    from .user import User

    _add_missing_columns(migrator, "organisation", [("registration_comment", TextField(default=""))])
    present = {column.name for column in db.get_columns("user")}
    if "registered_for_id" not in present:  # with its unique index
        migrate(migrator.add_column("user", "registered_for_id", User.registered_for))


def _0004_user_pending_email(migrator):
    """A change of login email waits on the user for its confirmation link to be opened."""
    _add_missing_columns(migrator, "user", [("pending_email", CharField(max_length=254, null=True))])


def _0005_user_notification_email(migrator):
    """Mon compte: an address of its own for notification emails (empty: the login email)."""
    _add_missing_columns(migrator, "user", [("notification_email", CharField(max_length=254, default=""))])


def _0006_smic_rate(migrator):
    """The SMIC is a dated setting (CERFA minimum pay in euros): its table and the known rates."""
    from .settings import SmicRate, seed_smic_rates

    db.create_tables([SmicRate], safe=True)
    seed_smic_rates()


def _0007_proposal_mandate(migrator):
    """The employer's management mandate declared on a proposal, and the dossier deposited under it."""
    from .proposal import ContractProposal

    _add_missing_columns(migrator, "contract_proposal", [
        ("mandate_document_id", IntegerField(null=True)), ("mandate_declared_at", DateTimeField(null=True)),
        ("mandate_declared_by_id", ContractProposal.mandate_declared_by)])
    _add_missing_columns(migrator, "dossier", [("under_mandate", BooleanField(default=False))])


def _0008_apprentice_identity_indexes(migrator):
    """Double-funding detection finds an apprentice by NIR or by normalised identity through indexes."""
    from rules.double_funding import identity_key
    from .dossier import Apprentice

    _add_missing_columns(migrator, "apprentice", [("identity_key", CharField(max_length=240, default=""))])
    indexed = {index.name for index in db.get_indexes("apprentice")}
    operations = []
    if "apprentice_nir" not in indexed:
        operations.append(migrator.add_index("apprentice", ("nir",), False))
    if "apprentice_identity_key" not in indexed:
        operations.append(migrator.add_index("apprentice", ("identity_key",), False))
    if operations:
        migrate(*operations)
    rows = (Apprentice.select(Apprentice.id, Apprentice.birth_name, Apprentice.first_name, Apprentice.birth_date)
            .where(Apprentice.identity_key == "").tuples())
    for apprentice_id, last_name, first_name, birth_date in list(rows):
        key = identity_key(last_name, first_name, birth_date)
        if key:
            Apprentice.update(identity_key=key).where(Apprentice.id == apprentice_id).execute()


def _0009_document_proposal(migrator):
    """Documents joined to a contract proposal (Documents tab), attached to its dossier at transmission."""
    from .documents import Document

    present = {column.name for column in db.get_columns("document")}
    if "proposal_id" not in present:  # with its index
        migrate(migrator.add_column("document", "proposal_id", Document.proposal))


def _0010_idempotency_fingerprint(migrator):
    """API idempotency: the request a key answered (a repeat with another body is refused) and when."""
    _add_missing_columns(migrator, "idempotency_record", [
        ("fingerprint", CharField(max_length=64, default="")), ("completed_at", DateTimeField(null=True))])
    indexes = {index.name for index in db.get_indexes("idempotency_record")}
    if "idempotency_record_created_at" not in indexes:
        migrate(migrator.add_index("idempotency_record", ("created_at",), False))


def _0011_api_key_expiry_warning(migrator):
    """When the administrators of a key's organisation were warned of its expiry (once per key)."""
    from .proposal import ApiKey

    present = {column.name for column in db.get_columns("api_key")}
    if "expiry_warned_at" not in present:
        migrate(migrator.add_column("api_key", "expiry_warned_at", ApiKey.expiry_warned_at))


def _0012_webhooks(migrator):
    """Webhooks of the CFAs' software: endpoints, the delivery queue and the attempts' log."""
    from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

    db.create_tables([WebhookEndpoint, WebhookDelivery, WebhookAttempt], safe=True)


def _0014_dossier_counters(migrator):
    """Dashboards read counters kept with every change instead of counting a million dossiers: the table,
    filled from the existing dossiers in one INSERT … SELECT … GROUP BY; and the index that makes "a dossier
    with an installment to invoice" (actions à mener) one probe per dossier."""
    from .counters import DossierCounter, backfill_sql

    db.create_tables([DossierCounter], safe=True)
    if not DossierCounter.select().exists():
        db.execute_sql(backfill_sql())
    indexes = {index.name for index in db.get_indexes("installment")}
    if "installment_dossier_id_status_billable_from" not in indexes:
        migrate(migrator.add_index("installment", ("dossier_id", "status", "billable_from"), False))


STEPS = [
    _0001_create_one_time_token,
    _0002_outbox_delivery,
    _0003_self_registration,
    _0004_user_pending_email,
    _0005_user_notification_email,
    _0006_smic_rate,
    _0007_proposal_mandate,
    _0008_apprentice_identity_indexes,
    _0009_document_proposal,
    _0010_idempotency_fingerprint,
    _0011_api_key_expiry_warning,
    _0012_webhooks,
    _0014_dossier_counters,
]
SCHEMA_VERSION = len(STEPS)


def create_schema():
    """Create every table (idempotent) and stamp the current version on a new database."""
    from . import MODELS

    with db.atomic():
        db.create_tables(MODELS, safe=True)
        if not SchemaVersion.select().exists():
            SchemaVersion.create(version=SCHEMA_VERSION)
    migrate_schema()
    from .settings import seed_smic_rates
    seed_smic_rates()


def migrate_schema():
    """Apply the steps the database has not seen yet; return how many ran."""
    row = SchemaVersion.select().first()
    current = row.version if row else 0
    migrator = SchemaMigrator.from_database(db.obj)
    ran = 0
    for index, step in enumerate(STEPS[current:], start=current + 1):
        with db.atomic():
            step(migrator)
            SchemaVersion.update(version=index).execute()
        ran += 1
    return ran
