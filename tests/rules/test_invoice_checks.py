"""Checks of a reimbursement request / invoice line (SPEC §5)."""
from datetime import date
from decimal import Decimal

from rules import Contract, compute_financing
from rules.invoice_checks import AnnexAmounts, InvoiceContext, InvoiceRequest, check_invoice

NBSP = "\u00a0"
# Regime 2021, 8000 a year: 3200 billable 01/09/2023, 2400 on 01/03/2024, 2400 on 01/06/2024.
CONTRACT = Contract(date(2023, 8, 20), date(2023, 9, 1), date(2024, 8, 31), Decimal("8000.00"))
FINANCING = compute_financing(CONTRACT)


def context(**overrides):
    values = dict(installments=FINANCING.installments, contract_start=CONTRACT.start, contract_end=CONTRACT.end)
    values.update(overrides)
    return InvoiceContext(**values)


def request(**overrides):
    values = dict(period_start=date(2023, 9, 1), period_end=date(2024, 2, 29), teaching_amount=Decimal("3200.00"))
    values.update(overrides)
    return InvoiceRequest(**values)


def rules_of(refusals):
    return [r.rule for r in refusals]


def test_the_first_advance_with_its_invoice_is_accepted_without_a_certificate():
    assert check_invoice(request(), context()) == []


def test_a_later_advance_needs_the_completion_certificate():
    later = request(period_start=date(2024, 3, 1), period_end=date(2024, 5, 31), teaching_amount=Decimal("2400"))
    refusals = check_invoice(later, context(invoiced_teaching=Decimal("3200"),
                                            teaching_periods=((date(2023, 9, 1), date(2024, 2, 29)),)))
    assert rules_of(refusals) == ["certificate_missing"]
    assert check_invoice(
        InvoiceRequest(date(2024, 3, 1), date(2024, 5, 31), Decimal("2400"), certificate_provided=True),
        context(invoiced_teaching=Decimal("3200"), teaching_periods=((date(2023, 9, 1), date(2024, 2, 29)),))) == []


def test_the_teaching_amount_cannot_exceed_what_is_billable_by_the_periods_end_less_what_was_invoiced():
    refusals = check_invoice(request(teaching_amount=Decimal("3200.01"), certificate_provided=True), context())
    assert rules_of(refusals) == ["teaching_over_billable"]
    refusal = refusals[0]
    assert refusal.figures["ceiling"] == Decimal("3200.00")
    assert refusal.figures["billable"] == Decimal("3200.00")
    assert f"3{NBSP}200,01{NBSP}€" in refusal.message and f"3{NBSP}200,00{NBSP}€" in refusal.message
    assert "29/02/2024" in refusal.message


def test_what_was_already_invoiced_lowers_the_ceiling():
    refusals = check_invoice(
        request(period_start=date(2024, 3, 1), period_end=date(2024, 3, 31), teaching_amount=Decimal("2500"),
                certificate_provided=True),
        context(invoiced_teaching=Decimal("3200")))
    assert rules_of(refusals) == ["teaching_over_billable"]
    assert refusals[0].figures["ceiling"] == Decimal("2400.00")


def test_a_period_outside_the_contract_is_refused_with_both_periods_in_the_message():
    refusals = check_invoice(request(period_start=date(2023, 8, 1)), context())
    assert "period_outside_contract" in rules_of(refusals)
    message = next(r.message for r in refusals if r.rule == "period_outside_contract")
    assert "01/08/2023" in message and "31/08/2024" in message


def test_a_period_ending_after_the_rupture_is_refused():
    refusals = check_invoice(request(), context(rupture_date=date(2024, 1, 15)))
    assert "period_after_rupture" in rules_of(refusals)


def test_a_period_ending_after_a_declared_rupture_is_refused_with_the_rule_and_the_date():
    refusals = check_invoice(request(), context(declared_rupture_date=date(2024, 1, 15)))
    assert rules_of(refusals) == ["period_after_declared_rupture"]
    assert "déclarée au 15/01/2024" in refusals[0].message and "29/02/2024" in refusals[0].message
    assert refusals[0].figures["declared_rupture_date"] == date(2024, 1, 15)
    assert check_invoice(request(period_end=date(2024, 1, 15)), context(declared_rupture_date=date(2024, 1, 15))) == []


def test_a_period_ending_before_it_starts_is_refused():
    assert "period_order" in rules_of(check_invoice(request(period_end=date(2023, 8, 31)), context()))


def test_overlapping_teaching_periods_are_refused():
    refusals = check_invoice(
        request(period_start=date(2024, 2, 1), period_end=date(2024, 5, 31), teaching_amount=Decimal("100"),
                certificate_provided=True),
        context(invoiced_teaching=Decimal("3200"), teaching_periods=((date(2023, 9, 1), date(2024, 2, 29)),)))
    assert rules_of(refusals) == ["teaching_periods_overlap"]
    assert refusals[0].figures["other_end"] == date(2024, 2, 29)


