"""Credit notes: issue, settlement mode, refusals, overdue refunds, pro forma and CFA upload."""
import datetime as dt
import html
from decimal import Decimal

import pytest

import models
from workflows.credit_notes import CreditNoteError, create_credit_note, mark_overdue_credit_notes


def test_a_credit_note_takes_the_next_number_and_the_organisation_mode(factory):
    org = factory.organisation(credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage")
    billing = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts_billing"])
    factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])  # no billing right: not told
    first = create_credit_note(dossier, Decimal("120.50"), "rupture", issued_on=dt.date(2026, 3, 1))
    second = create_credit_note(dossier, "10", "amendment", issued_on=dt.date(2026, 3, 2))
    assert (first.number, second.number) == (1, 2)
    assert first.display_number == "PRO-1" and first.transfer_reference == "AVCAP PRO-1"
    assert first.settlement_mode == "refund" and first.due_date == dt.date(2026, 3, 16)
    assert first.amount == Decimal("120.50") and first.state == "a_emettre"
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "credit_note").count() == 2
    told = models.Notification.select().where(models.Notification.organisation == org)
    assert [n.user_id for n in told] == [billing.id, billing.id]


def test_a_deduction_mode_credit_note_has_no_due_date(factory):
    dossier = factory.dossier(state="engage")
    note = create_credit_note(dossier, "50", "rupture")
    assert note.settlement_mode == "deduction" and note.due_date is None


def test_a_stock_dossier_gets_no_credit_note_and_no_number_is_used(factory):
    stock = factory.dossier(state="engage", is_stock=True)
    with pytest.raises(CreditNoteError, match="reprise de stock"):
        create_credit_note(stock, "50", "rupture")
    assert models.CreditNote.select().count() == 0
    note = create_credit_note(factory.dossier(state="engage"), "50", "rupture")
    assert note.number == 1


def test_a_zero_or_negative_amount_is_refused(factory):
    dossier = factory.dossier(state="engage")
    for amount in ("0", "-5"):
        with pytest.raises(CreditNoteError):
            create_credit_note(dossier, amount, "rupture")


def test_a_refund_unpaid_after_15_days_becomes_overdue(factory):
    org = factory.organisation(credit_note_mode="refund")
    note = create_credit_note(factory.dossier(organisation=org, state="engage"), "80", "rupture",
                              issued_on=dt.date(2026, 3, 1))
    assert mark_overdue_credit_notes(dt.date(2026, 3, 16)) == 0
    assert mark_overdue_credit_notes(dt.date(2026, 3, 17)) == 1
    assert models.CreditNote.get_by_id(note.id).state == "en_retard"
    assert mark_overdue_credit_notes(dt.date(2026, 3, 18)) == 0


# --- through the real URLs ----------------------------------------------------------------------

import io  # noqa: E402

from pypdf import PdfReader  # noqa: E402

from tests.billing.billing_helpers import admin_client  # noqa: E402

from tests.factories import pdf_file


