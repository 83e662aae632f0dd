"""Settlement of a contract's rupture, and its preview (SPEC §5, *Rupture*).

Financing stops at the rupture date (the contract's last day): months started
before 2025, days from 2025. If the apprentice continues at the CFA, financing
runs on to the day before a new contract or to the same day six months after the
rupture (31/08 → 28/02), whichever comes first, never past the original end.

The due amount is the financing of the contract cut at that end (same years of
execution, same proration, same rounding as :func:`compute_financing`), less the
employer share. In ``2025`` for a level ≥ 6 diploma, a rupture at most 45 days
after the start (both dates included) lowers the share to 50 % of the adjusted
NPEC prorated to those days (start → rupture date), capped at 750 €.

Decisions where the text is silent:

* The employer share never exceeds the gross due amount, so the net due is ≥ 0.
  Net due is therefore *not* monotonic across the 45-day boundary (the share
  jumps from half the prorated NPEC to 750 €); the gross due is.
* The reduced-duration +10 % follows the contract as agreed: it applies to the
  due amount only when the original contract was under one year.
* Installments kept are those billable by the financing end (the rupture date,
  or the end of the continuation at the CFA); they are cut so that the schedule
  never exceeds what is due; the rest is cancelled. What is due beyond the kept
  installments is a ``final`` installment billable on the financing end, whose
  period is the financing end's year of execution up to that day.
* Stock contracts: the rupture rule has no exception, so what was paid beyond
  what is due is reported as ``credit_note`` for them too. What SPEC §5 (and
  seed 003: "les contrats conventionnés (stocks) ne sont pas concernés") rules
  out for stock is the *settlement mode* (deduction / refund within 15 days):
  the credit-note layer decides how a stock overpayment is recovered.
* A rupture dated after the original end is treated as the end; one before the
  start finances nothing.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .dates import ONE_DAY, add_months, days_inclusive
from .money import ZERO, to_cents
from .regimes import R2025
from .schedule import (
    EMPLOYER_SHARE_CENTS, FINAL, Contract, Installment, _ratio, adjusted_npec_cents, cents_to_eur,
    compute_financing, employer_share_cents, execution_years, reduced_boost_applies,
)

EARLY_RUPTURE_DAYS = 45
CONTINUATION_MONTHS = 6


@dataclass(frozen=True)
class RuptureInput:
    """A declared rupture: ``date`` is the contract's last day; ``paid`` what the OPCO already paid."""

    date: date
    paid: Decimal = Decimal("0")
    continues_at_cfa: bool = False
    new_contract: date | None = None


@dataclass(frozen=True)
class RuptureSettlement:
    """What a rupture leaves: due (net), credit note, remaining to pay, and the recomputed schedule."""

    financing_end: date
    due: Decimal
    credit_note: Decimal
    remaining: Decimal
    employer_share: Decimal
    installments: tuple = field(default_factory=tuple)
    cancelled: tuple = field(default_factory=tuple)
    regime: str = ""
    due_gross: Decimal = Decimal("0.00")


def financing_end(contract: Contract, rupture: RuptureInput) -> date:
    """Last financed day after a rupture (continuation at the CFA included)."""
    last = min(rupture.date, contract.end)
    if rupture.continues_at_cfa:
        last = add_months(rupture.date, CONTINUATION_MONTHS)
        if rupture.new_contract is not None:
            last = min(last, rupture.new_contract - ONE_DAY)
        last = min(max(last, rupture.date), contract.end)
    return last


def is_early_rupture(contract: Contract, rupture_date: date) -> bool:
    """Rupture at most 45 calendar days after the start, both dates included."""
    return 0 < days_inclusive(contract.start, rupture_date) <= EARLY_RUPTURE_DAYS


def rupture_share_cents(contract: Contract, regime: str, rupture_date: date, due_gross: int) -> int:
    share = employer_share_cents(contract, regime, due_gross)
    if share and regime == R2025 and is_early_rupture(contract, rupture_date):
        npec = adjusted_npec_cents(contract, regime)
        prorated = _ratio(npec * days_inclusive(contract.start, rupture_date), 365)
        share = min(EMPLOYER_SHARE_CENTS, _ratio(prorated, 2), due_gross)
    return share


def settle_rupture(contract: Contract, rupture: RuptureInput) -> RuptureSettlement:
    """Due amount, credit note, remaining and recomputed schedule after ``rupture``.

    The same function serves the preview shown before the rupture is confirmed.
    """
    financing = compute_financing(contract)
    regime = financing.regime
    end = financing_end(contract, rupture)
    years = execution_years(contract, regime, end, reduced_boost_applies(contract, regime))
    gross = sum(y.cents for y in years)
    share = rupture_share_cents(contract, regime, rupture.date, gross)
    due = gross - share
    paid = to_cents(rupture.paid)

    kept, cancelled, used = [], [], 0
    for item in financing.installments:
        if item.billable_from > end or (used >= due and item.amount > 0):
            cancelled.append(item)
            continue
        cents = min(to_cents(item.amount), due - used)
        used += cents
        kept.append(Installment(item.year, item.kind, item.billable_from, item.period_start,
                                min(item.period_end, end), cents_to_eur(cents)))
        if cents < to_cents(item.amount):
            cancelled.append(Installment(item.year, item.kind, item.billable_from, item.period_start,
                                         item.period_end, cents_to_eur(to_cents(item.amount) - cents)))
    if due > used:
        year = years[-1]
        kept.append(Installment(year.index, FINAL, end, year.first, end, cents_to_eur(due - used)))

    credit = max(0, paid - due)
    return RuptureSettlement(
        financing_end=end,
        due=cents_to_eur(due),
        credit_note=cents_to_eur(credit),
        remaining=cents_to_eur(max(0, due - paid)),
        employer_share=cents_to_eur(share),
        installments=tuple(kept),
        cancelled=tuple(cancelled),
        regime=regime,
        due_gross=cents_to_eur(gross),
    )


__all__ = ["RuptureInput", "RuptureSettlement", "settle_rupture", "financing_end", "is_early_rupture", "ZERO"]
