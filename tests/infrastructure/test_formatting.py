"""The one French display of values (infrastructure.formatting), table-driven, without the app."""
import datetime as dt
from decimal import Decimal

import pytest

from infrastructure.formatting import (date_fr, datetime_fr, display, label, montant, montant_cents, oui_non,
                                       parse_date_fr)
from rules.invoice_checks import fr_date
from rules.money import format_eur

S = "\u00a0"  # the one space of amounts: between thousands and before the euro sign

AMOUNTS = [
    (Decimal("26247"), f"26{S}247,00{S}€"),
    (Decimal("0"), f"0,00{S}€"),
    (0, f"0,00{S}€"),
    (Decimal("-12.5"), f"-12,50{S}€"),
    (Decimal("-1234567.89"), f"-1{S}234{S}567,89{S}€"),
    (Decimal("1000000"), f"1{S}000{S}000,00{S}€"),
    (Decimal("10000000.00"), f"10{S}000{S}000,00{S}€"),
    (Decimal("999.99"), f"999,99{S}€"),
    (Decimal("1000"), f"1{S}000,00{S}€"),
    (Decimal("0.005"), f"0,01{S}€"),          # half-up, not half-even
    (Decimal("2.675"), f"2,68{S}€"),
    (Decimal("0.125"), f"0,13{S}€"),
    (Decimal("-0.005"), f"-0,01{S}€"),
    (Decimal("999.995"), f"1{S}000,00{S}€"),
    ("1234.5", f"1{S}234,50{S}€"),
    (7, f"7,00{S}€"),
]


@pytest.mark.parametrize("value, expected", AMOUNTS)
def test_amounts_read_the_french_way(value, expected):
    assert montant(value) == expected


@pytest.mark.parametrize("value, expected", AMOUNTS)
def test_the_rules_messages_write_amounts_exactly_like_the_pages(value, expected):
    assert format_eur(value) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_no_amount_is_an_empty_text(value):
    assert montant(value) == "" and montant_cents(None) == ""


def test_without_currency_and_from_cents():
    assert montant(Decimal("26247"), currency=False) == f"26{S}247,00"
    assert montant_cents(-2624700) == f"-26{S}247,00{S}€"


@pytest.mark.parametrize("value, expected", [
    (dt.date(2026, 3, 5), "05/03/2026"),
    (dt.date(1999, 12, 31), "31/12/1999"),
    (dt.datetime(2026, 3, 5, 9, 7, 59), "05/03/2026 09:07"),
    (None, ""),
    ("", ""),
])
def test_dates_read_jj_mm_aaaa(value, expected):
    assert date_fr(value) == expected


def test_the_rules_messages_write_dates_like_the_pages():
    assert fr_date(dt.date(2026, 3, 5)) == date_fr(dt.date(2026, 3, 5))


def test_datetimes_show_hours_and_minutes():
    assert datetime_fr(dt.datetime(2026, 12, 31, 23, 59, 1)) == "31/12/2026 23:59"
    assert datetime_fr(dt.date(2026, 12, 31)) == "31/12/2026"
    assert datetime_fr(None) == ""


@pytest.mark.parametrize("value, expected", [(True, "Oui"), (False, "Non"), (None, ""), (1, "Oui"), (0, "Non")])
def test_booleans_read_oui_non(value, expected):
    assert oui_non(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("15/03/2026", dt.date(2026, 3, 15)),
    (" 01/01/2020 ", dt.date(2020, 1, 1)),
    ("2026-03-15", dt.date(2026, 3, 15)),   # what a browser date picker sends
    ("29/02/2024", dt.date(2024, 2, 29)),
    ("29/02/2026", None),
    ("2026-13-45", None),
    ("31/04/2026", None),
    ("15-03-2026", None),
    ("15/03/26", None),
    ("", None),
    (None, None),
    ("15/03/2026 et plus", None),
])
def test_dates_typed_jj_mm_aaaa_are_parsed(text, expected):
    assert parse_date_fr(text) == expected


def test_codes_show_their_french_label_and_unknown_codes_stay_readable():
    choices = [("en_traitement", "En cours de traitement"), ("validee", "Validée")]
    assert label("validee", choices) == "Validée"
    assert label("a_new_state", choices) == "a_new_state"
    assert label(None, choices) == ""


def test_display_picks_the_format_by_type():
    assert [display(v) for v in (Decimal("1500"), dt.date(2026, 1, 2), True, None, 12, "texte")] == [
        f"1{S}500,00{S}€", "02/01/2026", "Oui", "", "12", "texte"]
