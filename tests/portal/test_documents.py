"""Typed PDF uploads on a dossier, checked by content and size, stored by sha256; downloads as attachments, logged."""
import hashlib
import io
from pathlib import Path

import pytest

import models
from tests.factories import make_pdf


@pytest.fixture
def setup(factory, make_client):
    org = factory.organisation(name="CFA Sud")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.dossier(organisation=org)
    return make_client("admin@cfa-sud.test"), dossier


def upload(client, dossier, data, name="convention.pdf", doc_type="convention"):
    return client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                            {"doc_type": doc_type, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_pdf_is_stored_outside_the_web_root_under_a_generated_name_with_its_sha256(setup, app):
    client, dossier = setup
    data = make_pdf("Convention")
    response = upload(client, dossier, data, name="../../Convention signée.pdf")
    assert response.status_code == 302
    doc = models.Document.get()
    assert (doc.doc_type, doc.original_name, doc.size) == ("convention", "Convention signée.pdf", len(data))
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert "Convention" not in doc.stored_name and doc.dossier_id == dossier.id
    stored = Path(app.config["UPLOAD_DIR"]) / doc.stored_name[:2] / doc.stored_name
    assert stored.read_bytes() == data
    assert not str(stored.resolve()).startswith(str(Path(app.root_path, "static").resolve()))
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "document").count() == 1


@pytest.mark.parametrize("data,message", [
    (b"MZ\x90\x00 not a pdf at all", "n&#39;est pas un PDF"),
    (b"%PDF-1.7\n garbage without any object", "illisible ou endommagé"),
    (b"", "est vide"),
])
def test_files_that_are_not_real_pdfs_are_refused_in_french(setup, data, message):
    client, dossier = setup
    response = upload(client, dossier, data, name="facture.pdf")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert models.Document.select().count() == 0


def test_an_unknown_type_or_a_missing_file_is_refused(setup):
    client, dossier = setup
    assert upload(client, dossier, make_pdf(), doc_type="rib").status_code == 400
    response = client.post_form(f"/portail/dossiers/{dossier.number}/documents", {"doc_type": "autre"})
    assert response.status_code == 400 and "manquant" in response.get_data(as_text=True)
    assert models.Document.select().count() == 0


def test_exactly_10_mb_is_accepted_and_one_byte_more_gets_the_french_413_page(setup):
    client, dossier = setup
    base = make_pdf()
    limit = 10 * 1024 * 1024
    exact = base + b"%" * (limit - len(base))
    assert upload(client, dossier, exact).status_code == 302
    response = upload(client, dossier, exact + b"%")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)
    assert models.Document.select().count() == 1


def test_a_request_far_over_the_limit_is_cut_by_the_server_with_the_same_page(setup):
    client, dossier = setup
    response = upload(client, dossier, make_pdf() + b"%" * (21 * 1024 * 1024))
    assert response.status_code == 413 and "Fichier trop volumineux" in response.get_data(as_text=True)


def test_download_is_an_attachment_never_sniffed_and_is_logged(setup):
    client, dossier = setup
    data = make_pdf()
    upload(client, dossier, data)
    doc = models.Document.get()
    response = client.get(f"/portail/documents/{doc.id}")
    assert response.data == data
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    log = models.AuditEntry.get(models.AuditEntry.action == "download")
    assert (log.entity, log.entity_id, log.actor) == ("document", str(doc.id), "admin@cfa-sud.test")
    assert "convention.pdf" in log.note and log.at is not None


def test_a_colleague_without_the_stock_right_cannot_download_a_stock_dossiers_document(setup, factory, make_client):
    client, _ = setup
    org = models.Organisation.get(models.Organisation.name == "CFA Sud")
    stock = factory.dossier(organisation=org, is_stock=True)
    upload(client, stock, make_pdf())
    doc = models.Document.get()
    colleague = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])
    assert make_client(colleague.email).get(f"/portail/documents/{doc.id}").status_code == 404
