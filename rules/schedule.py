"""Financed amount and schedule of installments of a contract (SPEC §5).

Amounts are computed in integer cents (exact, and fast enough for 100,000
contracts in a few seconds) and returned as ``Decimal`` euros with two decimals.
Every rounding is half-up to the cent.

Years of execution
    Year *k* runs from start + (k − 1) years to the day before the next
    anniversary; the last one ends on the contract's end. A full year is worth
    the annual amount (NPEC, adjusted in 2025, + disability uplift). A partial
    last year is prorated by months started (``stock``/``2019``/``2021``) or by
    calendar days, both ends included, over 365 (``2025``), never above the
    annual amount.

Rhythms (month *m* of a year begins on the year's first day + (m − 1) months)
    ``2019``: 50 % month 1, 25 % month 7, balance month 10.
    ``2021``: 40 % month 1, 30 % month 7, balance month 10.
    ``2025``: 40 % month 1, 30 % month 7, 20 % month 10, 10 % final billable on
    the year's last day (after completion), covering the whole year.
    An installment whose month is not reached by the year's last day is folded
    into the year's balance (``2025``: into the final), billable on the year's
    last day and covering the whole year.
    ``stock``: 50 % of the annual cost billable from 01/01/2020, then 25 % every
    three months from 01/07/2020, every one an ``advance``, the last one cut to
    what is left of the total prorated from 01/01/2020.

Decisions where the text is silent (documented for the reviewers):

* Contracts under one year (a single, partial year) in ``2019``/``2021``: 50 %
  billable from the start, balance billable on the end date, both covering the
  whole contract. The reduced-duration +10 % raises the prorated *NPEC* and is
  capped at the annual NPEC; the prorated disability uplift is added on top
  (the uplift is a separate majoration that the cap does not cut).
* ``2025`` under one year keeps its four installments, folded as above.
* The disability uplift is capped at 4,000 € a year (SPEC §5, annex costs).
* ``2025`` distance learning ≥ 80 % (``distance_share`` ≥ 0.8; a value above 1
  is read as a percentage): NPEC × 0.8, not below 4,000 €, never above the NPEC.
* ``2025`` employer share (level ≥ 6): 750 €, never more than the total, taken
  from the first installments in schedule order; an installment it empties stays
  in the schedule at 0.00 so the rhythm keeps its shape.
* ``stock`` financing starts on the later of 01/01/2020 and the start; its
  "years" (the ``year`` field) are counted in 12-month steps from that day. If
  the installments reached by the end fall short of the total (rounding only),
  the rest is a ``balance`` billable on the end date.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .dates import add_months, days_inclusive, months_started
from .money import to_cents
from .regimes import R2019, R2021, R2025, STOCK, STOCK_FINANCING_FROM, select_regime

ONE_DAY = timedelta(days=1)
ADVANCE = "advance"
BALANCE = "balance"
FINAL = "final"
KINDS = (ADVANCE, BALANCE, FINAL)

UPLIFT_CAP_CENTS = 400_000
DISTANCE_THRESHOLD = Decimal("0.8")
DISTANCE_FLOOR_CENTS = 400_000
EMPLOYER_SHARE_CENTS = 75_000
EMPLOYER_SHARE_LEVEL = 6

# Percentages of the year's amount; the year's last installment takes the difference.
_RHYTHMS = {R2019: (50, 25), R2021: (40, 30), R2025: (40, 30, 20)}


@dataclass(frozen=True)
class Contract:
    """What the billing rules need to know about an apprenticeship contract."""

    conclusion: date
    start: date
    end: date
    npec: Decimal
    stock: bool = False
    disability_uplift: Decimal = Decimal("0")
    reduced_duration: bool = False
    distance_share: Decimal = Decimal("0")
    level: int | None = None

    @property
    def regime(self) -> str:
        return select_regime(self.conclusion, self.stock)


@dataclass(frozen=True)
class Installment:
    """One *échéance*: ``kind`` is ``advance``, ``balance`` or ``final``."""

    year: int
    kind: str
    billable_from: date
    period_start: date
    period_end: date
    amount: Decimal


@dataclass(frozen=True)
class Financing:
    """Financed amount (``total``, before the employer share) and its schedule (net)."""

    regime: str
    total: Decimal
    employer_share: Decimal
    installments: tuple = field(default_factory=tuple)

    @property
    def net(self) -> Decimal:
        return self.total - self.employer_share

    def billable_by(self, day: date) -> Decimal:
        """Sum of the installments billable on ``day`` (billable from that day or before)."""
        return sum((i.amount for i in self.installments if i.billable_from <= day), Decimal("0.00"))


@dataclass(frozen=True)
class ExecutionYear:
    """A year of execution and its amount in cents."""

    index: int
    first: date
    last: date
    full: bool
    cents: int


def cents_to_eur(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _ratio(numerator: int, denominator: int) -> int:
    """Half-up rounding of a non-negative fraction."""
    return (2 * numerator + denominator) // (2 * denominator)


def _percent(cents: int, percent: int) -> int:
    return _ratio(cents * percent, 100)


def adjusted_npec_cents(contract: Contract, regime: str) -> int:
    """Annual NPEC in cents, after the 2025 distance-learning minoration."""
    npec = to_cents(contract.npec)
    if regime == R2025 and contract.distance_share:
        share = Decimal(contract.distance_share)
        if share > 1:
            share = share / 100
        if share >= DISTANCE_THRESHOLD:
            npec = min(npec, max(_ratio(npec * 8, 10), DISTANCE_FLOOR_CENTS))
    return npec


def uplift_cents(contract: Contract) -> int:
    return min(max(to_cents(contract.disability_uplift), 0), UPLIFT_CAP_CENTS)


def financing_origin(contract: Contract, regime: str) -> date:
    """First day financed: the start, or 01/01/2020 for a stock contract started before."""
    if regime == STOCK and contract.start < STOCK_FINANCING_FROM:
        return STOCK_FINANCING_FROM
    return contract.start


def is_under_one_year(start: date, end: date) -> bool:
    """True when the contract ends before its first anniversary − 1 day (a single, partial year)."""
    return end < add_months(start, 12) - ONE_DAY


def execution_years(contract: Contract, regime: str, end: date, reduced_boost: bool) -> list:
    """Years of execution from the financing origin to ``end`` with their amounts.

    ``reduced_boost`` applies the reduced-duration +10 % (``2019``/``2021``
    contracts under one year with the flag), decided by the caller from the
    contract as agreed.
    """
    origin = financing_origin(contract, regime)
    npec = adjusted_npec_cents(contract, regime)
    uplift = uplift_cents(contract)
    annual = npec + uplift
    years = []
    index = 0
    while True:
        first = add_months(origin, 12 * index)
        if first > end:
            break
        anniversary_eve = add_months(origin, 12 * (index + 1)) - ONE_DAY
        full = anniversary_eve <= end
        last = anniversary_eve if full else end
        if full:
            cents = annual
        elif regime == R2025:
            cents = min(annual, _ratio(annual * days_inclusive(first, last), 365))
        else:
            months = months_started(first, last)
            if reduced_boost:
                npec_part = min(npec * months * 11, npec * 120)
                cents = _ratio(npec_part + uplift * months * 10, 120)
            else:
                cents = min(annual, _ratio(annual * months, 12))
        index += 1
        years.append(ExecutionYear(index, first, last, full, cents))
    return years


def reduced_boost_applies(contract: Contract, regime: str) -> bool:
    return contract.reduced_duration and regime in (R2019, R2021) and is_under_one_year(contract.start, contract.end)


def _normal_year(regime: str, year: ExecutionYear) -> list:
    """Installments of one year for ``2019``/``2021``/``2025``: (year, kind, billable, start, end, cents)."""
    k, first, last, amount = year.index, year.first, year.last, year.cents
    month7 = add_months(first, 6)
    month10 = add_months(first, 9)
    rhythm = _RHYTHMS[regime]
    items = []
    first_cents = _percent(amount, rhythm[0])
    items.append([k, ADVANCE, first, first, min(month7 - ONE_DAY, last), first_cents])
    used = first_cents
    if month7 <= last:
        cents = _percent(amount, rhythm[1])
        items.append([k, ADVANCE, month7, month7, min(month10 - ONE_DAY, last), cents])
        used += cents
    if regime == R2025:
        if month10 <= last:
            cents = _percent(amount, rhythm[2])
            items.append([k, ADVANCE, month10, month10, last, cents])
            used += cents
        items.append([k, FINAL, last, first, last, amount - used])
    elif month10 <= last:
        items.append([k, BALANCE, month10, month10, last, amount - used])
    else:
        items.append([k, BALANCE, last, first, last, amount - used])
    return items


def _stock_year(year: ExecutionYear, annual: int, last_year: bool) -> list:
    k, first, last, amount = year.index, year.first, year.last, year.cents
    if k == 1:
        nominal = [(0, 6, 50), (6, 9, 25), (9, 12, 25)]
    else:
        nominal = [(0, 3, 25), (3, 6, 25), (6, 9, 25), (9, 12, 25)]
    items = []
    used = 0
    for from_month, to_month, percent in nominal:
        billable = add_months(first, from_month)
        if billable > last or used >= amount:
            break
        cents = min(_percent(annual, percent), amount - used)
        items.append([k, ADVANCE, billable, billable, min(add_months(first, to_month) - ONE_DAY, last), cents])
        used += cents
    if used < amount:
        if last_year and not year.full:
            items.append([k, BALANCE, last, first, last, amount - used])
        else:
            items[-1][5] += amount - used
    return items


def _under_one_year(year: ExecutionYear) -> list:
    half = _percent(year.cents, 50)
    return [
        [1, ADVANCE, year.first, year.first, year.last, half],
        [1, BALANCE, year.last, year.first, year.last, year.cents - half],
    ]


def schedule_rows(contract: Contract, regime: str, years: list) -> list:
    """Gross installments as mutable rows ``[year, kind, billable, start, end, cents]``."""
    if not years:
        return []
    if regime == STOCK:
        annual = adjusted_npec_cents(contract, regime) + uplift_cents(contract)
        rows = []
        for year in years:
            rows.extend(_stock_year(year, annual, year is years[-1]))
        return rows
    if regime != R2025 and len(years) == 1 and not years[0].full:
        return _under_one_year(years[0])
    rows = []
    for year in years:
        rows.extend(_normal_year(regime, year))
    return rows


def employer_share_cents(contract: Contract, regime: str, total: int) -> int:
    """2025 employer share for a diploma of level ≥ 6: 750 €, never more than the total."""
    if regime == R2025 and contract.level is not None and contract.level >= EMPLOYER_SHARE_LEVEL:
        return min(EMPLOYER_SHARE_CENTS, total)
    return 0


def deduct_share(rows: list, share: int) -> None:
    """Take the employer share from the first installments, in schedule order."""
    for row in rows:
        if share <= 0:
            break
        taken = min(row[5], share)
        row[5] -= taken
        share -= taken


def to_installments(rows: list) -> tuple:
    return tuple(Installment(r[0], r[1], r[2], r[3], r[4], cents_to_eur(r[5])) for r in rows)


def compute_financing(contract: Contract) -> Financing:
    """Regime, financed total, employer share and net schedule of ``contract`` (SPEC §5)."""
    if contract.end < contract.start:
        raise ValueError("la date de fin précède la date de début du contrat")
    if Decimal(contract.npec) < 0 or Decimal(contract.disability_uplift) < 0:
        raise ValueError("le NPEC et la majoration RQTH ne peuvent pas être négatifs")
    regime = select_regime(contract.conclusion, contract.stock)
    years = execution_years(contract, regime, contract.end, reduced_boost_applies(contract, regime))
    rows = schedule_rows(contract, regime, years)
    total = sum(y.cents for y in years)
    share = employer_share_cents(contract, regime, total)
    deduct_share(rows, share)
    return Financing(regime, cents_to_eur(total), cents_to_eur(share), to_installments(rows))


def final_installment_deadline(contract: Contract) -> date | None:
    """Last day to invoice the 2025 final 10 % of the last year: 4 months after the end."""
    if select_regime(contract.conclusion, contract.stock) != R2025:
        return None
    return add_months(contract.end, 4)


def is_final_installment_lost(contract: Contract, today: date, invoiced: bool = False) -> bool:
    """The last year's 2025 final is lost when not invoiced within 4 months after the end."""
    deadline = final_installment_deadline(contract)
    return deadline is not None and not invoiced and today > deadline