def test_the_overdue_command_marks_late_refunds(app, factory):
    org = factory.organisation(credit_note_mode="refund")
    note = create_credit_note(factory.dossier(organisation=org, state="engage"), "80", "rupture",
                              issued_on=dt.date(2026, 3, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["overdue-credit-notes", "--date", "16/03/2026"])
    assert result.exit_code == 0 and "0 avoir(s)" in result.output
    result = runner.invoke(args=["overdue-credit-notes", "--date", "17/03/2026"])
    assert result.exit_code == 0 and "1 avoir(s)" in result.output
    assert models.CreditNote.get_by_id(note.id).state == "en_retard"
    assert runner.invoke(args=["overdue-credit-notes", "--date", "31/02/2026"]).exit_code != 0


def test_the_cfa_chooses_refund_and_sees_the_instructions(factory, make_client, app):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    page = client.get("/portail/organisation/avoirs").get_data(as_text=True)
    assert "Déduction sur les prochains règlements" in page and "AVCAP" not in page
    assert client.post_form("/portail/organisation/avoirs", {"mode": "refund"}).status_code == 302
    assert models.Organisation.get_by_id(org.id).credit_note_mode == "refund"
    page = client.get("/portail/organisation/avoirs").get_data(as_text=True)
    assert "AVCAP PRO-" in page and app.config["OPCO_IBAN"] in page and "15 jours" in page
    assert client.post_form("/portail/organisation/avoirs", {"mode": "cash"}).status_code == 400
    assert models.AuditEntry.select().where(models.AuditEntry.action == "change_credit_note_mode").count() == 1
    note = create_credit_note(factory.dossier(organisation=org, state="engage"), "42", "rupture")
    assert note.settlement_mode == "refund"


def test_only_the_admin_of_or_a_billing_right_may_change_the_mode(factory, make_client):
    org = factory.organisation()
    manager = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    assert manager.get("/portail/organisation/avoirs").status_code == 403
    assert manager.post_form("/portail/organisation/avoirs", {"mode": "refund"}).status_code == 403
    assert models.Organisation.get_by_id(org.id).credit_note_mode == "deduction"


def test_the_cfa_downloads_the_pro_forma_and_uploads_its_avoir(factory, make_client):
    org = factory.organisation(credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage")
    note = create_credit_note(dossier, "321.50", "rupture", issued_on=dt.date(2026, 3, 1))
    client = make_client(factory.cfa_user(org).email)
    page = client.get("/portail/organisation/avoirs").get_data(as_text=True)
    assert "PRO-1" in page and dossier.number in page and "321,50" in page
    pdf = client.get("/portail/avoirs/1/pro-forma.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).replace("\u00a0", " ")
    assert "PRO-1" in text and "AVCAP PRO-1" in text and "321,50" in text and "16/03/2026" in text
    bad = client.post_form("/portail/avoirs/1/avoir", {"avoir": (io.BytesIO(b"not a pdf"), "avoir.pdf")},
                           content_type="multipart/form-data")
    assert bad.status_code == 400 and models.CreditNote.get_by_id(note.id).state == "a_emettre"
    ok = client.post_form("/portail/avoirs/1/avoir", {"avoir": pdf_file("avoir-cfa.pdf")},
                          content_type="multipart/form-data")
    assert ok.status_code == 302
    assert models.CreditNote.get_by_id(note.id).state == "deposee"
    assert models.Document.get(models.Document.credit_note == note.id).doc_type == "avoir"


def test_another_organisation_sees_no_credit_note_of_ours(factory, make_client):
    org = factory.organisation()
    create_credit_note(factory.dossier(organisation=org, state="engage"), "10", "rupture")
    stranger = make_client(factory.cfa_user(factory.organisation()).email)
    assert "PRO-1" not in stranger.get("/portail/organisation/avoirs").get_data(as_text=True)
    assert stranger.get("/portail/avoirs/1/pro-forma.pdf").status_code == 404
    assert stranger.post_form("/portail/avoirs/1/avoir", {"avoir": pdf_file()},
                              content_type="multipart/form-data").status_code == 404


def test_the_comptable_records_a_refund_and_refuses_it_for_deduction_mode(factory, make_client):
    refund_org = factory.organisation(credit_note_mode="refund")
    refund = create_credit_note(factory.dossier(organisation=refund_org, state="engage"), "75", "rupture")
    deduction = create_credit_note(factory.dossier(state="engage"), "75", "rupture")
    client, _ = admin_client(make_client, factory)
    post = lambda note: client.post_form("/admin/creditnote/action/", {  # noqa: E731
        "action": "marquer_rembourse", "rowid": [str(note.id)], "url": "/admin/creditnote/"})
    assert post(refund).status_code == 302
    fresh = models.CreditNote.get_by_id(refund.id)
    assert (fresh.state, fresh.amount_settled) == ("remboursee", Decimal("75.00")) and fresh.settled_at
    post(deduction)
    assert models.CreditNote.get_by_id(deduction.id).state == "a_emettre"
    assert "mode déduction" in client.get("/admin/creditnote/").get_data(as_text=True)
    post(refund)
    assert "déjà soldé" in client.get("/admin/creditnote/").get_data(as_text=True)
    conseiller, _ = admin_client(make_client, factory, role="conseiller")
    assert conseiller.post_form("/admin/creditnote/action/", {"action": "marquer_rembourse",
                                                              "rowid": [str(deduction.id)]}).status_code == 403


def _overpaid(factory, by="1250.00", **kw):
    """An engaged dossier paid beyond what is now due (its engagement lowered by `by` after the payment)."""
    from tests.billing.workflow_helpers import invoice_and_pay

    dossier = factory.engaged_dossier(**kw)
    _, paid = invoice_and_pay(dossier, 2)
    models.Dossier.update(total_financed=paid - Decimal(by) + dossier.employer_share).where(
        models.Dossier.id == dossier.id).execute()
    return models.Dossier.get_by_id(dossier.id), paid


def test_the_back_office_issues_a_credit_note_and_prints_its_pro_forma(factory, make_client):
    dossier, _ = _overpaid(factory)
    stock = factory.dossier(state="engage", is_stock=True)
    client, _ = admin_client(make_client, factory)
    url = "/admin/creditnote/emettre/"
    assert client.get(url).status_code == 200
    form = {"reason": "end_of_contract", "reason_detail": "Fin de contrat anticipée.", "confirm": "y"}
    refused = client.post_form(url, {**form, "dossier_number": stock.number, "amount": "100,00"})
    assert refused.status_code == 400 and "reprise de stock" in refused.get_data(as_text=True)
    bad_amount = client.post_form(url, {**form, "dossier_number": dossier.number, "amount": "abc"})
    assert bad_amount.status_code == 400 and "abc" in bad_amount.get_data(as_text=True)
    done = client.post_form(url, {**form, "dossier_number": dossier.number, "amount": ""})
    assert done.status_code == 302
    note = models.CreditNote.get()
    assert (note.number, note.amount, note.reason) == (1, Decimal("1250.00"), "end_of_contract")
    assert note.reason_detail == "Fin de contrat anticipée."
    pdf = client.get(f"/admin/creditnote/pro-forma/{note.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    conseiller, _ = admin_client(make_client, factory, role="conseiller")
    assert conseiller.get(url).status_code == 403


def test_no_credit_note_without_an_overpayment(factory, make_client):
    from tests.billing.workflow_helpers import invoice_and_pay

    dossier = factory.engaged_dossier()
    invoice_and_pay(dossier, 1)  # paid less than what is due
    client, _ = admin_client(make_client, factory)
    response = client.post_form("/admin/creditnote/emettre/", {
        "dossier_number": dossier.number, "amount": "1 250,00", "reason": "end_of_contract",
        "reason_detail": "Correction.", "confirm": "y"})
    assert response.status_code == 400 and models.CreditNote.select().count() == 0
    text = html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")
    assert "Aucun trop-perçu sur ce dossier" in text


def test_a_credit_note_is_capped_at_the_overpayment_and_needs_a_reason(factory, make_client):
    dossier, paid = _overpaid(factory, by="400.00")
    client, _ = admin_client(make_client, factory)
    url = "/admin/creditnote/emettre/"
    form = {"dossier_number": dossier.number, "reason": "amendment", "reason_detail": "Avenant de durée.",
            "confirm": "y"}
    too_much = client.post_form(url, {**form, "amount": "400,01"})
    text = html.unescape(too_much.get_data(as_text=True)).replace("\u00a0", " ")
    assert too_much.status_code == 400 and "ne peut pas dépasser le trop-perçu de 400,00 €" in text
    assert models.CreditNote.select().count() == 0
    no_reason = client.post_form(url, {**form, "reason_detail": "  ", "amount": ""})
    assert no_reason.status_code == 400 and models.CreditNote.select().count() == 0
    assert client.post_form(url, {**form, "amount": "150,00"}).status_code == 302
    assert client.post_form(url, {**form, "amount": ""}).status_code == 302  # the 250 € left
    assert [n.amount for n in models.CreditNote.select().order_by(models.CreditNote.number)] == [
        Decimal("150.00"), Decimal("250.00")]
    again = client.post_form(url, {**form, "amount": ""})
    assert again.status_code == 400 and "Aucun trop-perçu" in html.unescape(again.get_data(as_text=True))
