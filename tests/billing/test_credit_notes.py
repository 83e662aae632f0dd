"""Credit notes: issue, settlement mode, refusals, overdue refunds, pro forma and CFA upload."""
import datetime as dt
from decimal import Decimal

import pytest

import models
from services.credit_notes import CreditNoteError, create_credit_note, mark_overdue_credit_notes


def test_a_credit_note_takes_the_next_number_and_the_organisation_mode(factory):
    org = factory.organisation(credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage")
    first = create_credit_note(dossier, Decimal("120.50"), "rupture", issued_on=dt.date(2026, 3, 1))
    second = create_credit_note(dossier, "10", "amendment", issued_on=dt.date(2026, 3, 2))
    assert (first.number, second.number) == (1, 2)
    assert first.display_number == "PRO-1" and first.transfer_reference == "AVCAP PRO-1"
    assert first.settlement_mode == "refund" and first.due_date == dt.date(2026, 3, 16)
    assert first.amount == Decimal("120.50") and first.state == "a_emettre"
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "CreditNote").count() == 2
    assert models.Notification.select().where(models.Notification.organisation == org).count() == 2


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
