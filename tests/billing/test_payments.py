"""Payments: only validated invoices, only to approved bank details, credit notes deducted, remittance."""
import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

import models
from workflows.credit_notes import create_credit_note
from workflows.payments import PaymentError, record_payment
from tests.billing.billing_helpers import admin_client, pay_in_back_office
from tests.factories import comptable, make_invoice

RECORD = "/admin/payment/enregistrer/"


def _key(client, org):
    page = client.get(f"{RECORD}?organisation={org.id}").get_data(as_text=True)
    return re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)


def _pay(client, org, invoices, key=None):
    return pay_in_back_office(client, org, invoices, key=key)


def test_a_payment_covers_each_invoice_and_dossier_and_marks_them_paid(factory, make_client):
    org = factory.organisation()
    d1, d2 = (factory.dossier(organisation=org, state="engage") for _ in range(2))
    inst = models.Installment.create(dossier=d1, number=1, year=1, kind="advance", billable_from=dt.date(2025, 9, 1),
                                     period_start=dt.date(2025, 9, 1), period_end=dt.date(2026, 2, 28),
                                     amount=Decimal("2800.00"))
    inv1 = make_invoice(org, d1, state="validee", lines=[dict(dossier=d1, installment=inst, nature="teaching",
                                                              quantity=1, amount=Decimal("2800.00"))])
    inv2 = make_invoice(org, None, state="validee", lines=[
        dict(dossier=d1, nature="meals", quantity=10, amount=Decimal("30.00")),
        dict(dossier=d2, nature="teaching", quantity=1, amount=Decimal("1500.00")),
        dict(dossier=d2, nature="lodging", quantity=5, amount=Decimal("30.00"))])
    bank = factory.approved_bank(org)
    client, user = admin_client(make_client, factory)
    assert client.get(RECORD).status_code == 200
    response = _pay(client, org, [inv1, inv2])
    assert response.status_code == 302
    payment = models.Payment.get()
    assert (payment.gross, payment.deductions, payment.net) == (Decimal("4360.00"), Decimal("0.00"), Decimal("4360.00"))
    assert payment.bank_details_id == bank.id and payment.date == dt.date(2026, 3, 15) and payment.created_by_id == user.id
    lines = sorted((l.invoice_id, l.dossier_id, l.amount) for l in payment.lines)
    assert lines == sorted([(inv1.id, d1.id, Decimal("2800.00")), (inv2.id, d1.id, Decimal("30.00")),
                            (inv2.id, d2.id, Decimal("1530.00"))])
    assert {models.Invoice.get_by_id(i.id).state for i in (inv1, inv2)} == {"payee"}
    assert models.Installment.get_by_id(inst.id).status == "paid"
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "payment").count() == 1
    details = client.get(response.headers["Location"]).get_data(as_text=True)
    assert payment.reference in details and d2.number in details


