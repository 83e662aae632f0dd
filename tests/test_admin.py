"""The back office: access by role, lists and exports, CSRF, audit of edits, French validation."""
import io
import re

import pytest
from openpyxl import load_workbook

import models

LIST_ENDPOINTS = ["organisation", "employer", "apprentice", "user", "dossier", "delegation", "npecreference",
                  "auditentry", "installment", "invoice", "creditnote", "payment", "bankdetails", "document",
                  "letter", "notification", "contractproposal", "idcccpne"]
STAFF_ROLES = ["conseiller", "comptable", "admin"]


@pytest.fixture
def populated(factory):
    """One row in the main tables so lists and exports have something to show."""
    org = factory.organisation(name="CFA Sud Export")
    dossier = factory.dossier(organisation=org)
    models.Delegation.create(delegate=org, delegator=factory.organisation())
    factory.cfa_user(organisation=org)
    return dossier


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_back_office_list_renders_and_exports_for_each_staff_role(make_client, factory, populated, role):
    client = make_client(factory.staff(role).email)
    for endpoint in LIST_ENDPOINTS:
        page = client.get(f"/admin/{endpoint}/")
        assert page.status_code == 200, endpoint
        csv_response = client.get(f"/admin/{endpoint}/export/csv/")
        assert csv_response.status_code == 200, endpoint
        body = csv_response.get_data()
        assert body.startswith(b"\xef\xbb\xbf"), f"{endpoint}: CSV must start with a UTF-8 BOM"
        assert b";" in body.splitlines()[0], f"{endpoint}: CSV uses ';'"
        xlsx = client.get(f"/admin/{endpoint}/export/xlsx/")
        assert xlsx.status_code == 200, endpoint
        load_workbook(io.BytesIO(xlsx.get_data()), read_only=True)


def test_dossier_export_contains_the_filtered_rows_only(make_client, factory):
    client = make_client(factory.staff("conseiller").email)
    kept = factory.dossier(state="engage")
    other = factory.dossier(state="recu")
    response = client.get(f"/admin/dossier/export/csv/?search={kept.number}")
    text = response.get_data(as_text=True)
    assert kept.number in text and other.number not in text


def test_cfa_and_employer_users_get_403_on_every_admin_url(app, make_client, factory, populated):
    cfa = make_client(factory.cfa_user().email)
    employer = make_client(factory.employer_user().email)
    urls = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "static" in rule.endpoint:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        urls.add((url, "GET" in rule.methods, "POST" in rule.methods))
    assert len(urls) > 40
    for url, get, post in sorted(urls):
        for client in (cfa, employer):
            if get:
                assert client.get(url).status_code == 403, url
            if post:
                assert client.post_form(url, {}).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/dossier/")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_admin_post_without_csrf_token_is_rejected_and_changes_nothing(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation(name="Avant")
    response = client.post(f"/admin/organisation/edit/?id={org.id}",
                           data={"siret": org.siret, "name": "Après", "status": "active",
                                 "credit_note_mode": "deduction"})
    assert response.status_code == 400
    assert models.Organisation.get_by_id(org.id).name == "Avant"
    action = client.post("/admin/organisation/action/", data={"action": "delete", "rowid": str(org.id)})
    assert action.status_code == 400
    assert models.Organisation.select().where(models.Organisation.id == org.id).exists()


def test_an_edit_writes_one_audit_entry_with_before_and_after(make_client, factory, db):
    admin = factory.staff("admin")
    client = make_client(admin.email)
    org = factory.organisation(name="CFA Avant", city="Lyon")
    response = client.post_form(f"/admin/organisation/edit/?id={org.id}", {
        "siret": org.siret, "name": "CFA Après", "city": "Lyon", "status": "active",
        "credit_note_mode": "deduction", "uai": org.uai})
    assert response.status_code == 302
    entries = list(models.AuditEntry.select().where((models.AuditEntry.entity == "organisation")
                                                    & (models.AuditEntry.entity_id == str(org.id))))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "update"
    assert entry.user_id == admin.id and entry.actor == admin.email
    assert entry.before["name"] == "CFA Avant" and entry.after["name"] == "CFA Après"
    assert "city" not in entry.before  # only what changed


