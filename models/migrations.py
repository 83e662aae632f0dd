"""Schema creation and small numbered migration steps (playhouse.migrate).

Add a step as a function taking a `SchemaMigrator` and append it to STEPS:
the schema version is the number of steps applied.
"""
from peewee import BooleanField, CharField, DateTimeField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator, migrate

from .base import db, is_postgres
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


def _0013_proposal_api_key(migrator):
    """A proposal deposited by a CFA's software keeps its API key: the dossier page says « déposé par API »."""
    _add_missing_columns(migrator, "contract_proposal", [("api_key_id", IntegerField(null=True))])


OLD_DOSSIER_LIST_INDEXES = ("dossier_organisation_id_state", "dossier_organisation_id_scheme",
                            "dossier_organisation_id_contract_start", "dossier_organisation_id_apprentice_name")


def fill_apprentice_name_keys(batch=5000):
    """Compute `Dossier.apprentice_name_key` where it is empty (rows written before the column, or by bulk
    loads that bypass save()); return how many rows were filled."""
    from rules.double_funding import name_key
    from .dossier import Dossier

    filled, last = 0, 0
    sql = f'UPDATE "dossier" SET "apprentice_name_key" = {db.param} WHERE "id" = {db.param}'
    while True:
        rows = list(Dossier.select(Dossier.id, Dossier.apprentice_name)
                    .where((Dossier.id > last) & (Dossier.apprentice_name_key == "") & (Dossier.apprentice_name != ""))
                    .order_by(Dossier.id).limit(batch).tuples())
        if not rows:
            return filled
        with db.atomic():
            db.cursor().executemany(sql, [(name_key(name), dossier_id) for dossier_id, name in rows])
        filled += len(rows)
        last = rows[-1][0]


def _0015_list_indexes(migrator):
    """Lists at a million dossiers: the normalised apprentice name (accent-insensitive prefix search), one
    (organisation, column, id) index per sort the portal list offers, so no page sorts the organisation, and
    the invoices' (organisation, id) for their keyset pages."""
    from .dossier import Dossier

    present = {column.name for column in db.get_columns("dossier")}
    if "apprentice_name_key" not in present:
        migrate(migrator.add_column("dossier", "apprentice_name_key", Dossier.apprentice_name_key))
    indexed = {index.name for index in db.get_indexes("dossier")}
    for name in OLD_DOSSIER_LIST_INDEXES:
        if name in indexed:
            migrate(migrator.drop_index("dossier", name))
    for index in Dossier._meta.fields_to_index():
        if index._name not in indexed:
            db.execute(index.safe(True))
    invoice_indexes = {index.name for index in db.get_indexes("invoice")}
    if "invoice_organisation_id_id" not in invoice_indexes:
        migrate(migrator.add_index("invoice", ("organisation_id", "id"), False))
    if "invoice_submitted_at" not in invoice_indexes:
        migrate(migrator.add_index("invoice", ("submitted_at",), False))
    fill_apprentice_name_keys()


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


def _0016_export_requests(migrator):
    """Exports computed by the worker (« Exporter en arrière-plan », « Mes exports »)."""
    from .exports import ExportRequest

    db.create_tables([ExportRequest], safe=True)


def _0017_list_columns_and_requested_npec(migrator):
    """The columns each user keeps in the portal's dossier list, and the NPEC a CFA asked for beside the one the
    OPCO agreed (*accord de financement*, seed 004). Both nullable: no rewrite of a million dossiers."""
    from .dossier import Dossier
    from .user import User

    if "list_columns" not in {column.name for column in db.get_columns("user")}:
        migrate(migrator.add_column("user", "list_columns", User.list_columns))
    if "requested_npec" not in {column.name for column in db.get_columns("dossier")}:
        migrate(migrator.add_column("dossier", "requested_npec", Dossier.requested_npec))


def _0018_invoice_declared_invoice(migrator):
    """The CFA's invoice as deposited (seed 004): its comment; the portal's invoice list sorted by amount and by
    invoice date on (organisation, column, id) indexes."""
    _add_missing_columns(migrator, "invoice", [("comment", TextField(default=""))])
    indexes = {index.name for index in db.get_indexes("invoice")}
    for columns in (("organisation_id", "total_ttc", "id"), ("organisation_id", "cfa_invoice_date", "id")):
        if "invoice_" + "_".join(columns) not in indexes:
            migrate(migrator.add_index("invoice", columns, False))


def _0019_billing_history_indexes(migrator):
    """The portal's payments list (newest first, one organisation's range) and mass-invoicing history read on
    an index at a million dossiers instead of sorting or filtering the organisation's rows."""
    payment_indexes = {index.name for index in db.get_indexes("payment")}
    if "payment_organisation_id_date_id" not in payment_indexes:
        migrate(migrator.add_index("payment", ("organisation_id", "date", "id"), False))
    invoice_indexes = {index.name for index in db.get_indexes("invoice")}
    if "invoice_organisation_id_kind_id" not in invoice_indexes:
        migrate(migrator.add_index("invoice", ("organisation_id", "kind", "id"), False))


