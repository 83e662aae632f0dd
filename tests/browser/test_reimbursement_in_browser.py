"""A CFA admin, in a real browser, files a reimbursement request with PDF uploads and downloads the receipt.

Runs Debian's chromium (installed by `make test` through `make browser-deps`) against a live server on the
test database. On failure a screenshot is written to $BROWSER_ARTIFACTS (default /tmp/portail-browser).
"""
import pytest

import models
from tests.factories import make_pdf

pytestmark = pytest.mark.browser


def test_cfa_admin_files_a_reimbursement_request_and_downloads_the_receipt(app, factory, live_server, browser_page,
                                                                         tmp_path):
    org = factory.organisation(name="CFA Sud Formation")
    factory.cfa_user(org, email="admin@cfa-sud.test", first_name="Camille", last_name="Sud")
    dossier = factory.engaged_dossier(org)
    invoice_file = tmp_path / "facture-septembre.pdf"
    invoice_file.write_bytes(make_pdf("Facture"))
    certificate_file = tmp_path / "certificat.pdf"
    certificate_file.write_bytes(make_pdf("Certificat"))
    page = browser_page

    page.goto(f"{live_server}/connexion")
    page.fill("input[name=email]", "admin@cfa-sud.test")
    page.fill("input[name=password]", "Portail-Demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    assert "Tableau de bord" in page.content()

    page.click("nav >> text=Dossiers")
    page.click(f"text={dossier.number}")
    page.wait_for_url(f"**/portail/dossiers/{dossier.number}")
    page.click("[data-action=reimbursement]")
    page.wait_for_url("**/remboursement")

    page.fill("#period_start", "01/09/2025")
    page.fill("#period_end", "28/02/2026")
    page.fill("#teaching_amount", "2 700,00")
    page.fill("#first_equipment_amount", "100")
    assert page.inner_text("#live-total").replace("\u00a0", " ") == "2 800,00 €"
    page.set_input_files("#invoice_pdf", str(invoice_file))
    page.set_input_files("#certificate_pdf", str(certificate_file))
    page.check("#terms")
    page.click("#submit")
    page.wait_for_url("**/portail/factures/*")
    assert "a bien été déposée" in page.content()

    with page.expect_download() as download_info:
        page.click("#receipt-link")
    download = download_info.value
    saved = tmp_path / "recepisse.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert download.suggested_filename.endswith(".pdf")
    invoice = models.Invoice.get()
    assert invoice.state == "en_traitement" and str(invoice.total_ttc) == "2800.00"
