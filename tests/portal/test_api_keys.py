"""API keys screen (/portail/cles-api): an administrator OF generates a key for an establishment they administer,
sees it once, lists and revokes the keys of their establishments; the expiry warning 30 days ahead."""
import datetime as dt
import re

import pytest

import models
from workflows import api_keys
from workflows.api_keys import hash_key


@pytest.fixture
def sud(org):
    return org


@pytest.fixture
def lyon(factory, sud):
    """A second establishment of the same admin (admin OF there too)."""
    lyon = factory.organisation(name="CFA Sud Lyon")
    user = models.User.get(models.User.email == "admin@cfa-sud.test")
    models.Membership.create(user=user, organisation=lyon, role="admin_of")
    return lyon


def raw_key_of(html):
    match = re.search(r'id="raw-key" value="([^"]+)"', html)
    return match.group(1) if match else None


def generate(client, organisation, name="Ypareo"):
    return client.post_form("/portail/cles-api", {"siret": organisation.siret, "name": name})


def key_audits(key_id=None):
    query = models.AuditEntry.select().where(models.AuditEntry.entity == "api_key")
    if key_id is not None:
        query = query.where(models.AuditEntry.entity_id == str(key_id))
    return list(query.order_by(models.AuditEntry.id))


def test_the_key_is_shown_once_and_only_its_hash_is_stored(sud_client, sud):
    response = generate(sud_client, sud)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    raw = raw_key_of(html)
    assert raw and re.fullmatch(r"pcfa_[A-Za-z0-9_-]{32,}", raw)
    assert "ne sera plus jamais affichée" in html and "Copier" in html
    key = models.ApiKey.get()
    assert key.key_hash == hash_key(raw) and raw not in key.key_hash
    assert key.prefix == raw[:12] and key.name == "Ypareo" and key.organisation_id == sud.id
    assert key.expires_at - key.created_at == dt.timedelta(days=365)
    assert api_keys.find_key(raw).id == key.id
    listing = sud_client.get("/portail/cles-api")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and raw not in text and raw[12:20] not in text
    assert key.prefix in text and "Ypareo" in text and "Active" in text
    assert key.created_at.strftime("%d/%m/%Y") in text and key.expires_at.strftime("%d/%m/%Y") in text
    assert 'href="/api/v1/docs"' in text
    with sud_client.session_transaction() as session:
        assert raw not in repr(dict(session))


def test_creating_a_key_writes_one_audit_entry_without_the_key_or_its_hash(sud_client, sud):
    raw = raw_key_of(generate(sud_client, sud).get_data(as_text=True))
    key = models.ApiKey.get()
    entries = key_audits(key.id)
    assert [e.action for e in entries] == ["create"]
    assert entries[0].actor == "admin@cfa-sud.test"
    dumped = repr((entries[0].before, entries[0].after, entries[0].note))
    assert raw not in dumped and key.key_hash not in dumped and "key_hash" not in dumped
    assert entries[0].after["prefix"] == key.prefix


@pytest.mark.parametrize("name,message", [("", "Donnez un nom à la clé"), ("   ", "Donnez un nom à la clé"),
                                          ("x" * 101, "100 caractères au maximum")])
