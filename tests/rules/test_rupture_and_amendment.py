"""Rupture settlement (and its preview) and amendments (SPEC §5)."""
from datetime import date
from decimal import Decimal

from rules import Contract, RuptureInput, amend, compute_financing, financing_end, settle_rupture

TWO_YEARS_2021 = Contract(date(2023, 8, 20), date(2023, 9, 1), date(2025, 8, 31), Decimal("7000.00"))
LEVEL_6_2025 = Contract(date(2025, 9, 1), date(2025, 9, 1), date(2027, 8, 31), Decimal("9000.00"), level=6)


def test_rupture_in_first_45_days_halves_the_employer_share():
    settlement = settle_rupture(LEVEL_6_2025, RuptureInput(date(2025, 10, 10), Decimal("2850.00")))
    # 40 days of 9000/365 = 986.30; half of it is the share.
    assert settlement.due_gross == Decimal("986.30")
    assert settlement.employer_share == Decimal("493.15")
    assert settlement.due == Decimal("493.15")
    assert settlement.credit_note == Decimal("2356.85")


def test_rupture_after_45_days_keeps_the_full_employer_share():
    settlement = settle_rupture(LEVEL_6_2025, RuptureInput(date(2025, 10, 16), Decimal("0")))
    assert settlement.employer_share == Decimal("750.00")


def test_installments_not_yet_billable_at_the_rupture_are_cancelled():
    settlement = settle_rupture(TWO_YEARS_2021, RuptureInput(date(2024, 3, 10), Decimal("4900.00")))
    financing = compute_financing(TWO_YEARS_2021)
    assert [i.billable_from for i in settlement.installments] == [date(2023, 9, 1), date(2024, 3, 1)]
    assert [i.amount for i in settlement.installments] == [Decimal("2800.00"), Decimal("1283.33")]
    assert settlement.installments[-1].period_end == date(2024, 3, 10)
    assert sum(i.amount for i in settlement.cancelled) == financing.net - settlement.due
    assert settlement.credit_note == Decimal("816.67") and settlement.remaining == Decimal("0.00")


def test_a_final_installment_carries_what_is_due_beyond_the_billable_installments():
    settlement = settle_rupture(TWO_YEARS_2021, RuptureInput(date(2024, 5, 20), Decimal("4900.00")))
    final = settlement.installments[-1]
    assert (final.kind, final.billable_from, final.amount) == ("final", date(2024, 5, 20), Decimal("350.00"))
    assert (final.period_start, final.period_end) == (date(2023, 9, 1), date(2024, 5, 20))
    assert settlement.remaining == Decimal("350.00")


def test_the_preview_does_not_change_anything_and_gives_the_same_figures_twice():
    rupture = RuptureInput(date(2024, 5, 20), Decimal("4900.00"))
    assert settle_rupture(TWO_YEARS_2021, rupture) == settle_rupture(TWO_YEARS_2021, rupture)


def test_continuation_at_the_cfa_runs_six_months_stopped_by_a_new_contract_and_by_the_end():
    rupture = RuptureInput(date(2024, 8, 31), Decimal("0"), continues_at_cfa=True)
    assert financing_end(TWO_YEARS_2021, rupture) == date(2025, 2, 28)
    with_new = RuptureInput(date(2024, 8, 31), Decimal("0"), True, new_contract=date(2024, 10, 1))
    assert financing_end(TWO_YEARS_2021, with_new) == date(2024, 9, 30)
    late = RuptureInput(date(2025, 6, 1), Decimal("0"), continues_at_cfa=True)
    assert financing_end(TWO_YEARS_2021, late) == date(2025, 8, 31)
    assert financing_end(TWO_YEARS_2021, RuptureInput(date(2024, 8, 31), Decimal("0"))) == date(2024, 8, 31)


def test_an_amendment_extending_the_contract_adds_installments():
    result = amend(TWO_YEARS_2021, new_end=date(2026, 2, 28), paid=Decimal("14000"))
    assert result.financing.total == Decimal("17500.00")  # + 6 months of 7000
    assert result.difference == Decimal("3500.00")
    assert result.credit_note == Decimal("0.00") and result.remaining == Decimal("3500.00")
    assert [i.year for i in result.added] == [3, 3]
    assert result.removed == ()


def test_an_amendment_shortening_the_contract_gives_a_credit_note_for_what_was_paid_beyond():
    result = amend(TWO_YEARS_2021, new_end=date(2024, 8, 31), paid=Decimal("9800"))
    assert result.financing.total == Decimal("7000.00")
    assert result.difference == Decimal("-7000.00")
    assert result.credit_note == Decimal("2800.00")
    assert len(result.removed) == 3


def test_an_amendment_of_the_npec_recomputes_every_installment():
    result = amend(TWO_YEARS_2021, new_npec=Decimal("8000"))
    assert result.difference == Decimal("2000.00")
    assert result.contract.npec == Decimal("8000")
    assert len(result.added) == 6 and len(result.removed) == 6
