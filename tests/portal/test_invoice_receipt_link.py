"""The invoice page links a receipt only when its PDF exists (no link that answers 404)."""
import models


def test_an_invoice_with_a_receipt_number_but_no_stored_pdf_shows_no_link(make_client, factory, db):
    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    dossier = factory.dossier(organisation=org, state="engage")
    invoice = models.Invoice.create(organisation=org, dossier=dossier, number=7, state="en_traitement",
                                    receipt_number="R0000007")
    html = make_client(user.email).get(f"/portail/factures/{invoice.id}").get_data(as_text=True)
    assert "R0000007" in html and 'id="receipt-link"' not in html


def test_an_invoice_search_by_a_superscript_digit_is_no_crash(sud_client):
    response = sud_client.get("/portail/factures?numero=%C2%B3")
    assert response.status_code == 200
