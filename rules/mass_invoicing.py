"""Small rules of mass invoicing (seed 002 *Dossiers à facturer*, SPEC §5-§6).

* An installment of a dossier with a disability uplift (*majoration RQTH*) is invoiced as two lines:
  the uplift's share pro rata of the annual amounts (uplift / (NPEC + uplift)), rounded half-up to the
  cent, and the teaching cost taking the difference, so the two lines sum exactly to the installment.
* Annex costs are billed as incurred: the line's period runs from the contract's start to the day of
  the request, cut at the contract's end or the rupture date.
"""
from datetime import date
from decimal import Decimal

from .money import ZERO, round_cents


def split_uplift(amount, npec, uplift) -> tuple:
    """(teaching, uplift) parts of an installment of ``amount`` euros."""
    amount, npec, uplift = Decimal(amount), Decimal(npec or 0), Decimal(uplift or 0)
    if uplift <= 0 or npec + uplift <= 0 or amount <= 0:
        return round_cents(amount), ZERO
    part = round_cents(amount * uplift / (npec + uplift))
    return round_cents(amount) - part, part


def annex_period(contract_start: date, contract_end: date, rupture_date: date | None, today: date) -> tuple:
    """Period of an annex-costs line requested on ``today``."""
    end = min(today, contract_end, rupture_date or contract_end)
    return contract_start, max(end, contract_start)
