"""Properties of the billing rules over randomly drawn contracts (hypothesis, 1,000 examples each)."""
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import Contract, RuptureInput, amend, apply_deductions, compute_financing, settle_rupture
from rules.regimes import R2025

CENT = Decimal("0.01")


@st.composite
def contracts(draw):
    conclusion = draw(st.dates(date(2018, 1, 1), date(2028, 12, 31)))
    start = conclusion + timedelta(days=draw(st.integers(0, 120)))
    end = start + timedelta(days=draw(st.integers(0, 1300)))
    return Contract(
        conclusion=conclusion,
        start=start,
        end=end,
        npec=Decimal(draw(st.integers(1, 5_000_000))) * CENT,
        stock=draw(st.booleans()),
        disability_uplift=Decimal(draw(st.sampled_from([0, 0, 1, 99_999, 250_000, 400_000, 500_000]))) * CENT,
        reduced_duration=draw(st.booleans()),
        distance_share=draw(st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("0.8"), Decimal("1")])),
        level=draw(st.sampled_from([None, 3, 4, 5, 6, 7, 8])),
    )


def has_two_decimals(amount):
    return isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


def rupture_day(contract, offset):
    return contract.start + timedelta(days=offset % ((contract.end - contract.start).days + 1))


@settings(max_examples=1000, deadline=None)
@given(contracts())
def test_installments_sum_to_the_total_less_the_employer_share(contract):
    financing = compute_financing(contract)
    assert sum(i.amount for i in financing.installments) == financing.total - financing.employer_share
    assert financing.net == financing.total - financing.employer_share


@settings(max_examples=1000, deadline=None)
@given(contracts())
def test_every_amount_is_positive_or_zero_with_two_decimals(contract):
    financing = compute_financing(contract)
    for amount in [financing.total, financing.employer_share] + [i.amount for i in financing.installments]:
        assert amount >= 0 and has_two_decimals(amount)
    for item in financing.installments:
        assert item.kind in ("advance", "balance", "final")
        assert item.period_start <= item.period_end
        assert contract.start <= item.billable_from <= contract.end


@settings(max_examples=1000, deadline=None)
@given(contracts())
def test_each_year_of_the_schedule_sums_to_its_amount_and_years_are_in_order(contract):
    financing = compute_financing(contract)
    years = [i.year for i in financing.installments]
    assert years == sorted(years)
    dates = [i.billable_from for i in financing.installments]
    assert dates == sorted(dates)


@settings(max_examples=1000, deadline=None)
@given(contracts(), st.integers(0, 5000), st.integers(0, 5000), st.booleans(), st.integers(0, 3000),
       st.integers(0, 300))
def test_due_after_a_rupture_never_exceeds_the_total_and_grows_with_the_rupture_date(
        contract, first_offset, second_offset, continues, paid_cents, new_contract_days):
    financing = compute_financing(contract)
    early, late = sorted((rupture_day(contract, first_offset), rupture_day(contract, second_offset)))
    new_contract = late + timedelta(days=new_contract_days) if new_contract_days else None
    paid = Decimal(paid_cents) * 10 * CENT
    first = settle_rupture(contract, RuptureInput(early, paid, continues, new_contract))
    second = settle_rupture(contract, RuptureInput(late, paid, continues, new_contract))
    for settlement in (first, second):
        assert settlement.due <= financing.total
        assert settlement.due + settlement.employer_share <= financing.total
        for amount in (settlement.due, settlement.credit_note, settlement.remaining, settlement.employer_share):
            assert amount >= 0 and has_two_decimals(amount)
        assert sum(i.amount for i in settlement.installments) == settlement.due
    # The gross due (before the employer share) always grows with the rupture date; the net due does
    # too except across the 2025 45-day boundary, where the share jumps from half the prorated NPEC to 750.
    assert first.due + first.employer_share <= second.due + second.employer_share
    if not (financing.regime == R2025 and contract.level is not None and contract.level >= 6):
        assert first.due <= second.due


@settings(max_examples=1000, deadline=None)
@given(contracts(), st.integers(0, 5000), st.integers(0, 6_000_000), st.booleans())
def test_credit_note_and_remaining_are_never_both_positive(contract, offset, paid_cents, continues):
    settlement = settle_rupture(contract, RuptureInput(rupture_day(contract, offset), Decimal(paid_cents) * CENT,
                                                       continues))
    assert not (settlement.credit_note > 0 and settlement.remaining > 0)
    assert settlement.due + settlement.credit_note - settlement.remaining == Decimal(paid_cents) * CENT


@settings(max_examples=1000, deadline=None)
@given(contracts(), st.integers(0, 800), st.integers(0, 6_000_000))
def test_an_amendment_credit_note_and_remaining_are_never_both_positive(contract, extra_days, paid_cents):
    result = amend(contract, new_end=contract.start + timedelta(days=extra_days), paid=Decimal(paid_cents) * CENT)
    assert not (result.credit_note > 0 and result.remaining > 0)
    assert result.difference == result.financing.net - result.previous.net
    assert sum(i.amount for i in result.financing.installments) == result.financing.net


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, 10_000_000), st.lists(st.integers(0, 3_000_000), max_size=6))
def test_deductions_never_exceed_the_payment_nor_the_credit_notes(payment_cents, notes_cents):
    notes = [(n, Decimal(c) * CENT) for n, c in enumerate(notes_cents)]
    net, applied = apply_deductions(Decimal(payment_cents) * CENT, notes)
    assert net >= 0
    assert net + sum(a for _, a in applied) == Decimal(payment_cents) * CENT
    for note_id, amount in applied:
        assert 0 < amount <= dict(notes)[note_id]
