"""Credit notes, running balance, expired dossiers and the 2025 final deadline."""
from datetime import date
from decimal import Decimal

from rules import (
    Contract, apply_deductions, compute_financing, credit_note_number, credit_note_reference, expiry_date,
    final_installment_deadline, is_expired, is_final_installment_lost, is_overdue, refund_due_date,
    running_balance,
)


def test_credit_note_numbers_and_transfer_references():
    assert credit_note_number(42) == "PRO-42"
    assert credit_note_reference(42) == "AVCAP PRO-42"


def test_a_refund_is_due_fifteen_days_after_issue_and_overdue_the_day_after():
    issued = date(2025, 1, 20)
    assert refund_due_date(issued) == date(2025, 2, 4)
    assert not is_overdue(issued, date(2025, 2, 4))
    assert is_overdue(issued, date(2025, 2, 5))
    assert not is_overdue(issued, date(2025, 2, 5), settled=True)
    assert not is_overdue(issued, date(2025, 3, 1), mode="deduction")


def test_one_payment_absorbs_several_credit_notes_wholly_or_partly():
    net, applied = apply_deductions(Decimal("1000.00"), [("A", Decimal("300")), ("B", Decimal("500")),
                                                         ("C", Decimal("400"))])
    assert net == Decimal("0.00")
    assert applied == [("A", Decimal("300.00")), ("B", Decimal("500.00")), ("C", Decimal("200.00"))]


def test_a_payment_larger_than_the_credit_notes_keeps_the_rest():
    net, applied = apply_deductions(Decimal("1000.00"), [("A", Decimal("300")), ("B", Decimal("0"))])
    assert net == Decimal("700.00") and applied == [("A", Decimal("300.00"))]


def test_running_balance_of_a_dossier():
    contract = Contract(date(2023, 8, 20), date(2023, 9, 1), date(2024, 8, 31), Decimal("8000.00"))
    balance = running_balance(compute_financing(contract).installments, today=date(2024, 3, 15),
                              invoiced=Decimal("3200"), paid=Decimal("3200"))
    assert balance.committed == Decimal("8000.00")
    assert balance.billable_to_date == Decimal("5600.00")
    assert balance.remaining == Decimal("4800.00")
    assert balance.to_invoice_now == Decimal("2400.00")
    assert balance.awaiting_payment == Decimal("0.00")


def test_a_credit_note_gives_back_what_was_invoiced_beyond_the_commitment():
    balance = running_balance((), date(2024, 6, 1), invoiced=Decimal("4900"), paid=Decimal("4900"),
                              credited=Decimal("816.67"), committed=Decimal("4083.33"))
    assert balance.remaining == Decimal("0.00")


def test_expired_dossiers_wait_two_months_after_the_billing_end():
    assert expiry_date(date(2024, 12, 31)) == date(2025, 2, 28)
    assert is_expired(date(2024, 8, 31), date(2024, 10, 31), False, Decimal("1"), True)
    assert not is_expired(date(2024, 8, 31), date(2024, 10, 30), False, Decimal("1"), True)
    assert not is_expired(date(2024, 8, 31), date(2025, 1, 1), True, Decimal("1"), False)
    assert is_expired(date(2024, 8, 31), date(2025, 1, 1), False, Decimal("0"), False)
    assert not is_expired(date(2024, 8, 31), date(2025, 1, 1), False, Decimal("0"), True)


def test_the_2025_final_is_lost_four_months_after_the_end():
    contract = Contract(date(2025, 8, 25), date(2025, 9, 1), date(2026, 8, 31), Decimal("8000"))
    assert final_installment_deadline(contract) == date(2026, 12, 31)
    assert not is_final_installment_lost(contract, date(2026, 12, 31))
    assert is_final_installment_lost(contract, date(2027, 1, 1))
    assert not is_final_installment_lost(contract, date(2027, 1, 1), invoiced=True)
    older = Contract(date(2024, 8, 25), date(2024, 9, 1), date(2025, 8, 31), Decimal("8000"))
    assert final_installment_deadline(older) is None