def test_audit_of_an_apprentice_masks_the_nir(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    apprentice = factory.apprentice(birth_name="MARTIN")
    response = client.post_form(f"/admin/apprentice/edit/?id={apprentice.id}", {
        "birth_name": "MARTIN-DURAND", "first_name": apprentice.first_name, "birth_date": "2004-05-12",
        "nir": apprentice.nir, "sex": "F", "nationality": "Française"})
    assert response.status_code == 302
    entry = models.AuditEntry.get(models.AuditEntry.entity == "apprentice")
    assert entry.after["birth_name"] == "MARTIN-DURAND"
    creation = models.AuditEntry.select().where(models.AuditEntry.entity == "apprentice").count()
    assert creation == 1
    # NIR unchanged so not in the diff; check the list view masks it
    page = client.get("/admin/apprentice/").get_data(as_text=True)
    assert apprentice.nir not in page
    assert "••" in page


@pytest.mark.parametrize("field,value,message", [
    ("siret", "12345678901234", "SIRET"),
    ("siret", "abc", "SIRET"),
    ("uai", "0751234Z", "UAI"),
    ("email", "pas-un-email", "Adresse électronique invalide"),
])
def test_bad_identifiers_get_a_french_message_on_the_form_and_nothing_is_saved(make_client, factory, db, field,
                                                                               value, message):
    client = make_client(factory.staff("admin").email)
    data = {"siret": "73282932000074", "name": "CFA Erreur", "status": "active", "credit_note_mode": "deduction"}
    data[field] = value
    response = client.post_form("/admin/organisation/new/", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert "CFA Erreur" in html  # what was typed is kept
    assert not models.Organisation.select().where(models.Organisation.name == "CFA Erreur").exists()


def test_a_bad_nir_is_refused_in_french(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    response = client.post_form("/admin/apprentice/new/", {
        "birth_name": "DURAND", "first_name": "Paul", "birth_date": "2005-01-01", "nir": "1850175123456",
        "sex": "M", "nationality": "Française"})
    assert response.status_code == 400
    assert "NIR" in response.get_data(as_text=True)
    assert not models.Apprentice.select().where(models.Apprentice.birth_name == "DURAND").exists()


def test_a_duplicate_siret_gets_a_french_message_not_a_500(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    existing = factory.organisation()
    response = client.post_form("/admin/organisation/new/", {
        "siret": existing.siret, "name": "Doublon", "status": "active", "credit_note_mode": "deduction"})
    assert response.status_code in (200, 400)
    assert "existe déjà" in response.get_data(as_text=True)
    assert models.Organisation.select().where(models.Organisation.siret == existing.siret).count() == 1


@pytest.mark.parametrize("sort", ["999", "-1", "abc", "3&desc=1", "0"])
def test_a_bad_sort_parameter_gives_the_default_order(make_client, factory, populated, sort):
    client = make_client(factory.staff("conseiller").email)
    for endpoint in LIST_ENDPOINTS:
        assert client.get(f"/admin/{endpoint}/?sort={sort}").status_code == 200, endpoint


def test_conseiller_and_comptable_cannot_manage_organisations_or_users(make_client, factory, db):
    for role in ("conseiller", "comptable"):
        client = make_client(factory.staff(role).email)
        response = client.post_form("/admin/organisation/new/", {
            "siret": "73282932000074", "name": "Interdit", "status": "active", "credit_note_mode": "deduction"})
        assert response.status_code in (302, 403)
        assert not models.Organisation.select().where(models.Organisation.name == "Interdit").exists()
        assert client.get("/admin/user/new/").status_code in (302, 403)


def test_money_and_audit_records_cannot_be_deleted_even_by_an_admin(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    entry = models.AuditEntry.create(actor="x", entity="dossier", entity_id="1", action="test")
    for endpoint, row_id in (("auditentry", entry.id),):
        response = client.post_form(f"/admin/{endpoint}/delete/", {"id": str(row_id)})
        assert response.status_code in (302, 403)
    assert models.AuditEntry.select().where(models.AuditEntry.id == entry.id).exists()
    for endpoint in ("invoice", "payment", "creditnote", "auditentry"):
        html = client.get(f"/admin/{endpoint}/").get_data(as_text=True)
        assert "delete_form" not in html, endpoint


def test_admin_creates_a_user_with_a_membership_and_rights(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation()
    response = client.post_form("/admin/user/new/", {
        "email": "Nouvelle@CFA.test", "last_name": "Nouvelle", "first_name": "Anne", "kind": "cfa", "active": "y",
        "new_password": "Chaton-Bleu-2026", "daily_digest": "y",
        "memberships-0-organisation": str(org.id), "memberships-0-role": "gestionnaire_of",
        "memberships-0-right_contracts": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = models.User.get(models.User.email == "nouvelle@cfa.test")
    assert user.password_hash.startswith("$argon2id$")
    membership = models.Membership.get(models.Membership.user == user.id)
    assert membership.rights == {"right_contracts"}


def test_a_membership_without_any_right_is_refused(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation()
    response = client.post_form("/admin/user/new/", {
        "email": "sansdroit@cfa.test", "last_name": "Sans", "first_name": "Droit", "kind": "cfa", "active": "y",
        "new_password": "Chaton-Bleu-2026",
        "memberships-0-organisation": str(org.id), "memberships-0-role": "gestionnaire_of"})
    assert "au moins un des six droits" in client.get("/admin/user/").get_data(as_text=True) + \
        response.get_data(as_text=True)
    assert not models.User.select().where(models.User.email == "sansdroit@cfa.test").exists()


def test_a_weak_password_is_refused_in_french(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    response = client.post_form("/admin/user/new/", {
        "email": "faible@opco.test", "kind": "staff", "staff_role": "conseiller", "active": "y",
        "new_password": "faible"})
    html = response.get_data(as_text=True) + client.get("/admin/user/new/").get_data(as_text=True)
    assert "au moins 8 caractères" in html
    assert not models.User.select().where(models.User.email == "faible@opco.test").exists()


@pytest.mark.parametrize("endpoint", ["dossier", "delegation", "invoice", "document", "letter", "notification",
                                      "installment", "bankdetails", "payment", "creditnote", "contractproposal"])
def test_list_pages_cost_the_same_number_of_queries_for_2_or_12_rows(make_client, factory, db, endpoint):
    """No query per row and foreign key: the list joins what it shows."""
    from tests.querycount import count_queries

    client = make_client(factory.staff("admin").email)
    org = factory.organisation()

    def add_rows(n):
        for _ in range(n):
            dossier = factory.dossier(organisation=org)
            models.Delegation.create(delegate=org, delegator=factory.organisation())
            models.Notification.create(organisation=org, dossier=dossier, message="Test")
            models.Installment.create(dossier=dossier, number=1, year=1, kind="advance",
                                      billable_from=dossier.contract_start, period_start=dossier.contract_start,
                                      period_end=dossier.contract_end, amount=100)
            models.Document.create(organisation=org, dossier=dossier, doc_type="autre", original_name="a.pdf",
                                   stored_name=f"x{dossier.id}.pdf", size=1, sha256="0" * 64)
            models.Letter.create(dossier=dossier, kind="accord", title="Courrier d'accord",
                                 stored_name=f"l{dossier.id}.pdf", sha256="0" * 64)
            models.Invoice.create(organisation=org, dossier=dossier, state="en_traitement")
            models.ContractProposal.create(organisation=org, employer_name="X")

    add_rows(2)
    with count_queries(db) as few:
        assert client.get(f"/admin/{endpoint}/").status_code == 200
    add_rows(10)
    with count_queries(db) as many:
        assert client.get(f"/admin/{endpoint}/").status_code == 200
    assert len(many) == len(few), many
