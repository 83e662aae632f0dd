"""The SMIC is a dated setting: seeded in every database, maintained by staff admins in the back office."""
from datetime import date
from decimal import Decimal

import models
from models import migrations
from workflows.smic import smic_on


def test_a_new_database_knows_the_smic_and_picks_the_rate_in_effect(db):
    models.settings.seed_smic_rates()  # what create_schema does (the tests empty every table)
    assert smic_on(date(2025, 12, 15)).monthly == Decimal("1801.80")
    assert smic_on(date(2026, 3, 1)).hourly == Decimal("12.02")
    assert smic_on(date(2020, 1, 1)) is None


def test_an_admin_adds_a_revaluation_audited_and_it_applies_from_its_date(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    assert client.get("/admin/smicrate/").status_code == 200
    response = client.post_form("/admin/smicrate/new/", {"effective_from": "2027-01-01", "hourly": "12,30",
                                                          "monthly": "1865,51"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert smic_on(date(2027, 2, 1)).monthly == Decimal("1865.51")
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "smic_rate")
                                            & (models.AuditEntry.action == "create")).count() == 1


def test_only_staff_admins_maintain_the_smic(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    assert client.get("/admin/smicrate/").status_code == 200
    response = client.post_form("/admin/smicrate/new/", {"effective_from": "2027-01-01", "hourly": "1",
                                                          "monthly": "100"})
    assert response.status_code in (302, 403)
    assert not models.SmicRate.select().where(models.SmicRate.effective_from == date(2027, 1, 1)).exists()


def test_an_implausible_amount_is_refused_in_french(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    response = client.post_form("/admin/smicrate/new/", {"effective_from": "2027-01-01", "hourly": "0",
                                                          "monthly": "1865"})
    assert response.status_code == 400
    assert "Entre 1 et 1 000 €" in response.get_data(as_text=True)


def test_step_five_creates_and_seeds_the_smic_table_on_an_older_database(app, db):
    version = models.SchemaVersion.get().version
    db.drop_tables([models.SmicRate])
    before = migrations.STEPS.index(migrations._0006_smic_rate)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert models.SmicRate.select().count() == len(models.settings.SMIC_SEED)
    finally:
        db.create_tables([models.SmicRate], safe=True)
        models.SchemaVersion.update(version=version).execute()
