"""Schema migrations: numbered steps add columns to a live database without losing its rows."""
from peewee import CharField
from playhouse.migrate import SqliteMigrator, migrate

import models
from models import migrations


def test_a_new_step_adds_a_column_and_keeps_the_data(app, db, factory, monkeypatch):
    org = factory.organisation(name="CFA Conservé")
    version = models.SchemaVersion.get().version

    def add_motto(migrator):
        migrate(migrator.add_column("organisation", "motto", CharField(default="Former pour demain")))

    monkeypatch.setattr(migrations, "STEPS", migrations.STEPS + [add_motto])
    try:
        assert migrations.migrate_schema() == 1
        assert models.SchemaVersion.get().version == version + 1
        row = db.execute_sql("SELECT name, motto FROM organisation WHERE id = %s" % int(org.id)).fetchone()
        assert tuple(row) == ("CFA Conservé", "Former pour demain")
        assert migrations.migrate_schema() == 0  # applied once only
    finally:
        migrate(migrations.SchemaMigrator.from_database(db).drop_column("organisation", "motto"))
        models.SchemaVersion.update(version=version).execute()


def test_init_db_is_idempotent_on_an_existing_database(app, db, factory):
    factory.organisation(name="Toujours là")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert models.Organisation.select().where(models.Organisation.name == "Toujours là").exists()


def test_a_database_from_before_the_token_table_gets_it_from_its_step(app, db):
    """Step 1 creates the one-time token table on a database made before it existed."""
    version = models.SchemaVersion.get().version
    db.drop_tables([models.OneTimeToken])
    models.SchemaVersion.update(version=0).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS)
        assert "one_time_token" in db.get_tables()
        assert models.SchemaVersion.get().version == len(migrations.STEPS)
    finally:
        db.create_tables([models.OneTimeToken], safe=True)


def test_step_two_gives_an_old_outbox_its_delivery_columns_and_keeps_its_emails(app, db):
    """A database created before emails left by SMTP: its outbox gains html_body, attempts, last_error, claimed_at."""
    columns = ("html_body", "attempts", "last_error", "claimed_at")
    models.OutboxEmail.create(recipient="ancien@cfa.test", subject="Écrit avant", body="Corps")
    migrator = migrations.SchemaMigrator.from_database(db)
    migrate(*[migrator.drop_column("outbox_email", name) for name in columns])
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0002_outbox_delivery)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        present = {column.name for column in db.get_columns("outbox_email")}
        assert set(columns) <= present
        row = models.OutboxEmail.get()
        assert (row.recipient, row.subject, row.attempts, row.sent_at) == ("ancien@cfa.test", "Écrit avant", 0, None)
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_step_four_gives_an_old_user_table_its_pending_email_and_keeps_the_users(app, db, factory):
    """A database from before the change of login email: `user` gains `pending_email`, its rows stay."""
    user = factory.staff("admin", email="ancien@opco.test")
    migrate(migrations.SchemaMigrator.from_database(db).drop_column("user", "pending_email"))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0004_user_pending_email)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "pending_email" in {column.name for column in db.get_columns("user")}
        saved = models.User.get_by_id(user.id)
        assert (saved.email, saved.pending_email) == ("ancien@opco.test", None)
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_step_nine_gives_an_old_document_table_its_proposal_column_and_keeps_the_documents(app, db, factory):
    """A database from before the Documents tab of proposals: `document` gains `proposal_id`, its rows stay."""
    org = factory.organisation(name="CFA Ancien")
    document = models.Document.create(organisation=org, doc_type="convention", original_name="ancienne.pdf",
                                      stored_name="ancienne-0009.pdf", sha256="0" * 64, size=10)
    migrator = migrations.SchemaMigrator.from_database(db)
    legacy = {"legacy": True} if isinstance(migrator, SqliteMigrator) else {}  # SQLite rebuilds the table (a FK)
    migrate(migrator.drop_column("document", "proposal_id", **legacy))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0009_document_proposal)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "proposal_id" in {column.name for column in db.get_columns("document")}
        saved = models.Document.get_by_id(document.id)
        assert (saved.original_name, saved.proposal_id) == ("ancienne.pdf", None)
        assert migrations.migrate_schema() == 0
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_step_eleven_gives_an_old_api_key_table_its_expiry_warning_column_and_keeps_the_keys(app, db, factory):
    """A database from before the expiry warning: `api_key` gains `expiry_warned_at`, its keys stay usable."""
    from workflows.api_keys import create_key, find_key

    key, raw = create_key(factory.organisation(name="CFA Ancien"), "Ypareo")
    migrator = migrations.SchemaMigrator.from_database(db)
    legacy = {"legacy": True} if isinstance(migrator, SqliteMigrator) else {}
    migrate(migrator.drop_column("api_key", "expiry_warned_at", **legacy))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0011_api_key_expiry_warning)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "expiry_warned_at" in {column.name for column in db.get_columns("api_key")}
        found = find_key(raw)
        assert (found.id, found.name, found.expiry_warned_at) == (key.id, "Ypareo", None)
        assert migrations.migrate_schema() == 0
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_step_twelve_gives_an_old_database_the_webhook_tables_and_keeps_its_rows(app, db, factory):
    """A database from before webhooks: the endpoints, deliveries and attempts tables appear, nothing else moves."""
    org = factory.organisation(name="CFA d'avant les webhooks")
    tables = [models.WebhookAttempt, models.WebhookDelivery, models.WebhookEndpoint]
    db.drop_tables(tables)
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0012_webhooks)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert {"webhook_endpoint", "webhook_delivery", "webhook_attempt"} <= set(db.get_tables())
        assert {i.name for i in db.get_indexes("webhook_delivery")} >= {"webhook_delivery_state_next_attempt_at"}
        endpoint = models.WebhookEndpoint.create(organisation=org, url="https://cfa.example.fr/in", secret="s")
        assert models.WebhookDelivery.create(endpoint=endpoint, event="dossier.etat", payload={}).state == "pending"
        assert models.Organisation.get_by_id(org.id).name == "CFA d'avant les webhooks"
        assert migrations.migrate_schema() == 0
    finally:
        db.create_tables(list(reversed(tables)), safe=True)
        models.SchemaVersion.update(version=version).execute()


