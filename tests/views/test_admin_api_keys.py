"""Back office › Organismes › Clés API: staff read the keys per organisation, never the key nor its hash; an OPCO
administrator revokes them (audited once); nothing is created, edited or deleted there."""
import io

import pytest
from openpyxl import load_workbook

import models
from workflows import api_keys


@pytest.fixture
def keys(factory):
    sud = factory.organisation(name="CFA Sud")
    nord = factory.organisation(name="CFA Nord")
    sud_key, sud_raw = api_keys.create_key(sud, "Ypareo Sud")
    nord_key, nord_raw = api_keys.create_key(nord, "Gesti Nord")
    return {"sud": sud, "nord": nord, "sud_key": sud_key, "nord_key": nord_key, "raws": (sud_raw, nord_raw)}


def secrets_of(keys):
    found = list(keys["raws"])
    for key in (keys["sud_key"], keys["nord_key"]):
        found += [key.key_hash, key.key_hash[:16]]
    return found


@pytest.mark.parametrize("role", ["conseiller", "comptable", "admin"])
def test_staff_list_keys_per_organisation_without_the_hash(make_client, factory, keys, role):
    client = make_client(factory.staff(role).email)
    page = client.get("/admin/apikey/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert keys["sud_key"].prefix in text and "Ypareo Sud" in text and "Gesti Nord" in text and "Active" in text
    assert keys["sud_key"].expires_at.strftime("%d/%m/%Y") in text
    assert not [s for s in secrets_of(keys) if s in text]
    filtered = client.get(f"/admin/apikey/?search=&flt0_0={keys['sud'].siret}").get_data(as_text=True)
    assert "Ypareo Sud" in filtered and "Gesti Nord" not in filtered


def test_details_and_exports_never_show_the_hash(make_client, factory, keys):
    client = make_client(factory.staff("admin").email)
    details = client.get(f"/admin/apikey/details/?id={keys['sud_key'].id}").get_data(as_text=True)
    assert "Ypareo Sud" in details and keys["sud_key"].prefix in details
    csv = client.get("/admin/apikey/export/csv/").get_data(as_text=True)
    assert "Ypareo Sud" in csv
    xlsx = client.get("/admin/apikey/export/xlsx/").get_data()
    cells = " ".join(str(c) for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True) for c in row)
    assert "Gesti Nord" in cells
    for body in (details, csv, cells):
        assert not [s for s in secrets_of(keys) if s in body]
        assert "key_hash" not in body and "Empreinte" not in body


def test_the_organisation_page_links_to_its_keys(make_client, factory, keys):
    client = make_client(factory.staff("conseiller").email)
    details = client.get(f"/admin/organisation/details/?id={keys['sud'].id}").get_data(as_text=True)
    assert "Clés API de l'organisme (1)" in details
    assert f"/admin/apikey/?flt0_0={keys['sud'].siret}" in details.replace("&amp;", "&")


def test_no_create_edit_or_delete(make_client, factory, keys):
    client = make_client(factory.staff("admin").email)
    key = keys["sud_key"]
    assert client.get("/admin/apikey/new/").status_code in (302, 403, 404)
    assert client.get(f"/admin/apikey/edit/?id={key.id}").status_code in (302, 403, 404)
    client.post_form("/admin/apikey/delete/", {"id": key.id})
    client.post_form("/admin/apikey/action/", {"action": "delete", "rowid": str(key.id)})
    client.post_form(f"/admin/apikey/edit/?id={key.id}", {"name": "Changé", "key_hash": "x"})
    assert models.ApiKey.select().count() == 2
    saved = models.ApiKey.get_by_id(key.id)
    assert (saved.name, saved.key_hash) == ("Ypareo Sud", key.key_hash)


def test_an_opco_admin_revokes_keys_audited_once(make_client, factory, keys):
    admin = factory.staff("admin")
    client = make_client(admin.email)
    key, raw = keys["sud_key"], keys["raws"][0]
    for _ in range(2):
        response = client.post_form("/admin/apikey/action/", {"action": "revoquer", "rowid": str(key.id)})
        assert response.status_code == 302
    assert models.ApiKey.get_by_id(key.id).revoked_at is not None
    assert models.ApiKey.get_by_id(keys["nord_key"].id).revoked_at is None
    assert not api_keys.is_usable(api_keys.find_key(raw))
    entries = list(models.AuditEntry.select().where((models.AuditEntry.entity == "api_key")
                                                    & (models.AuditEntry.action == "revoke")))
    assert len(entries) == 1 and entries[0].user_id == admin.id and entries[0].entity_id == str(key.id)
    assert raw not in repr((entries[0].before, entries[0].after, entries[0].note))
    listing = client.get("/admin/apikey/").get_data(as_text=True)
    assert "Révoquée" in listing and "Révoquer" in listing


@pytest.mark.parametrize("role", ["conseiller", "comptable"])
def test_other_staff_roles_cannot_revoke(make_client, factory, keys, role):
    client = make_client(factory.staff(role).email)
    response = client.post_form("/admin/apikey/action/", {"action": "revoquer", "rowid": str(keys["sud_key"].id)})
    assert response.status_code in (302, 403)
    assert models.ApiKey.get_by_id(keys["sud_key"].id).revoked_at is None
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "revoke").exists()
    assert "Révoquer" not in client.get("/admin/apikey/").get_data(as_text=True)
