"""The fast CSV export formats in SQL: its texts must be the Python layer's, on SQLite and PostgreSQL alike
(run this file with TEST_DB=postgres for the latter)."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from peewee import Select, Value

from infrastructure.formatting import date_fr, montant
from infrastructure import sql_format

CENTS = [0, 1, 5, 99, 100, 12345, 100000, 2624700, 99999999, 123456789, 1000000000, -1, -5, -1250, -2624700,
         -123456789, None]
DATES = [dt.date(2026, 3, 5), dt.date(1999, 12, 31), dt.date(2030, 1, 1), None]


def _sql_value(db, expression):
    return Select(columns=[expression]).bind(db).scalar()


def _column(value, sql_type):
    """A literal standing for a column: a NULL gets the column's type (PostgreSQL needs it to pick to_char)."""
    return Value(None).cast(sql_type) if value is None else Value(value)


@pytest.mark.parametrize("cents", CENTS)
def test_the_database_writes_amounts_like_the_python_layer(db, cents):
    expected = "" if cents is None else montant(Decimal(cents) / 100)
    assert _sql_value(db, sql_format.montant(_column(cents, "bigint"))) == expected


@pytest.mark.parametrize("day", DATES)
def test_the_database_writes_dates_like_the_python_layer(db, day):
    assert _sql_value(db, sql_format.date_fr(_column(day, "date"))) == date_fr(day)


def test_the_dossier_csv_export_shows_the_amounts_of_the_pages(make_client, factory, db):
    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    amounts = [Decimal("1234567.89"), Decimal("0"), Decimal("999.99")]
    dossiers = [factory.dossier(organisation=org, total_financed=amount) for amount in amounts]
    body = make_client(user.email).get("/portail/dossiers/export.csv").get_data().decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(body, newline=""), delimiter=";")}
    for dossier, amount in zip(dossiers, amounts):
        assert rows[dossier.number][11] == montant(amount)
        assert rows[dossier.number][9] == date_fr(dossier.contract_start)
    assert rows[dossiers[0].number][11] == "1\u00a0234\u00a0567,89\u00a0€"
