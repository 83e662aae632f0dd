"""A disguised file never reaches staff: every upload URL refuses an HTML/PDF polyglot (French 400, nothing
stored), keeps only a clean display name, and every stored document is served as a PDF attachment under a name
of ours."""
import io
import re
from pathlib import Path

import pytest

import models
from tests.billing.workflow_helpers import installments
from tests.factories import make_pdf
from infrastructure import clock

# Starts with %PDF- and pypdf reads it (it rebuilds the cross-reference table), but a browser that sniffs the
# first bytes sees a web page with a script.
POLYGLOT = make_pdf().replace(b"\n", b"\n<html><body><script>alert(document.cookie)</script></body></html>\n", 1)
BIDI_NAME = "RIB\u202efdp.hta"  # shows as "RIBath.pdf"
REFUSED = "contient du code HTML ou un script"


def _form_file(data, name):
    return (io.BytesIO(data), name)


def _dossier_document(factory, make_client, data, name):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    dossier = factory.dossier(organisation=org)
    return client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                            {"doc_type": "convention", "file": _form_file(data, name)},
                            content_type="multipart/form-data")


def _reimbursement(factory, make_client, data, name):
    org = factory.organisation()
    client = make_client(factory.billing_user(org).email)
    dossier = factory.engaged_dossier(organisation=org)
    return client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", {
        "period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00", "terms": "y",
        "invoice_pdf": _form_file(data, name)}, content_type="multipart/form-data")


def _bank_details(factory, make_client, data, name):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    return client.post_form("/portail/organisation/banque", {
        "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "holder": "CFA des Métiers", "third_party": "0",
        "rib": _form_file(data, name)}, content_type="multipart/form-data")


def _credit_note(factory, make_client, data, name):
    from workflows.credit_notes import create_credit_note
    org = factory.organisation(credit_note_mode="refund")
    note = create_credit_note(factory.dossier(organisation=org, state="engage"), "321.50", "rupture")
    client = make_client(factory.cfa_user(org).email)
    return client.post_form(f"/portail/avoirs/{note.number}/avoir", {"avoir": _form_file(data, name)},
                            content_type="multipart/form-data")


def _mass_invoice(factory, make_client, data, name):
    org = factory.organisation()
    client = make_client(factory.billing_user(org).email)
    dossier = factory.engaged_dossier(organisation=org)
    client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [dossier.id], "action": "next"})
    invoice = models.Invoice.select().order_by(models.Invoice.id.desc()).first()
    item = installments(dossier, "to_invoice")[0]
    client.post_form(f"/portail/facturation/{invoice.id}/echeances", {f"inst-{dossier.id}": [item.id], "action": "next"})
    return client.post_form(f"/portail/facturation/{invoice.id}/envoi", {
        "cfa_reference": "FAC-1", "cfa_invoice_date": clock.today().strftime("%d/%m/%Y"), "terms": "y",
        "action": "send", "document": _form_file(data, name)}, content_type="multipart/form-data")


UPLOADS = {"pièce du dossier": _dossier_document, "demande de remboursement": _reimbursement,
           "RIB": _bank_details, "avoir": _credit_note, "facturation de masse": _mass_invoice}


def _stored_files(app):
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


@pytest.mark.parametrize("path", UPLOADS)
def test_every_upload_url_refuses_an_html_pdf_polyglot_in_french_and_stores_nothing(app, factory, make_client, path):
    stored_before = len(_stored_files(app))
    response = UPLOADS[path](factory, make_client, POLYGLOT, "facture.pdf")
    assert response.status_code == 400, path
    assert REFUSED in response.get_data(as_text=True), path
    assert models.Document.select().count() == 0
    assert len(_stored_files(app)) == stored_before


@pytest.mark.parametrize("path", UPLOADS)
def test_every_upload_url_accepts_a_real_pdf_and_drops_bidi_controls_from_its_name(app, factory, make_client, path):
    response = UPLOADS[path](factory, make_client, make_pdf(), BIDI_NAME)
    assert response.status_code == 302, (path, re.findall(r'invalid-feedback[^>]*>([^<]*)', response.get_data(
        as_text=True)))
    names = [d.original_name for d in models.Document.select().where(models.Document.doc_type != "recepisse")]
    assert names == ["RIBfdp.hta"], path


@pytest.mark.parametrize("name,shown", [
    ("RIB\u202efdp.hta", "RIBfdp.hta"),
    ("fac\u200bture\u2066.pdf", "facture.pdf"),
    ("a\x00b\x1fc\x7f.pdf", "abc.pdf"),
    ("ligne\u2028deux.pdf", "lignedeux.pdf"),
    ("Convention signée – 2026.pdf", "Convention signée – 2026.pdf"),
])
def test_control_and_format_characters_are_dropped_from_the_displayed_name(name, shown):
    from workflows.documents import clean_filename
    assert clean_filename(name) == shown


def test_markup_later_in_the_file_or_a_pdf_without_any_is_not_mistaken(app):
    from workflows.documents import check_pdf
    assert check_pdf(make_pdf("Facture <b>2026</b>")) == make_pdf("Facture <b>2026</b>")
    with app.app_context(), pytest.raises(ValueError, match="HTML"):
        check_pdf(make_pdf().replace(b"\n", b"\n%<!DOCTYPE html>\n", 1))


def test_a_stored_document_downloads_as_a_pdf_attachment_under_our_own_name(app, factory, make_client):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    dossier = factory.dossier(organisation=org)
    client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                     {"doc_type": "convention", "file": _form_file(make_pdf(), BIDI_NAME)},
                     content_type="multipart/form-data")
    document = models.Document.get()
    models.Document.update(content_type="text/html").where(models.Document.id == document.id).execute()
    response = client.get(f"/portail/documents/{document.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    expected = f"convention-{dossier.number}-{document.uploaded_at:%Y-%m-%d}.pdf"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{expected}"')
    assert "hta" not in response.headers["Content-Disposition"] and "\u202e" not in response.headers[
        "Content-Disposition"]


def test_the_back_office_serves_a_rib_under_our_name_too(app, factory, make_client):
    _bank_details(factory, make_client, make_pdf(), BIDI_NAME)
    details = models.BankDetails.get()
    staff = make_client(factory.staff("comptable").email)
    response = staff.get(f"/admin/bankdetails/rib/{details.id}.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert re.match(r'attachment; filename="rib-\d{14}-\d{4}-\d{2}-\d{2}\.pdf"', response.headers["Content-Disposition"])