def _0020_stock_verification(migrator):
    """Stock contracts (seed 003): the CFA's answers on each one, its own (organisation, is_stock, id) list
    range, and the (organisation, state, scheme, id) range behind the dashboard grid's links."""
    from .dossier import Dossier, StockVerification

    db.create_tables([StockVerification], safe=True)
    indexed = {index.name for index in db.get_indexes("dossier")}
    for index in Dossier._meta.fields_to_index():
        if index._name not in indexed:
            db.execute(index.safe(True))


def _0021_news_and_helpdesk(migrator):
    """OPCO news broadcast to CFAs (news, targets, read marks) and the helpdesk contact shown on the portal."""
    from .news import OpcoNews, OpcoNewsRead, OpcoNewsTarget
    from .settings import HelpdeskContact, seed_helpdesk_contact

    db.create_tables([HelpdeskContact, OpcoNews, OpcoNewsTarget, OpcoNewsRead], safe=True)
    seed_helpdesk_contact()


def _0022_next_billable_from(migrator):
    """« Dossiers avec une échéance à facturer » as one index range: each dossier keeps the earliest billable
    date of its installments still to invoice, filled here in one UPDATE."""
    from .dossier import Dossier

    present = {column.name for column in db.get_columns("dossier")}
    if "next_billable_from" not in present:
        migrate(migrator.add_column("dossier", "next_billable_from", Dossier.next_billable_from))
    indexed = {index.name for index in db.get_indexes("dossier")}
    if "dossier_organisation_id_state_next_billable_from" not in indexed:
        migrate(migrator.add_index("dossier", ("organisation_id", "state", "next_billable_from"), False))
    db.execute_sql('UPDATE "dossier" SET next_billable_from = (SELECT MIN(i.billable_from) FROM "installment" i '
                   "WHERE i.dossier_id = \"dossier\".id AND i.status = 'to_invoice')")


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
    _0013_proposal_api_key,
    _0014_dossier_counters,
    _0015_list_indexes,
    _0016_export_requests,
    _0017_list_columns_and_requested_npec,
    _0018_invoice_declared_invoice,
    _0019_billing_history_indexes,
    _0020_stock_verification,
    _0021_news_and_helpdesk,
    _0022_next_billable_from,
]
SCHEMA_VERSION = len(STEPS)


def refresh_planner_statistics(full=False):
    """Give the query planner its statistics: without them SQLite picks the `(status, billable_from)` index for
    one dossier's installments and sorts whole organisations.

    SQLite: `ANALYZE` when the database was never analysed or `full` (sampled, `analysis_limit`, so it takes
    seconds at a million rows), then `PRAGMA optimize`; PostgreSQL: `ANALYZE` (autovacuum does it too, this
    makes it sure after a bulk load). Returns what ran.
    """
    from .base import is_postgres

    if is_postgres():
        db.execute_sql("ANALYZE")
        return ["ANALYZE"]
    ran = []
    analysed = db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
    if full or not analysed or not db.execute_sql("SELECT 1 FROM sqlite_stat1 LIMIT 1").fetchone():
        db.execute_sql("PRAGMA analysis_limit = 1000")
        db.execute_sql("ANALYZE")
        ran.append("ANALYZE")
    db.execute_sql("PRAGMA optimize")
    ran.append("PRAGMA optimize")
    return ran


def create_schema():
    """Create every table (idempotent) and stamp the current version on a new database."""
    from . import MODELS

    with db.atomic():
        db.create_tables(MODELS, safe=True)
        if not SchemaVersion.select().exists():
            SchemaVersion.create(version=SCHEMA_VERSION)
    migrate_schema()
    from .settings import seed_helpdesk_contact, seed_smic_rates
    seed_smic_rates()
    seed_helpdesk_contact()
    refresh_planner_statistics()


def migrate_schema():
    """Apply the steps the database has not seen yet; return how many ran."""
    row = SchemaVersion.select().first()
    current = row.version if row else 0
    migrator = SchemaMigrator.from_database(db.obj)
    ran = 0
    steps = list(enumerate(STEPS[current:], start=current + 1))
    # SQLite rebuilds a table to add a NOT NULL column; with foreign keys enforced, dropping the old copy of a
    # referenced table (invoice, dossier…) fails. Its documented recipe: keys off around the change (the pragma
    # is ignored inside a transaction), then foreign_key_check before the version is stamped.
    sqlite = steps and not is_postgres() and not db.in_transaction()
    if sqlite:
        db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for index, step in steps:
            with db.atomic():
                step(migrator)
                if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchone():
                    raise RuntimeError(f"migration {step.__name__} : clés étrangères incohérentes")
                SchemaVersion.update(version=index).execute()
            ran += 1
    finally:
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = ON")
    if ran:
        refresh_planner_statistics()
    return ran
