"""*Déposer votre facture* (seed 004): the CFA's invoice reference, date, HT and TTC (TTC = HT for an organisation
not liable to VAT, said so on the form), comment and supporting documents, on the reimbursement form, in mass
invoicing's step 3 and on `POST /api/v1/factures`; stored and shown as declared, checked by rules/."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

import models
from infrastructure import clock
from tests.factories import make_pdf, pdf_file
from workflows.api_keys import create_key

from tests.api.conftest import ApiClient

FIRST_ADVANCE = {"period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00",
                 "terms": "y", "cfa_reference": "FAC-2025-09"}
NBSP = "\u00a0"


@pytest.fixture
def cfa(factory, make_client):
    org = factory.organisation(name="CFA Sud Formation")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(org)
    return org, dossier, make_client("admin@cfa-sud.test")


def send(client, dossier, supporting=(), **values):
    body = {**FIRST_ADVANCE, **values, "invoice_pdf": (io.BytesIO(make_pdf("Facture")), "facture.pdf")}
    body = {k: v for k, v in body.items() if v is not None}
    if supporting:
        body["supporting_pdfs"] = [(io.BytesIO(content), name) for name, content in supporting]
    return client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", body,
                            content_type="multipart/form-data")


def text(response):
    return response.get_data(as_text=True).replace("&#39;", "'").replace(NBSP, " ")


def refusals(response):
    assert response.status_code == 400, text(response)[-1500:]
    return dict(re.findall(r'<li data-rule="([a-z_]+)">([^<]*)</li>', text(response)))


def counts():
    return {m.__name__: m.select().count() for m in (models.Invoice, models.InvoiceLine, models.Document,
                                                      models.AuditEntry, models.Counter)}


def test_an_organisation_without_vat_is_told_ttc_equals_ht_and_its_invoice_is_stored_and_shown_as_declared(cfa):
    org, dossier, client = cfa
    form = text(client.get(f"/portail/dossiers/{dossier.number}/remboursement"))
    assert "Égal au montant HT : votre organisme n'est pas assujetti à la TVA" in form
    assert 'name="amount_ttc"' not in form and 'name="amount_ht"' in form
    assert f'value="{clock.today():%d/%m/%Y}"' in form  # the invoice date starts at today
    assert 'name="supporting_pdfs"' in form and "multiple" in form
    response = send(client, dossier, amount_ht="2 800,00", amount_ttc="9 999,00",  # no TTC field: ignored
                    cfa_invoice_date="05/09/2025", comment="Premier acompte, promo 2025",
                    supporting=[("emargement.pdf", make_pdf("Feuille")), ("planning.pdf", make_pdf("Planning"))])
    assert response.status_code == 302, text(response)[-1500:]
    invoice = models.Invoice.get()
    assert (invoice.total_ht, invoice.total_ttc) == (Decimal("2800.00"), Decimal("2800.00"))
    assert (invoice.cfa_invoice_date, invoice.comment, invoice.cfa_reference) == (
        dt.date(2025, 9, 5), "Premier acompte, promo 2025", "FAC-2025-09")
    documents = sorted((d.doc_type, d.original_name) for d in models.Document.select()
                       .where(models.Document.invoice == invoice.id))
    assert documents == [("facture", "facture.pdf"), ("justificatif", "emargement.pdf"),
                         ("justificatif", "planning.pdf"), ("recepisse", documents[3][1])]
    page = text(client.get(f"/portail/factures/{invoice.id}"))
    assert re.search(r'id="amount-ht">2 800,00 €<', page) and re.search(r'id="amount-ttc">2 800,00 €<', page)
    assert 'id="invoice-date">05/09/2025<' in page and "Premier acompte, promo 2025" in page
    assert "CFA Sud Formation" in page and org.siret in page and "emargement.pdf" in page


def test_a_vat_liable_organisation_declares_its_ttc_and_sees_it(cfa):
    org, dossier, client = cfa
    models.Organisation.update(vat_liable=True).where(models.Organisation.id == org.id).execute()
    form = text(client.get(f"/portail/dossiers/{dossier.number}/remboursement"))
    assert 'name="amount_ttc"' in form and "assujetti à la TVA : HT + TVA (20 % au plus)" in form
    assert send(client, dossier, amount_ttc="3 360,00").status_code == 302
    invoice = models.Invoice.get()
    assert (invoice.total_ht, invoice.total_ttc) == (Decimal("2800.00"), Decimal("3360.00"))
    row = re.search(r'<tr><td><a href="/portail/factures/%d">.*?</tr>' % invoice.id,
                    text(client.get("/portail/factures")), re.S).group(0)
    assert "2 800,00 €" in row and "3 360,00 €" in row and "FAC-2025-09" in row


@pytest.mark.parametrize("vat, values, rule, message", [
    (False, {"amount_ht": "2 700,00"}, "ht_not_requested_total",
     "Le montant HT de votre facture (2 700,00 €) doit être égal au total demandé (2 800,00 €)."),
    (True, {"amount_ttc": "2 000,00"}, "ttc_below_ht",
     "Le montant TTC (2 000,00 €) ne peut pas être inférieur au montant HT (2 800,00 €)."),
    (True, {"amount_ttc": "3 400,00"}, "ttc_over_vat_rate",
     "Le montant TTC (3 400,00 €) dépasse le montant HT augmenté de la TVA au taux normal de 20 % (3 360,00 €)."),
    (False, {"cfa_invoice_date": "01/01/2099"}, "invoice_date_future", "ne peut pas être postérieure à aujourd'hui"),
])
def test_a_declared_invoice_that_disagrees_is_refused_in_french_keeping_what_was_typed(cfa, vat, values, rule,
                                                                                        message):
    org, dossier, client = cfa
    models.Organisation.update(vat_liable=vat).where(models.Organisation.id == org.id).execute()
    before = counts()
    response = send(client, dossier, comment="gardé", **values)
    assert message in refusals(response)[rule]
    assert counts() == before
    page = text(response)
    assert all(f'value="{v}"' in page for v in values.values()) and "gardé</textarea>" in page


def test_a_supporting_document_that_is_not_a_pdf_is_refused_by_name_and_nothing_is_written(cfa):
    org, dossier, client = cfa
    before = counts()
    response = send(client, dossier, supporting=[("ok.pdf", make_pdf("Ok")), ("note.pdf", b"<html>hello</html>")])
    assert response.status_code == 400
    assert "La pièce justificative « note.pdf » n'est pas un PDF" in text(response)
    assert counts() == before
    eleven = [(f"p{i}.pdf", make_pdf("P")) for i in range(11)]
    assert "10 pièces justificatives au plus" in text(send(client, dossier, supporting=eleven))
    assert counts() == before


def test_the_api_takes_the_same_fields_and_checks_ttc_against_the_vat_liability(cfa, app):
    org, dossier, _ = cfa
    api = ApiClient(app.test_client(), create_key(org, "Ypareo")[1])
    body = {"numeroInterneDossier": dossier.number, "dateDebutPeriode": "2025-09-01", "dateFinPeriode": "2026-02-28",
            "montantFraisPedagogiques": "2800.00", "acceptationConditions": "true", "montantHT": "2800.00",
            "montantTTC": "3360.00", "dateFacture": "2025-09-05", "commentaire": "Par l'API"}

    def post(values):
        data = {**values, "facture": (io.BytesIO(make_pdf("Facture")), "facture.pdf"),
                "justificatifs": [(io.BytesIO(make_pdf("J1")), "j1.pdf"), (io.BytesIO(make_pdf("J2")), "j2.pdf")]}
        return api.post("/api/v1/factures", data=data, content_type="multipart/form-data")

    refused = post(body)
    assert refused.status_code == 422
    assert [e["champ"] for e in refused.get_json()["erreurs"]] == ["montantTTC"]
    assert "n'est pas assujetti à la TVA" in refused.get_json()["erreurs"][0]["message"]
    models.Organisation.update(vat_liable=True).where(models.Organisation.id == org.id).execute()
    accepted = post(body)
    assert accepted.status_code == 201, accepted.get_json()
    assert (accepted.get_json()["montantHT"], accepted.get_json()["montantFacture"]) == ("2800.00", "3360.00")
    assert accepted.get_json()["dateFacture"] == "2025-09-05"
    invoice = models.Invoice.get()
    assert (invoice.total_ttc, invoice.comment, invoice.cfa_invoice_date) == (
        Decimal("3360.00"), "Par l'API", dt.date(2025, 9, 5))
    assert sorted(d.original_name for d in models.Document.select().where(
        (models.Document.invoice == invoice.id) & (models.Document.doc_type == "justificatif"))) == ["j1.pdf", "j2.pdf"]


# --- mass invoicing, step 3 -------------------------------------------------------------------------------------

def _mass_draft(client, dossier):
    response = client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [dossier.id],
                                                          "action": "next"})
    assert response.status_code == 302
    invoice = models.Invoice.select().order_by(models.Invoice.id.desc()).first()
    item = (models.Installment.select().where((models.Installment.dossier == dossier.id)
                                              & (models.Installment.status == "to_invoice"))
            .order_by(models.Installment.billable_from).first())
    assert client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                            {f"inst-{dossier.id}": [item.id]}).status_code == 302
    return invoice, item.amount


def _mass_send(client, invoice, **values):
    data = {"cfa_reference": "MASSE-1", "cfa_invoice_date": clock.today().strftime("%d/%m/%Y"), "terms": "y",
            "action": "send", "document": pdf_file("facture.pdf"), **values}
    return client.post_form(f"/portail/facturation/{invoice.id}/envoi", data, content_type="multipart/form-data")


def test_mass_invoicing_step_three_takes_the_declared_amounts_comment_and_supporting_documents(cfa):
    org, dossier, client = cfa
    models.Organisation.update(vat_liable=True).where(models.Organisation.id == org.id).execute()
    invoice, total = _mass_draft(client, dossier)
    page = text(client.get(f"/portail/facturation/{invoice.id}/envoi"))
    assert 'name="amount_ht"' in page and 'name="amount_ttc"' in page and 'name="supporting_pdfs"' in page
    ttc = (total * Decimal("1.2")).quantize(Decimal("0.01"))
    # saved for later: what was typed comes back
    saved = client.post_form(f"/portail/facturation/{invoice.id}/envoi",
                             {"amount_ht": "1,00", "amount_ttc": "2,00", "comment": "à finir", "action": "save"})
    assert saved.status_code == 302
    page = text(client.get(f"/portail/facturation/{invoice.id}/envoi"))
    assert 'value="1,00"' in page and 'value="2,00"' in page and "à finir</textarea>" in page
    refused = _mass_send(client, invoice, amount_ht="1,00")
    assert refused.status_code == 400 and "doit être égal au total demandé" in text(refused)
    assert models.Invoice.get_by_id(invoice.id).state == "brouillon"
    response = _mass_send(client, invoice, amount_ht=str(total), amount_ttc=str(ttc), comment="Lot de mars",
                          supporting_pdfs=[pdf_file("annexe.pdf")])
    assert response.status_code == 302, text(response)[-1500:]
    sent = models.Invoice.get_by_id(invoice.id)
    assert (sent.state, sent.total_ht, sent.total_ttc, sent.comment) == ("en_traitement", total, ttc, "Lot de mars")
    assert models.Document.select().where((models.Document.invoice == sent.id)
                                          & (models.Document.doc_type == "justificatif")).count() == 1


def test_mass_invoicing_without_vat_says_so_and_refuses_another_ttc(cfa):
    org, dossier, client = cfa
    invoice, total = _mass_draft(client, dossier)
    page = text(client.get(f"/portail/facturation/{invoice.id}/envoi"))
    assert 'name="amount_ttc"' not in page and "votre organisme n'est pas assujetti à la TVA" in page
    assert _mass_send(client, invoice).status_code == 302
    sent = models.Invoice.get_by_id(invoice.id)
    assert (sent.total_ht, sent.total_ttc) == (total, total)
