"""Demande de remboursement (seed 001): every refusal reason explained in French with its figures and what was
typed kept, nothing written; acceptance writes the invoice, its lines, documents, audit and the receipt PDF."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

import models
from tests.factories import make_pdf


@pytest.fixture
def cfa(factory):
    org = factory.organisation(name="CFA Sud Formation")
    user = factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(org)
    return org, user, dossier


@pytest.fixture
def client(make_client, cfa):
    return make_client("admin@cfa-sud.test")


FIRST_ADVANCE = {"period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00",
                 "terms": "y"}


def send(client, dossier, data=None, invoice=True, certificate=False, **overrides):
    body = dict(FIRST_ADVANCE if data is None else data)
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not None}
    if invoice:
        body["invoice_pdf"] = (io.BytesIO(make_pdf("Facture")), "facture-2025-09.pdf")
    if certificate:
        body["certificate_pdf"] = (io.BytesIO(make_pdf("Certificat")), "certificat.pdf")
    return client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", body,
                            content_type="multipart/form-data")


def counts():
    return {m.__name__: m.select().count() for m in (models.Invoice, models.InvoiceLine, models.Document,
                                                      models.AuditEntry, models.InvoiceEvent, models.Counter)}


def refused(response, rule):
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text[-2000:]
    match = re.search(r'<li data-rule="' + re.escape(rule) + r'">([^<]*)</li>', text)
    assert match, f"refusal {rule} not shown; page: {re.findall(r'data-rule=.([a-z_]+)', text)}"
    return match.group(1).replace("\u00a0", " ").replace("&#39;", "'")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\u00a0", " ")


# --- acceptance -------------------------------------------------------------------------------------------------

def test_first_advance_is_accepted_without_certificate_and_gives_a_receipt_with_the_figures(client, cfa):
    org, user, dossier = cfa
    response = send(client, dossier)
    assert response.status_code == 302
    invoice = models.Invoice.get()
    assert response.headers["Location"].endswith(f"/portail/factures/{invoice.id}?depose=1")
    assert (invoice.state, invoice.number, invoice.total_ttc) == ("en_traitement", 1, Decimal("2800.00"))
    assert invoice.display_number == "F0000001" and invoice.receipt_number == "R0000001"
    assert invoice.terms_accepted_at is not None and invoice.created_by_id == user.id
    lines = list(invoice.lines)
    assert [(line.nature, line.amount) for line in lines] == [("teaching", Decimal("2800.00"))]
    assert (lines[0].period_start, lines[0].period_end) == (dt.date(2025, 9, 1), dt.date(2026, 2, 28))
    audit = models.AuditEntry.get((models.AuditEntry.entity == "invoice") & (models.AuditEntry.action == "deposit"))
    assert audit.entity_id == str(invoice.id) and audit.actor == "admin@cfa-sud.test"
    kinds = sorted(d.doc_type for d in models.Document.select().where(models.Document.invoice == invoice.id))
    assert kinds == ["facture", "recepisse"]
    first = models.Installment.get(models.Installment.dossier == dossier.id, models.Installment.number == 1)
    assert first.status == "invoiced"
    assert models.Installment.get(models.Installment.dossier == dossier.id, models.Installment.number == 2).status == "to_invoice"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a bien été déposée" in page and f"/portail/factures/{invoice.id}/recepisse" in page
    receipt = client.get(f"/portail/factures/{invoice.id}/recepisse")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF-")
    assert receipt.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(receipt.data)
    assert "Récépissé" in text and "R0000001" in text and "CFA Sud Formation" in text
    assert dossier.number in text and "BTS Management commercial opérationnel" in text
    flat = " ".join(text.split())
    assert "Financement accordé : 16 000,00 €" in flat  # 14 000 teaching + 2 000 annex caps (one balance)
    assert "Remboursements déjà effectués : 0,00 €" in flat
    assert "01/09/2025" in text and "28/02/2026" in text and "2 800,00 €" in text
    assert dossier.apprentice.nir not in text.replace(" ", "")
    assert "2 04 05 ** *** *** **" in flat  # masked NIR
    assert "Facture Fournie" in flat and "Certificat de réalisation Non fournie" in flat


def test_the_receipt_stays_downloadable_from_the_invoices_list(client, cfa):
    send(client, cfa[2])
    invoice = models.Invoice.get()
    listing = client.get("/portail/factures").get_data(as_text=True)
    assert invoice.display_number in listing and f"/portail/factures/{invoice.id}/recepisse" in listing
    assert client.get(f"/portail/factures/{invoice.id}/recepisse").data.startswith(b"%PDF-")
    logged = models.AuditEntry.select().where(models.AuditEntry.action == "download").count()
    assert logged == 1


def test_a_later_request_with_certificate_and_annex_costs_is_accepted_with_one_line_per_nature(client, cfa):
    dossier = cfa[2]
    assert send(client, dossier).status_code == 302
    response = send(client, dossier, {"period_start": "01/03/2026", "period_end": "31/05/2026",
                                      "teaching_amount": "2100", "nights": "10", "lodging_amount": "60",
                                      "meals": "20", "meals_amount": "59,50", "first_equipment_amount": "499,99",
                                      "terms": "y"}, certificate=True)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    second = models.Invoice.select().order_by(models.Invoice.id.desc()).get()
    assert second.number == 2 and second.total_ttc == Decimal("2719.49")
    assert sorted((l.nature, l.quantity, l.amount) for l in second.lines) == [
        ("first_equipment", 1, Decimal("499.99")), ("lodging", 10, Decimal("60.00")),
        ("meals", 20, Decimal("59.50")), ("teaching", 1, Decimal("2100.00"))]
    assert "certificat" in {d.doc_type for d in models.Document.select().where(models.Document.invoice == second.id)}


def test_the_same_form_sent_twice_creates_one_invoice(client, cfa):
    dossier = cfa[2]
    key = "a" * 32
    first = send(client, dossier, submission_key=key)
    again = send(client, dossier, submission_key=key)
    assert first.status_code == 302 and again.status_code == 302
    assert first.headers["Location"].split("?")[0] == again.headers["Location"]
    assert models.Invoice.select().count() == 1


def test_the_form_shows_the_rhythm_of_the_dossiers_regime_with_its_dates_and_amounts(client, cfa):
    page = client.get(f"/portail/dossiers/{cfa[2].number}/remboursement").get_data(as_text=True)
    help_box = page[page.index('id="rhythm-help"'):]
    assert "Contrats conclus depuis le 01/07/2025" in help_box and "10 % (solde final)" in help_box
    assert "01/09/2025" in help_box and "2\u00a0800,00\u00a0€" in help_box and "31/08/2026" in help_box
    assert 'id="live-total"' in page


# --- refusals ---------------------------------------------------------------------------------------------------

REFUSALS = [
    ("period_order", dict(period_start="28/02/2026", period_end="01/09/2025"), "avant son début"),
    ("period_outside_contract", dict(period_start="01/08/2025"), "sort du contrat"),
    ("teaching_over_billable", dict(teaching_amount="3 000,00"), "2 800,00 €"),
    ("lodging_rate", dict(nights="10", lodging_amount="100"), "60,00 €"),
    ("meals_rate", dict(meals="10", meals_amount="31"), "30,00 €"),
    ("lodging_cap", dict(nights="200", lodging_amount="1200"), "600,00 €"),
    ("meals_cap", dict(meals="400", meals_amount="1200"), "900,00 €"),
    ("first_equipment_max", dict(first_equipment_amount="600"), "500,00 €"),
    ("mobility_cap", dict(mobility_amount="100"), "0,00 €"),
    ("terms_not_accepted", dict(terms=None), "conditions générales"),
    ("negative_amount", dict(teaching_amount="-5"), "-5,00 €"),
    ("negative_quantity", dict(nights="-1"), "Quantité négative"),
    ("empty_request", dict(teaching_amount="0"), "aucun montant"),
]


@pytest.mark.parametrize("rule,changes,figure", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_explains_the_rule_and_its_figures_keeps_the_input_and_writes_nothing(client, cfa, rule,
                                                                                             changes, figure):
    before = counts()
    response = send(client, cfa[2], **changes)
    message = refused(response, rule)
    assert figure in message, message
    page = response.get_data(as_text=True)
    for name, value in changes.items():
        if value is not None and name != "terms":
            assert f'value="{value}"' in page, f"{name} not kept"
    assert counts() == before


def test_the_invoice_pdf_is_required(client, cfa):
    before = counts()
    assert "obligatoire" in refused(send(client, cfa[2], invoice=False), "invoice_missing")
    assert counts() == before


def test_the_certificate_is_required_beyond_the_first_advance(client, cfa):
    dossier = cfa[2]
    send(client, dossier)
    before = counts()
    response = send(client, dossier, period_start="01/03/2026", period_end="31/05/2026", teaching_amount="2100")
    assert "certificat de réalisation" in refused(response, "certificate_missing")
    assert counts() == before


def test_a_period_already_invoiced_is_refused_with_both_periods(client, cfa):
    dossier = cfa[2]
    send(client, dossier)
    response = send(client, dossier, teaching_amount="100", certificate=True)
    message = refused(response, "teaching_periods_overlap")
    assert "01/09/2025" in message and "28/02/2026" in message


def test_first_equipment_is_billed_once(client, cfa):
    dossier = cfa[2]
    assert send(client, dossier, first_equipment_amount="100").status_code == 302
    response = send(client, dossier, period_start="01/03/2026", period_end="31/05/2026", teaching_amount="",
                    first_equipment_amount="50", certificate=True)
    assert "déjà été facturé" in refused(response, "first_equipment_once")


def test_mobility_above_the_opco_flat_amount_is_refused(client, cfa):
    dossier = cfa[2]
    dossier.cap_mobility = Decimal("2000.00")
    dossier.save()
    assert "500,00 €" in refused(send(client, dossier, mobility_amount="600"), "mobility_flat")


def test_a_period_after_the_rupture_is_refused(client, cfa):
    dossier = cfa[2]
    dossier.rupture_date = dt.date(2025, 12, 31)
    dossier.save()
    assert "31/12/2025" in refused(send(client, dossier), "period_after_rupture")


@pytest.mark.parametrize("field,value,message", [
    ("period_start", "31/02/2026", "Date invalide"),
    ("period_end", "", "Date obligatoire"),
    ("teaching_amount", "deux mille", "Montant invalide"),
    ("teaching_amount", "1e9", "Montant invalide"),
    ("teaching_amount", "99999999999", "Montant hors limites"),
    ("nights", "3.5", "Nombre entier attendu"),
])
def test_badly_typed_fields_are_refused_in_french_and_kept(client, cfa, field, value, message):
    before = counts()
    response = send(client, cfa[2], **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert f'value="{value}"' in page or value == ""
    assert counts() == before


def test_a_file_that_is_not_a_pdf_is_refused_by_its_content(client, cfa):
    body = dict(FIRST_ADVANCE, invoice_pdf=(io.BytesIO(b"GIF89a fake"), "facture.pdf"))
    before = counts()
    response = client.post_form(f"/portail/dossiers/{cfa[2].number}/remboursement", body,
                                content_type="multipart/form-data")
    assert response.status_code == 400 and "n&#39;est pas un PDF" in response.get_data(as_text=True)
    assert counts() == before


def test_a_file_over_10_mb_gets_the_french_413_page(client, cfa):
    big = make_pdf() + b"%" + b"0" * (10 * 1024 * 1024)
    body = dict(FIRST_ADVANCE, invoice_pdf=(io.BytesIO(big), "facture.pdf"))
    before = counts()
    response = client.post_form(f"/portail/dossiers/{cfa[2].number}/remboursement", body,
                                content_type="multipart/form-data")
    assert response.status_code == 413 and "Fichier trop volumineux" in response.get_data(as_text=True)
    assert counts() == before


def test_two_files_of_nearly_10_mb_each_are_accepted_together(client, cfa):
    base = make_pdf()
    nine_mb = base + b"%" * (9 * 1024 * 1024)
    body = dict(FIRST_ADVANCE, invoice_pdf=(io.BytesIO(nine_mb), "facture.pdf"),
                certificate_pdf=(io.BytesIO(nine_mb), "certificat.pdf"))
    response = client.post_form(f"/portail/dossiers/{cfa[2].number}/remboursement", body,
                                content_type="multipart/form-data")
    assert response.status_code == 302
    sizes = sorted(d.size for d in models.Document.select().where(models.Document.doc_type != "recepisse"))
    assert sizes == [len(nine_mb), len(nine_mb)]


def test_only_engaged_dossiers_and_billing_users_may_request(make_client, factory, cfa):
    org, _, dossier = cfa
    pending = factory.dossier(organisation=org, state="en_instruction")
    client = make_client("admin@cfa-sud.test")
    assert client.get(f"/portail/dossiers/{pending.number}/remboursement").status_code == 403
    assert send(client, pending).status_code == 403
    no_billing = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])
    other = make_client(no_billing.email)
    assert other.get(f"/portail/dossiers/{dossier.number}/remboursement").status_code == 403
    assert send(other, dossier).status_code == 403
    assert "Demande de remboursement" not in other.get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    assert other.get("/portail/factures").status_code == 403
    assert models.Invoice.select().count() == 0


def test_invoice_numbers_have_no_gap_even_after_refusals(client, cfa):
    dossier = cfa[2]
    send(client, dossier, teaching_amount="99999")  # refused
    send(client, dossier)
    send(client, dossier, period_start="01/03/2026", period_end="31/05/2026", teaching_amount="2100",
         certificate=True)
    assert [i.number for i in models.Invoice.select().order_by(models.Invoice.number)] == [1, 2]