def test_the_2025_final_ten_percent_may_cover_the_whole_year_already_invoiced_by_the_advances():
    """SPEC §5: the final 10 % is billable from the year's last day and covers the whole year."""
    contract = Contract(date(2025, 8, 25), date(2025, 9, 1), date(2026, 8, 31), Decimal("8000.00"), level=5)
    financing = compute_financing(contract)
    advances = [i for i in financing.installments if i.kind == "advance"]
    final = next(i for i in financing.installments if i.kind == "final")
    done = tuple((i.period_start, i.period_end) for i in advances)
    ctx = InvoiceContext(installments=financing.installments, contract_start=contract.start,
                         contract_end=contract.end, invoiced_teaching=Decimal("7200.00"), teaching_periods=done)
    final_request = InvoiceRequest(final.period_start, final.period_end, final.amount, certificate_provided=True)
    assert check_invoice(final_request, ctx) == []
    # ... but only once: the same whole-year period billed again overlaps.
    twice = InvoiceContext(installments=financing.installments, contract_start=contract.start,
                           contract_end=contract.end, invoiced_teaching=Decimal("8000.00"),
                           teaching_periods=done + ((final.period_start, final.period_end),))
    assert "teaching_periods_overlap" in rules_of(check_invoice(final_request, twice))


def test_under_one_year_the_balance_covers_the_same_period_as_the_first_half():
    """SPEC §5: under one year, 50 % from the start and the balance at the end, both on the whole contract."""
    contract = Contract(date(2024, 1, 10), date(2024, 1, 15), date(2024, 10, 14), Decimal("7000.00"))
    financing = compute_financing(contract)
    first, balance = financing.installments
    period = (first.period_start, first.period_end)
    ctx = InvoiceContext(installments=financing.installments, contract_start=contract.start,
                         contract_end=contract.end, invoiced_teaching=first.amount, teaching_periods=(period,))
    request_balance = InvoiceRequest(balance.period_start, balance.period_end, balance.amount,
                                     certificate_provided=True)
    assert check_invoice(request_balance, ctx) == []
    thrice = InvoiceContext(installments=financing.installments, contract_start=contract.start,
                            contract_end=contract.end, invoiced_teaching=first.amount + balance.amount,
                            teaching_periods=(period, period))
    assert "teaching_periods_overlap" in rules_of(check_invoice(request_balance, thrice))


def test_lodging_is_at_most_six_euros_a_night_and_meals_three_euros_a_meal():
    refusals = check_invoice(request(nights=10, lodging_amount=Decimal("60.01"), meals=10,
                                     meals_amount=Decimal("30.01")), context())
    assert rules_of(refusals) == ["lodging_rate", "meals_rate"]
    assert refusals[0].figures["ceiling"] == Decimal("60.00")
    assert check_invoice(request(nights=10, lodging_amount=Decimal("60"), meals=10, meals_amount=Decimal("30")),
                         context()) == []


def test_the_rate_refusals_name_their_unit_in_good_french():
    refusals = check_invoice(request(nights=10, lodging_amount=Decimal("61"), meals=1,
                                     meals_amount=Decimal("4")), context())
    lodging, meals = (r.message.replace("\xa0", " ") for r in refusals)
    assert "pour 10 nuitées, au-delà de 6,00 € par nuitée" in lodging
    assert "pour 1 repas, au-delà de 3,00 € par repas" in meals
    assert "(s)" not in lodging + meals


def test_first_equipment_is_at_most_500_euros_and_billed_once():
    assert rules_of(check_invoice(request(first_equipment_amount=Decimal("500.01")), context())) == [
        "first_equipment_max"]
    assert rules_of(check_invoice(request(first_equipment_amount=Decimal("100")),
                                  context(first_equipment_billed=True))) == ["first_equipment_once"]


def test_mobility_is_at_most_the_opcos_flat_amount():
    refusals = check_invoice(request(mobility_amount=Decimal("700")), context(mobility_flat=Decimal("600")))
    assert rules_of(refusals) == ["mobility_flat"]
    assert check_invoice(request(mobility_amount=Decimal("600")), context(mobility_flat=Decimal("600"))) == []


def test_each_annex_nature_stays_within_its_engaged_cap_with_what_was_already_invoiced():
    refusals = check_invoice(
        request(nights=20, lodging_amount=Decimal("120")),
        context(engaged_caps=AnnexAmounts(lodging=Decimal("500")), annex_invoiced=AnnexAmounts(lodging=Decimal("400"))))
    assert rules_of(refusals) == ["lodging_cap"]
    assert refusals[0].figures["left"] == Decimal("100.00")


def test_the_invoice_pdf_and_the_terms_are_required():
    refusals = check_invoice(request(invoice_pdf_provided=False, terms_accepted=False), context())
    assert rules_of(refusals) == ["invoice_missing", "terms_not_accepted"]
    assert all(r.message for r in refusals)


def test_negative_amounts_and_empty_requests_are_refused():
    assert "negative_amount" in rules_of(check_invoice(request(teaching_amount=Decimal("-1")), context()))
    assert rules_of(check_invoice(request(teaching_amount=Decimal("0")), context())) == ["empty_request"]


def test_a_rupture_schedule_can_be_passed_to_limit_the_ceiling():
    from rules import RuptureInput, settle_rupture
    settlement = settle_rupture(CONTRACT, RuptureInput(date(2023, 10, 10), Decimal("0")))
    refusals = check_invoice(request(period_end=date(2023, 10, 10), certificate_provided=True),
                             context(installments=settlement.installments, rupture_date=date(2023, 10, 10)))
    assert rules_of(refusals) == ["teaching_over_billable"]
    assert refusals[0].figures["ceiling"] == settlement.due
