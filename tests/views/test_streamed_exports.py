"""Exports of a million rows (issue 14, item 7): the back-office dossier CSV is written by the database with the
same cells as Flask-Admin's Python path, and on PostgreSQL every export reads through a server-side cursor."""
import csv
import io
from decimal import Decimal

import pytest

import models
from infrastructure.exports import streamed_rows
from views.admin.dossiers import DossierView


def _rows(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def varied_dossiers(factory):
    """Dossiers whose cells exercise every formatter: amounts (large, negative, none), labels, an advisor with and
    without a name, quotes and ';' in names, a name typed like a formula."""
    sud = factory.organisation(name='CFA "Sud"; Provence')
    advisor = factory.staff("conseiller")
    advisor.first_name, advisor.last_name = "Inès", "Martin"
    advisor.save()
    bare = factory.staff("conseiller")
    bare.first_name, bare.last_name = "", ""
    bare.save()
    factory.dossier(organisation=sud, total_financed=Decimal("1234567.8"), advisor=advisor, state="engage",
                    regime="2021")
    factory.dossier(organisation=sud, employer=factory.employer(name='=HYPERLINK("http://x")'),
                    total_financed=Decimal("-12.5"), advisor=bare, scheme="pro_a")
    factory.dossier(organisation=sud, total_financed=0, apprentice_name="Ligne 1\nLigne 2")
    return sud


def test_the_dossier_csv_written_by_the_database_has_the_cells_of_the_python_export(
        make_client, factory, varied_dossiers, monkeypatch):
    client = make_client(factory.staff("admin").email)
    by_sql = client.get("/admin/dossier/export/csv/").get_data()
    monkeypatch.setattr(DossierView, "sql_export_expressions", lambda self: None)
    by_python = client.get("/admin/dossier/export/csv/").get_data()
    rows = _rows(by_sql)
    assert rows == _rows(by_python)
    assert by_sql == by_python  # same quoting too
    assert len(rows) == 4 and rows[0][0] == "N° de dossier"
    amounts = {row[9] for row in rows[1:]}
    assert amounts == {"1\u00a0234\u00a0567,80\u00a0€", "-12,50\u00a0€", "0,00\u00a0€"}
    assert any(row[3].startswith("'=HYPERLINK") for row in rows[1:])
    assert any(row[10].startswith("Inès Martin <") for row in rows[1:])


def test_the_sql_export_keeps_the_list_filters_and_sort(make_client, factory, varied_dossiers):
    client = make_client(factory.staff("admin").email)
    kept = factory.dossier(state="engage", apprentice_name="AAA Premier")
    factory.dossier(state="recu")
    body = client.get(f"/admin/dossier/export/csv/?search={kept.number}").get_data()
    rows = _rows(body)
    assert [row[0] for row in rows[1:]] == [kept.number]


def _server_cursors():
    return [name for (name,) in models.db.execute_sql("SELECT name FROM pg_cursors")]


@pytest.mark.postgres_only
@pytest.mark.parametrize("url", ["/admin/dossier/export/csv/", "/portail/dossiers/export.csv"])
def test_postgresql_exports_read_through_a_server_side_cursor(make_client, factory, varied_dossiers, url, db):
    user = factory.staff("admin") if url.startswith("/admin") else factory.cfa_user(organisation=varied_dossiers)
    client = make_client(user.email)
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    next(chunks)  # the header line, written before the query runs
    first = next(chunks, b"")
    # Between two chunks the export is suspended inside its transaction, its cursor declared on the server.
    open_cursors = _server_cursors()
    rest = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
    response.close()
    assert any(name.startswith("export_") for name in open_cursors), open_cursors
    assert (first if isinstance(first, bytes) else first.encode()) + rest


@pytest.mark.postgres_only
def test_postgresql_back_office_exports_built_in_python_read_through_a_server_side_cursor(
        make_client, factory, varied_dossiers, monkeypatch):
    """Views without SQL formatting (here the organisations) still stream their model instances."""
    import views.admin.base as base

    seen = []

    def spying(query, size=2000):
        for row in streamed_rows(query, size):
            seen.extend(_server_cursors())
            yield row

    monkeypatch.setattr(base, "streamed_rows", spying)
    body = make_client(factory.staff("admin").email).get("/admin/organisation/export/csv/").get_data()
    assert 'CFA ""Sud""; Provence' in body.decode("utf-8-sig")
    assert seen and all(name.startswith("export_") for name in seen)
