"""The dossier CSV export quotes whatever the data holds (the database writes the lines)."""
import csv
import io
from decimal import Decimal

import pytest


@pytest.mark.parametrize("name", ['Garage "Le Central"; Nord', "Ligne 1\nLigne 2", "Élan & Cie — 100 %", ""])
def test_special_characters_survive_the_csv_export(make_client, factory, db, name):
    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    employer = factory.employer(name=name)
    dossier = factory.dossier(organisation=org, employer=employer, total_financed=Decimal("7000.10"),
                              deca_number='DE"CA;1')
    body = make_client(user.email).get("/portail/dossiers/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][0] == dossier.number and rows[1][1] == 'DE"CA;1' and rows[1][4] == name
    assert rows[1][11] == "7\u00a0000,10\u00a0€"
    assert len(rows[1]) == len(rows[0])


def test_a_name_starting_like_a_formula_is_exported_as_text(make_client, factory, db):
    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    factory.dossier(organisation=org, employer=factory.employer(name='=HYPERLINK("http://x")'))
    body = make_client(user.email).get("/portail/dossiers/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert rows[1][4] == "'" + '=HYPERLINK("http://x")'
