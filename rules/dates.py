"""Calendar arithmetic used by the billing rules (SPEC §5).

Months are added from a fixed origin, never step by step, and clamped to the
month's last day: 31/01 + 1 month = 28/02 (29/02 in a leap year), 31/01 + 2
months = 31/03. Years of execution count from the contract's start the same way,
so a contract started on 29/02 has its anniversaries on 28/02, and on 29/02 in
leap years.
"""
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(day: date, months: int) -> date:
    """``day`` + ``months`` calendar months, clamped to the target month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = days_in_month(year, month)
    return date(year, month, day.day if day.day <= last else last)


def months_started(first: date, last: date) -> int:
    """Months started from ``first`` to ``last`` (both included): "tout mois commencé est dû".

    Month *m* begins on ``first`` + (m − 1) months. 28/09/N → 03/10/N+1 is 13.
    """
    if last < first:
        return 0
    elapsed = (last.year - first.year) * 12 + last.month - first.month
    if add_months(first, elapsed) > last:
        elapsed -= 1
    return elapsed + 1


def days_inclusive(first: date, last: date) -> int:
    """Calendar days from ``first`` to ``last``, both included (0 when ``last`` < ``first``)."""
    return max(0, (last - first).days + 1)


def fr_date(day: date) -> str:
    """French display of a date: jj/mm/aaaa."""
    return day.strftime("%d/%m/%Y")
