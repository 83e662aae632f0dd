"""Every file response is an attachment the browser never sniffs, whatever name the CFA gave its file;
a stored name read from the database never leads outside the storage folder."""
import pytest

import models
from infrastructure.storage import LocalStorage
from tests.portal.world import store_file, two_cfas

ODD_NAME = 'RIB “société” n°1 – 100 € œ.pdf'


@pytest.fixture
def world(app, factory, make_client):
    sud, nord, employer, staff = two_cfas(app, factory)
    bank = models.BankDetails.get(models.BankDetails.organisation == sud.organisation)
    name, sha, size = store_file(app)
    models.Document.create(organisation=sud.organisation, bank_details=bank, doc_type="rib", original_name=ODD_NAME,
                           stored_name=name, sha256=sha, size=size)
    sud.document.original_name = ODD_NAME
    sud.document.save()
    name, sha, size = LocalStorage(app.config["UPLOAD_DIR"]).save("N° de dossier\r\n".encode(), ".csv")
    export = models.ExportRequest.create(requested_by=staff.id, state="prete", stored_name=name, sha256=sha,
                                         size=size, row_count=0, description="Dossiers (CSV) : tous les dossiers")
    return {"sud": sud, "bank": bank, "export": export, "portal": make_client(sud.admin.email),
            "admin": make_client(staff.email)}


def download_urls(w):
    sud = w["sud"]
    return [
        ("portal", f"/portail/documents/{sud.document.id}"),
        ("portal", f"/portail/dossiers/{sud.dossier.number}/courriers/{sud.letter.id}"),
        ("portal", f"/portail/factures/{sud.invoice.id}/recepisse"),
        ("portal", f"/portail/reglements/{sud.payment.reference}/avis.pdf"),
        ("portal", f"/portail/avoirs/{sud.credit_note.number}/pro-forma.pdf"),
        ("portal", "/portail/factures/export.csv"),
        ("portal", "/portail/reglements/export.csv"),
        ("portal", "/portail/reglements/export.xlsx"),
        ("admin", f"/admin/creditnote/pro-forma/{sud.credit_note.id}.pdf"),
        ("admin", f"/admin/payment/avis/{sud.payment.id}.pdf"),
        ("admin", f"/admin/bankdetails/rib/{w['bank'].id}.pdf"),
        ("admin", f"/admin/dossier/courrier/{sud.letter.id}/"),
        ("admin", "/admin/dossier/export/csv/"),
        ("admin", f"/admin/mes-exports/{w['export'].id}/telecharger"),
    ]


def test_every_download_is_an_unsniffed_attachment(world):
    for who, url in download_urls(world):
        response = world[who].get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        response.close()


def test_a_file_name_with_typographic_characters_downloads_from_the_back_office(world):
    response = world["admin"].get(f"/admin/bankdetails/rib/{world['bank'].id}.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what a WSGI server must be able to send (PEP 3333), or the download fails
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition


@pytest.mark.parametrize("name", ["../secret_key", "..", "/etc/passwd", "a/../../x", "..\\x", "", ".hidden",
                                  "ab\x00cd"])
def test_a_stored_name_never_leaves_the_storage_folder(app, tmp_path, name):
    (tmp_path / "secret_key").write_text("do not serve")
    storage = LocalStorage(tmp_path / "files")
    for operation in (storage.read, storage.stream):
        with pytest.raises(ValueError):
            operation(name)


def test_a_document_whose_stored_name_was_tampered_with_is_not_served(world, app):
    sud = world["sud"]
    models.Document.update(stored_name="../secret_key").where(models.Document.id == sud.document.id).execute()
    response = world["portal"].get(f"/portail/documents/{sud.document.id}")
    assert response.status_code in (404, 400)
    assert b"do not serve" not in response.data
