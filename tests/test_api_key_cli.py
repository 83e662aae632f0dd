"""`flask api-key create|revoke|list` for the OPCO's operators, and `flask warn-api-keys` (cron)."""
import datetime as dt
import re

import models
from workflows import api_keys


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_prints_the_key_once_and_stores_only_its_hash(app, factory, db):
    org = factory.organisation(name="CFA Étoile", siret="42110064500967")
    result = run(app, "api-key", "create", "--siret", "421 100 645 00967", "--name", "Ypareo")
    assert result.exit_code == 0, result.output
    raws = re.findall(r"pcfa_[A-Za-z0-9_-]{32,}", result.output)
    assert len(raws) == 1 and "ne sera plus jamais affichée" in result.output
    key = models.ApiKey.get()
    assert key.organisation_id == org.id and key.name == "Ypareo" and key.key_hash == api_keys.hash_key(raws[0])
    entry = models.AuditEntry.get((models.AuditEntry.entity == "api_key") & (models.AuditEntry.action == "create"))
    assert entry.actor == "système" and entry.user_id is None and entry.note == "ligne de commande"
    assert raws[0] not in repr((entry.after, entry.note)) and key.key_hash not in repr(entry.after)
    listing = run(app, "api-key", "list")
    assert listing.exit_code == 0 and key.prefix in listing.output and "Ypareo" in listing.output
    assert raws[0] not in listing.output and key.key_hash not in listing.output and "1 clé(s)" in listing.output


def test_create_refuses_an_unknown_siret_an_inactive_organisation_or_a_bad_name(app, factory, db):
    factory.organisation(name="CFA Fermé", siret="42110064500967", status="inactive")
    open_org = factory.organisation(name="CFA Ouvert")
    unknown = run(app, "api-key", "create", "--siret", "00000000000000", "--name", "x")
    assert unknown.exit_code != 0 and "Aucun organisme" in unknown.output
    closed = run(app, "api-key", "create", "--siret", "42110064500967", "--name", "x")
    assert closed.exit_code != 0 and "n'est pas actif" in closed.output
    long = run(app, "api-key", "create", "--siret", open_org.siret, "--name", "x" * 101)
    assert long.exit_code != 0 and "100 caractères" in long.output
    assert models.ApiKey.select().count() == 0


def test_revoke_by_prefix_or_id_is_audited_once(app, factory, db):
    org = factory.organisation()
    first, raw = api_keys.create_key(org, "Ypareo")
    second, _ = api_keys.create_key(org, "Gesti")
    result = run(app, "api-key", "revoke", "--prefix", first.prefix)
    assert result.exit_code == 0 and "révoquée" in result.output
    again = run(app, "api-key", "revoke", "--prefix", first.prefix)
    assert again.exit_code == 0 and "était déjà révoquée" in again.output
    assert run(app, "api-key", "revoke", "--id", str(second.id)).exit_code == 0
    assert not api_keys.is_usable(api_keys.find_key(raw))
    entries = list(models.AuditEntry.select().where(models.AuditEntry.action == "revoke")
                   .order_by(models.AuditEntry.id))
    assert [e.entity_id for e in entries] == [str(first.id), str(second.id)]
    assert all(e.actor == "système" and "ligne de commande" in e.note for e in entries)
    assert run(app, "api-key", "revoke", "--prefix", "pcfa_inconnu").exit_code != 0
    assert run(app, "api-key", "revoke").exit_code != 0


def test_list_filters_by_siret_and_shows_the_state(app, factory, db):
    sud = factory.organisation(name="CFA Sud")
    nord = factory.organisation(name="CFA Nord")
    kept, _ = api_keys.create_key(sud, "Ypareo")
    api_keys.create_key(sud, "Vieux", now=dt.datetime.now() - dt.timedelta(days=400))
    api_keys.create_key(nord, "Logiciel Nord")
    output = run(app, "api-key", "list", "--siret", sud.siret).output
    assert "Ypareo" in output and "Vieux" in output and "expirée" in output and "Logiciel Nord" not in output
    assert kept.prefix in output and "2 clé(s)" in output


def test_warn_api_keys_warns_each_key_once(app, factory, db):
    org = factory.organisation()
    factory.cfa_user(org, email="admin@cfa.test")
    api_keys.create_key(org, "Ypareo", now=dt.datetime.now() - dt.timedelta(days=340))
    first = run(app, "warn-api-keys")
    assert first.exit_code == 0 and "1 clé(s)" in first.output
    assert run(app, "warn-api-keys").output.startswith("0 clé(s)")
    assert models.OutboxEmail.select().count() == 1 and models.Notification.select().count() == 1
