"""Back-office invoice search (displayed number, dossier, apprentice, CFA) and the CFA's pieces downloadable."""
import html
from decimal import Decimal

import models
from workflows.documents import save_document
from tests.billing.billing_helpers import admin_client
from tests.factories import make_invoice, make_pdf

LIST = "/admin/invoice/"


def _numbers(client, search):
    response = client.get(LIST, query_string={"search": search})
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    return {n for n in ("F0000001", "F0000002", "F0000003") if n in page}


def test_invoices_are_found_by_displayed_number_dossier_apprentice_and_cfa(factory, make_client):
    sud = factory.organisation(name="CFA Sud Formation")
    nord = factory.organisation(name="CFA Nord Alternance")
    lea = factory.dossier(organisation=sud, state="engage", apprentice=factory.apprentice(birth_name="MARTIN"),
                          apprentice_name="MARTIN Léa")
    tom = factory.dossier(organisation=nord, state="engage", apprentice=factory.apprentice(birth_name="BERNARD"),
                          apprentice_name="BERNARD Tom")
    other = factory.dossier(organisation=nord, state="engage")
    make_invoice(sud, lea)                                                          # F0000001
    make_invoice(nord, None, lines=[dict(dossier=tom, nature="teaching", amount=Decimal("100.00")),
                               dict(dossier=other, nature="teaching", amount=Decimal("100.00"))])  # F0000002, mass
    make_invoice(nord, other)                                                       # F0000003
    client, _ = admin_client(make_client, factory)
    assert _numbers(client, "F0000002") == {"F0000002"}
    assert _numbers(client, "f0000003") == {"F0000003"}
    assert _numbers(client, lea.number) == {"F0000001"}
    assert _numbers(client, tom.number) == {"F0000002"}  # a mass invoice, found by one of its dossiers
    assert _numbers(client, "BERNARD") == {"F0000002"}
    assert _numbers(client, "martin léa") == {"F0000001"}
    assert _numbers(client, "Nord Alternance") == {"F0000002", "F0000003"}
    assert _numbers(client, sud.siret) == {"F0000001"}
    assert _numbers(client, "introuvable") == set()


def test_staff_download_the_cfa_invoice_and_certificate_and_the_download_is_logged(factory, make_client, app):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    inv = make_invoice(org, dossier)
    with app.app_context():  # the storage is the app's
        pieces = [save_document(name, make_pdf(), org, kind, dossier=dossier, invoice=inv)
                  for name, kind in (("facture-cfa.pdf", "facture"), ("certificat.pdf", "certificat"))]
        loose = save_document("autre.pdf", make_pdf(), org, "autre", dossier=dossier)
    client, user = admin_client(make_client, factory, role="conseiller")
    page = client.get(f"/admin/invoice/details/?id={inv.id}").get_data(as_text=True)
    for doc in pieces:
        url = f"/admin/invoice/document/{doc.id}"
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert response.headers["Content-Type"].startswith("application/pdf")
        assert response.headers["Content-Disposition"].startswith("attachment")
        entry = models.AuditEntry.get((models.AuditEntry.entity == "document")
                                      & (models.AuditEntry.entity_id == str(doc.id))
                                      & (models.AuditEntry.action == "download"))
        assert entry.user_id == user.id
    assert client.get(f"/admin/invoice/document/{loose.id}").status_code == 404  # not an invoice's piece
    assert client.get("/admin/invoice/document/999999").status_code == 404
    cfa = make_client(factory.cfa_user(org).email)
    assert client.get(f"/admin/invoice/document/{pieces[0].id}").status_code == 200
    assert cfa.get(f"/admin/invoice/document/{pieces[0].id}").status_code in (302, 403)
