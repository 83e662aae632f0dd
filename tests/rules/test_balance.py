"""The one running balance of a dossier (rules.dossier_balance): teaching and annexes, counted alike."""
from datetime import date
from decimal import Decimal as D

import pytest

from rules import Installment, dossier_balance, split_paid

SCHEDULE = (  # net schedule of 8 000 €: 3 200 from 01/09/2025, 2 400 from 01/03/2026, 2 400 from 01/06/2026
    Installment(1, "advance", date(2025, 9, 1), date(2025, 9, 1), date(2026, 2, 28), D("3200.00")),
    Installment(1, "advance", date(2026, 3, 1), date(2026, 3, 1), date(2026, 5, 31), D("2400.00")),
    Installment(1, "balance", date(2026, 6, 1), date(2026, 6, 1), date(2026, 8, 31), D("2400.00")),
)

# (name, today, committed, caps, invoiced, validated, paid_shares, credited,
#  expected teaching (committed, billable, invoiced, validated, paid, credited, remaining), expected annexes (same))
CASES = [
    ("nothing invoiced yet", date(2025, 10, 1), "8000", "2000", {}, {}, [], "0",
     ("8000", "3200", "0", "0", "0", "0", "8000"), ("2000", "2000", "0", "0", "0", "0", "2000")),
    ("annexes invoiced with the first advance and paid on both sides", date(2026, 3, 15), "8000", "2000",
     {"teaching": "3200", "lodging": "330", "meals": "200"}, {"teaching": "3200", "lodging": "330", "meals": "200"},
     [("3200", "530", "3730")], "0",
     ("8000", "5600", "3200", "3200", "3200", "0", "4800"), ("2000", "2000", "530", "530", "530", "0", "1470")),
    ("one invoice validated, the next one still in process", date(2026, 6, 2), "8000", "500",
     {"teaching": "5600", "uplift": "0", "first_equipment": "500"}, {"teaching": "3200", "first_equipment": "500"},
     [], "0",
     ("8000", "8000", "5600", "3200", "0", "0", "2400"), ("500", "500", "500", "500", "0", "0", "0")),
    ("uplift counts as teaching, mobility as an annex", date(2026, 6, 2), "9000", "1000",
     {"teaching": "3200", "uplift": "400", "mobility": "1000"},
     {"teaching": "3200", "uplift": "400", "mobility": "1000"},
     [("3600", "1000", "4600")], "0",
     ("9000", "8000", "3600", "3600", "3600", "0", "5400"), ("1000", "1000", "1000", "1000", "1000", "0", "0")),
    ("after a rupture: due 4 083,33, paid 4 900, credit note of the difference", date(2026, 6, 2), "4083.33", "0",
     {"teaching": "4900"}, {"teaching": "4900"}, [("4900", "0", "4900")], "816.67",
     ("4083.33", "4083.33", "4900", "4900", "4900", "816.67", "0"), ("0", "0", "0", "0", "0", "0", "0")),
]
FIELDS = ("committed", "billable_to_date", "invoiced", "validated", "paid", "credited", "remaining")


def _money(mapping):
    return {k: D(v) for k, v in mapping.items()}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_balance_of_each_part(case):
    _, today, committed, caps, invoiced, validated, shares, credited, teaching, annexes = case
    balance = dossier_balance(SCHEDULE, today, committed=D(committed), annex_caps=D(caps), invoiced=_money(invoiced),
                              validated=_money(validated), paid_shares=[tuple(D(x) for x in s) for s in shares],
                              credited=D(credited))
    assert tuple(getattr(balance.teaching, f) for f in FIELDS) == tuple(D(x) for x in teaching)
    assert tuple(getattr(balance.annexes, f) for f in FIELDS) == tuple(D(x) for x in annexes)
    for name in FIELDS:
        assert getattr(balance.total, name) == getattr(balance.teaching, name) + getattr(balance.annexes, name)
    for part in (balance.teaching, balance.annexes, balance.total):
        assert part.paid <= part.validated <= part.invoiced


@pytest.mark.parametrize("shares,expected", [
    ([], ("0", "0")),
    ([("3200", "530", "3730")], ("3200", "530")),
    ([("3200", "0", "3200"), ("0", "120", "120")], ("3200", "120")),
    ([("1000", "500", "1200")], ("1000", "200")),  # a short payment pays teaching first
    ([("1000", "0", "1100")], ("1100", "0")),  # anything beyond the lines stays with teaching
])
def test_payment_lines_are_split_between_teaching_and_annexes(shares, expected):
    assert split_paid([tuple(D(x) for x in s) for s in shares]) == tuple(D(x) for x in expected)


@pytest.mark.parametrize("paid,committed,credited,overpaid", [
    ("4900", "4083.33", "0", "816.67"),
    ("4900", "4083.33", "816.67", "0.00"),
    ("3200", "8000", "0", "0.00"),
    ("4900", "4083.33", "500", "316.67"),
])
def test_what_was_paid_beyond_what_is_due_and_not_yet_credited(paid, committed, credited, overpaid):
    balance = dossier_balance((), date(2026, 1, 1), committed=D(committed), invoiced={"teaching": D(paid)},
                              validated={"teaching": D(paid)}, paid_shares=[(D(paid), D(0), D(paid))],
                              credited=D(credited))
    assert balance.teaching.overpaid == D(overpaid)


def test_the_annual_budget_is_kept_apart_from_the_engagement():
    balance = dossier_balance(SCHEDULE, date(2026, 1, 1), committed=D("8000"), annex_caps=D("2000"),
                              annual_budget=D("4000"))
    assert balance.annual_budget == D("4000.00") and balance.total.committed == D("10000.00")