def test_a_bad_name_is_refused_in_french_with_the_typed_values_kept(sud_client, sud, lyon, name, message):
    response = generate(sud_client, lyon, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert re.search(rf'<option selected value="{lyon.siret}"|<option value="{lyon.siret}" selected', html)
    if name.strip():
        assert f'value="{name}"' in html
    assert models.ApiKey.select().count() == 0 and not key_audits()


def test_an_admin_may_generate_for_each_establishment_they_administer(sud_client, sud, lyon):
    html = sud_client.get("/portail/cles-api").get_data(as_text=True)
    assert sud.siret in html and lyon.siret in html
    assert generate(sud_client, lyon, "SC Form").status_code == 200
    assert models.ApiKey.get().organisation_id == lyon.id
    listing = sud_client.get("/portail/cles-api").get_data(as_text=True)
    assert "SC Form" in listing and "CFA Sud Lyon" in listing


def test_a_forged_siret_of_an_establishment_not_administered_creates_nothing(sud_client, sud, factory):
    other = factory.organisation(name="CFA Nord")
    factory.cfa_user(other, email="admin@cfa-nord.test")
    managed = factory.organisation(name="CFA Sud Annexe")
    user = models.User.get(models.User.email == "admin@cfa-sud.test")
    models.Membership.create(user=user, organisation=managed, role="gestionnaire_of", right_contracts=True)
    for target in (other, managed):
        assert generate(sud_client, target).status_code in (403, 404)
    assert sud_client.post_form("/portail/cles-api", {"siret": "99999999999999", "name": "x"}).status_code == 403
    assert models.ApiKey.select().count() == 0 and not key_audits()


def test_a_gestionnaire_gets_403_and_no_menu_entry(make_client, factory, sud):
    factory.cfa_user(sud, email="gestion@cfa-sud.test", role="gestionnaire_of")
    client = make_client("gestion@cfa-sud.test")
    assert client.get("/portail/cles-api").status_code == 403
    assert generate(client, sud).status_code == 403
    assert 'id="nav-api-keys"' not in client.get("/portail/").get_data(as_text=True)
    assert models.ApiKey.select().count() == 0


def test_the_menu_shows_the_entry_to_an_admin(sud_client):
    assert 'id="nav-api-keys"' in sud_client.get("/portail/").get_data(as_text=True)


def test_revoking_is_audited_once_and_the_key_stops_working(sud_client, sud):
    raw = raw_key_of(generate(sud_client, sud).get_data(as_text=True))
    key = models.ApiKey.get()
    assert api_keys.is_usable(api_keys.find_key(raw))
    response = sud_client.post_form(f"/portail/cles-api/{key.id}/revoquer")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portail/cles-api")
    again = sud_client.post_form(f"/portail/cles-api/{key.id}/revoquer", follow_redirects=True)
    assert "était déjà révoquée" in again.get_data(as_text=True)
    assert [e.action for e in key_audits(key.id)] == ["create", "revoke"]
    assert not api_keys.is_usable(api_keys.find_key(raw))
    text = sud_client.get("/portail/cles-api").get_data(as_text=True)
    assert "Révoquée" in text and f"/portail/cles-api/{key.id}/revoquer" not in text


def test_revoking_needs_the_csrf_token(sud_client, sud):
    generate(sud_client, sud)
    key = models.ApiKey.get()
    assert sud_client.post(f"/portail/cles-api/{key.id}/revoquer").status_code == 400
    assert models.ApiKey.get_by_id(key.id).revoked_at is None


def test_an_admin_cannot_see_or_revoke_another_organisations_key(sud_client, factory):
    nord = factory.organisation(name="CFA Nord")
    key, raw = api_keys.create_key(nord, "Logiciel Nord")
    assert "Logiciel Nord" not in sud_client.get("/portail/cles-api").get_data(as_text=True)
    assert sud_client.post_form(f"/portail/cles-api/{key.id}/revoquer").status_code == 404
    assert sud_client.post_form("/portail/cles-api/999999/revoquer").status_code == 404
    assert models.ApiKey.get_by_id(key.id).revoked_at is None and not key_audits()


def test_an_expired_key_reads_expiree(sud_client, sud):
    past = dt.datetime.now() - dt.timedelta(days=400)
    api_keys.create_key(sud, "Ancien logiciel", now=past)
    text = sud_client.get("/portail/cles-api").get_data(as_text=True)
    assert "Ancien logiciel" in text and "Expirée" in text


# --- the expiry warning ---------------------------------------------------------------------------------

def test_the_expiry_warning_goes_once_to_the_admins_at_30_days_not_at_31(factory, sud):
    admin = factory.cfa_user(sud, email="admin2@cfa-sud.test")
    factory.cfa_user(sud, email="gestion@cfa-sud.test", role="gestionnaire_of")
    created = dt.datetime(2026, 1, 10, 9, 0)
    key, _ = api_keys.create_key(sud, "Ypareo", now=created)
    day_31 = key.expires_at - dt.timedelta(days=31)
    assert api_keys.warn_expiring_keys(day_31) == 0
    assert models.Notification.select().count() == 0 and models.OutboxEmail.select().count() == 0
    day_30 = key.expires_at - dt.timedelta(days=30)
    assert api_keys.warn_expiring_keys(day_30) == 1
    assert api_keys.warn_expiring_keys(day_30) == 0
    assert api_keys.warn_expiring_keys(day_30 + dt.timedelta(days=10)) == 0
    notes = list(models.Notification.select())
    assert sorted(n.user.email for n in notes) == ["admin2@cfa-sud.test"]
    assert "Ypareo" in notes[0].message and "10/01/2027" in notes[0].message
    emails = list(models.OutboxEmail.select())
    assert [e.recipient for e in emails] == [admin.email]
    assert "10/01/2027" in emails[0].body and key.prefix in emails[0].body and emails[0].html_body
    assert models.ApiKey.get_by_id(key.id).expiry_warned_at == day_30


def test_no_warning_for_a_revoked_or_expired_key(factory, sud):
    factory.cfa_user(sud, email="admin2@cfa-sud.test")
    now = dt.datetime(2026, 12, 1, 8, 0)
    revoked, _ = api_keys.create_key(sud, "Révoquée", now=now - dt.timedelta(days=340))
    api_keys.revoke(revoked, None)
    api_keys.create_key(sud, "Expirée", now=now - dt.timedelta(days=366))
    assert api_keys.warn_expiring_keys(now) == 0
    assert models.OutboxEmail.select().count() == 0