def test_step_thirteen_gives_an_old_proposal_table_its_api_key_column(app, db, factory):
    """A database from before the API's deposits: `contract_proposal` gains `api_key_id`, its rows stay."""
    org = factory.organisation(name="CFA Ancien")
    proposal = models.ContractProposal.create(organisation=org, data={"apprenti.nom": "Ancien"})
    migrator = migrations.SchemaMigrator.from_database(db)
    migrate(migrator.drop_column("contract_proposal", "api_key_id"))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0013_proposal_api_key)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "api_key_id" in {column.name for column in db.get_columns("contract_proposal")}
        saved = models.ContractProposal.get_by_id(proposal.id)
        assert (saved.data, saved.api_key_id) == ({"apprenti.nom": "Ancien"}, None)
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_step_15_gives_an_old_database_the_name_key_backfilled_and_the_list_indexes(app, db, factory):
    """A database from before the lists' step: dossiers without the normalised name, the old 2-column indexes."""
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, apprentice_name="BÉRANGER Zoé")
    migrator = migrations.SchemaMigrator.from_database(db)
    for index in db.get_indexes("dossier"):
        if "apprentice_name_key" in index.columns:
            migrate(migrator.drop_index("dossier", index.name))
    migrate(migrator.drop_column("dossier", "apprentice_name_key"),
            migrator.add_index("dossier", ("organisation_id", "state"), False))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0015_list_indexes)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert models.Dossier.get_by_id(dossier.id).apprentice_name_key == "beranger zoe"
        names = {index.name for index in db.get_indexes("dossier")}
        assert "dossier_organisation_id_state" not in names
        assert {"dossier_organisation_id_state_id", "dossier_organisation_id_apprentice_name_key_id",
                "dossier_apprentice_name_key"} <= names
        assert {"invoice_organisation_id_id", "invoice_submitted_at"} <= {i.name for i in db.get_indexes("invoice")}
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_optimize_db_gives_the_planner_statistics(app, db, factory):
    """`flask optimize-db` analyses the database; then one dossier's installments are read through their
    (dossier, …) indexes, not the (status, billable_from) one."""
    for _ in range(3):
        factory.dossier()
    result = app.test_cli_runner().invoke(args=["optimize-db"])
    assert result.exit_code == 0 and "ANALYZE" in result.output
    if models.is_postgres():
        return
    assert db.execute_sql("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0
    plan = " ".join(str(row[-1]) for row in db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT * FROM installment WHERE dossier_id = 1 AND status = 'a_facturer'"))
    assert "(dossier_id=?" in plan and "installment_status_billable_from" not in plan, plan


def test_step_fourteen_gives_an_old_database_its_dashboard_counters_filled_from_its_dossiers(app, db, factory):
    """A database from before the counters: the table appears, filled by one INSERT … SELECT … GROUP BY."""
    org = factory.organisation(name="CFA d'avant les compteurs")
    factory.dossier(organisation=org)
    factory.dossier(organisation=org)
    factory.dossier(organisation=org, state="engage", scheme="pro_a", is_stock=True)
    db.drop_tables([models.DossierCounter])
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0014_dossier_counters)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert models.DossierCounter.kept_counts() == {(org.id, "recu", "apprentissage", False, False): 2,
                                                       (org.id, "engage", "pro_a", True, False): 1}
        assert models.DossierCounter.kept_counts() == models.DossierCounter.fresh_counts()
        assert migrations.migrate_schema() == 0
    finally:
        db.create_tables([models.DossierCounter], safe=True)
        models.SchemaVersion.update(version=version).execute()


def test_step_eighteen_gives_old_invoices_their_comment_and_the_list_its_sort_indexes(app, db, factory):
    """A database from before the declared invoice: its invoices keep their rows and gain an empty comment; the
    portal's list gets its (organisation, amount, id) and (organisation, invoice date, id) indexes."""
    org = factory.organisation()
    invoice = models.Invoice.create(organisation=org, number=42, state="en_traitement", total_ttc=12)
    # a line refers to the invoice: SQLite rebuilds the invoice table to add the NOT NULL column under it
    line = models.InvoiceLine.create(invoice=invoice, dossier=factory.dossier(organisation=org), nature="teaching",
                                     quantity=1, amount=12)
    migrator = migrations.SchemaMigrator.from_database(db)
    indexes = ("invoice_organisation_id_total_ttc_id", "invoice_organisation_id_cfa_invoice_date_id")
    migrate(*[migrator.drop_index("invoice", name) for name in indexes], migrator.drop_column("invoice", "comment"))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0018_invoice_declared_invoice)
    models.SchemaVersion.update(version=before).execute()
    try:
        migrations.migrate_schema()
        assert {"comment"} <= {column.name for column in db.get_columns("invoice")}
        assert set(indexes) <= {index.name for index in db.get_indexes("invoice")}
        row = models.Invoice.get_by_id(invoice.id)
        assert (row.number, row.comment, str(row.total_ttc)) == (42, "", "12.00")
        assert models.InvoiceLine.get_by_id(line.id).invoice_id == invoice.id
    finally:
        models.SchemaVersion.update(version=version).execute()