def test_credit_notes_in_deduction_mode_are_subtracted_oldest_first(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    old = create_credit_note(dossier, "300.00", "rupture", issued_on=dt.date(2026, 1, 5))
    big = create_credit_note(dossier, "900.00", "amendment", issued_on=dt.date(2026, 2, 5))
    inv = make_invoice(org, dossier, amount="1000.00", state="validee")
    factory.approved_bank(org)
    client, _ = admin_client(make_client, factory)
    page = client.get(f"{RECORD}?organisation={org.id}").get_data(as_text=True)
    assert "PRO-1" in page and "PRO-2" in page  # the preview lists what will be deducted
    _pay(client, org, [inv])
    payment = models.Payment.get()
    assert (payment.gross, payment.deductions, payment.net) == (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    old, big = models.CreditNote.get_by_id(old.id), models.CreditNote.get_by_id(big.id)
    assert (old.state, old.amount_settled) == ("imputee", Decimal("300.00"))
    assert (big.state, big.amount_settled) == ("a_emettre", Decimal("700.00"))  # 200 € left for the next payment
    assert sorted((d.credit_note_id, d.amount) for d in payment.deduction_lines) == [
        (old.id, Decimal("300.00")), (big.id, Decimal("700.00"))]
    inv2 = make_invoice(org, dossier, amount="500.00", state="validee")
    _pay(client, org, [inv2])
    second = models.Payment.select().order_by(-models.Payment.id).first()
    assert (second.deductions, second.net) == (Decimal("200.00"), Decimal("300.00"))
    assert models.CreditNote.get_by_id(big.id).state == "imputee"


def test_refund_mode_credit_notes_are_not_deducted(factory, make_client):
    org = factory.organisation(credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage")
    create_credit_note(dossier, "300.00", "rupture")
    inv = make_invoice(org, dossier, amount="1000.00", state="validee")
    factory.approved_bank(org)
    client, _ = admin_client(make_client, factory)
    _pay(client, org, [inv])
    assert models.Payment.get().net == Decimal("1000.00")


def test_no_payment_without_approved_bank_details(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    inv = make_invoice(org, dossier, state="validee")
    models.BankDetails.create(organisation=org, iban="FR7630006000011234567890189", bic="BNPAFRPPXXX", holder="X")
    client, _ = admin_client(make_client, factory)
    response = _pay(client, org, [inv])
    assert response.status_code == 400
    assert "n&#39;a pas de coordonnées bancaires validées" in response.get_data(as_text=True)
    assert models.Payment.select().count() == 0 and models.Invoice.get_by_id(inv.id).state == "validee"
    assert models.Counter.get_or_none(models.Counter.name == "payment") is None  # no reference used up


def test_only_validated_invoices_of_the_organisation_can_be_paid(factory, make_client):
    org, other = factory.organisation(), factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    in_process = make_invoice(org, dossier)
    foreign = make_invoice(other, factory.dossier(organisation=other, state="engage"), state="validee")
    factory.approved_bank(org)
    client, _ = admin_client(make_client, factory)
    key = _key(client, org)
    for bad in (in_process, foreign):
        response = client.post_form(RECORD, {"organisation": str(org.id), "submission_key": key,
                                             "invoices": [str(bad.id)]})
        assert response.status_code == 400
    with pytest.raises(PaymentError, match="« En cours de traitement » : seules les factures validées"):
        record_payment(org, [in_process.id], "k1", user=comptable())
    with pytest.raises(PaymentError, match="autre organisme"):
        record_payment(org, [foreign.id], "k2", user=comptable())
    assert models.Payment.select().count() == 0


def test_a_conseiller_cannot_record_a_payment(factory, make_client):
    org = factory.organisation()
    inv = make_invoice(org, factory.dossier(organisation=org, state="engage"), state="validee")
    factory.approved_bank(org)
    client, _ = admin_client(make_client, factory, role="conseiller")
    assert client.get(RECORD).status_code == 403
    assert client.post_form(RECORD, {"organisation": str(org.id), "submission_key": "x",
                                     "invoices": [str(inv.id)]}).status_code == 403
    assert models.Payment.select().count() == 0


def _paid(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    create_credit_note(dossier, "100.00", "rupture")
    inv = make_invoice(org, dossier, amount="1234.56", state="validee")
    factory.approved_bank(org)
    client, _ = admin_client(make_client, factory)
    _pay(client, org, [inv])
    return org, dossier, models.Payment.get(), client


def test_the_remittance_pdf_lists_invoices_dossiers_and_deductions(factory, make_client):
    org, dossier, payment, staff = _paid(factory, make_client)
    response = staff.get(f"/admin/payment/avis/{payment.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert payment.reference in text and dossier.number in text and "PRO-1" in text
    assert "1 234,56" in text.replace("\u00a0", " ") and "1 134,56" in text.replace("\u00a0", " ")
    cfa = make_client(factory.cfa_user(org).email)
    portal = cfa.get(f"/portail/reglements/{payment.reference}/avis.pdf")
    assert portal.status_code == 200 and portal.data.startswith(b"%PDF")


def test_the_portal_lists_and_exports_the_organisation_payments_only(factory, make_client):
    org, dossier, payment, _ = _paid(factory, make_client)
    cfa = make_client(factory.cfa_user(org).email)
    page = cfa.get("/portail/reglements").get_data(as_text=True)
    assert payment.reference in page
    export = cfa.get("/portail/reglements/export.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Référence du règlement" and rows[1][0] == payment.reference and rows[1][-1] == "1\u00a0134,56\u00a0€"
    assert cfa.get("/portail/reglements/export.xlsx").data[:2] == b"PK"
    stranger = make_client(factory.cfa_user(factory.organisation()).email)
    assert payment.reference not in stranger.get("/portail/reglements").get_data(as_text=True)
    assert stranger.get(f"/portail/reglements/{payment.reference}/avis.pdf").status_code == 404
    no_billing = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    assert no_billing.get("/portail/reglements").status_code == 403


def test_the_portal_payment_filters_apply_to_the_list_and_the_export(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    factory.approved_bank(org)
    march = record_payment(org, [make_invoice(org, dossier, state="validee").id], "k-march", date=dt.date(2026, 3, 15),
                           user=comptable())[0]
    april = record_payment(org, [make_invoice(org, dossier, state="validee").id], "k-april", date=dt.date(2026, 4, 15),
                           user=comptable())[0]
    cfa = make_client(factory.cfa_user(org).email)
    page = cfa.get("/portail/reglements?du=01/04/2026").get_data(as_text=True)
    assert april.reference in page and march.reference not in page
    assert "du=01/04/2026" in page.replace("%2F", "/")  # the export links carry the filter
    export = cfa.get("/portail/reglements/export.csv?au=31/03/2026").get_data(as_text=True)
    assert march.reference in export and april.reference not in export
    assert cfa.get("/portail/reglements?du=n'importe").status_code == 200  # a bad date is ignored


# --- recording in three steps: nothing ticked, a remittance to confirm, then the payment ----------------

def _two_validated_invoices(factory):
    org = factory.organisation(name="CFA Sud")
    dossier = factory.dossier(organisation=org, state="engage")
    note = create_credit_note(dossier, "485.00", "rupture", issued_on=dt.date(2026, 1, 5))
    first = make_invoice(org, dossier, amount="8000.00", state="validee")
    second = make_invoice(org, dossier, amount="970.00", state="validee")
    factory.approved_bank(org)
    return org, dossier, note, first, second


def test_the_choice_page_ticks_no_invoice(factory, make_client):
    org, *_ = _two_validated_invoices(factory)
    client, _ = admin_client(make_client, factory)
    page = client.get(f"{RECORD}?organisation={org.id}").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="invoices"[^>]*>', page)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)


def test_posting_the_choice_shows_the_remittance_and_writes_nothing(factory, make_client):
    org, dossier, note, first, second = _two_validated_invoices(factory)
    client, _ = admin_client(make_client, factory)
    audits = models.AuditEntry.select().count()
    response = client.post_form(RECORD, {"organisation": str(org.id), "submission_key": _key(client, org),
                                         "invoices": [str(first.id), str(second.id)], "date": "15/03/2026"})
    assert response.status_code == 200
    page = response.get_data(as_text=True).replace("\u00a0", " ")
    remittance = page[page.index('id="remittance"'):]
    assert first.display_number in remittance and second.display_number in remittance and dossier.number in remittance
    assert dossier.apprentice_name in remittance
    assert "8 970,00 €" in remittance and "PRO-1" in remittance and "485,00 €" in remittance
    assert "8 485,00 €" in remittance  # net = 8 970 − 485
    assert "FR76 •••• •••• •••• •••• •••0 189" in remittance and "FR7630006000011234567890189" not in page
    assert "Confirmer et enregistrer" in page
    assert models.Payment.select().count() == 0 and models.AuditEntry.select().count() == audits
    assert {models.Invoice.get_by_id(i.id).state for i in (first, second)} == {"validee"}
    assert models.CreditNote.get_by_id(note.id).amount_settled == Decimal("0.00")


def test_confirming_records_the_payment_with_a_french_amount(factory, make_client):
    org, _, note, first, second = _two_validated_invoices(factory)
    client, _ = admin_client(make_client, factory)
    response = _pay(client, org, [first, second])
    assert response.status_code == 302
    payment = models.Payment.get()
    assert (payment.gross, payment.deductions, payment.net) == (Decimal("8970.00"), Decimal("485.00"),
                                                               Decimal("8485.00"))
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("\u00a0", " ")
    assert "8 485,00 € versés" in page and "8485.00" not in page


def test_a_remittance_that_changed_since_it_was_shown_is_not_recorded(factory, make_client):
    org, dossier, _, first, second = _two_validated_invoices(factory)
    client, _ = admin_client(make_client, factory)
    choice = {"organisation": str(org.id), "submission_key": _key(client, org), "invoices": [str(first.id)],
              "date": "15/03/2026"}
    shown = client.post_form(RECORD, choice).get_data(as_text=True)
    expected = re.search(r'name="expected_net"[^>]*value="([^"]*)"', shown).group(1)
    create_credit_note(dossier, "15.00", "amendment")  # another deduction arrives before the confirmation
    response = client.post_form(RECORD, {**choice, "confirm": "1", "expected_net": expected})
    assert response.status_code == 400 and models.Payment.select().count() == 0
    page = response.get_data(as_text=True).replace("\u00a0", " ")
    assert "a changé depuis sa vérification" in page and "7 500,00 €" in page
