"""Portal dashboard (seed 004 *Tableau de bord*): the state × scheme grid read from the counters, *Mes factures*
counted up to a cap, and every counter leading to a list of exactly the dossiers or invoices it counts."""
import html as html_lib
import re

import pytest

import models
from tests.portal.world import two_cfas
from tests.querycount import count_queries

CELL = re.compile(r'<a class="counter[^"]*" data-state="([a-z_]*)" data-scheme="([a-z_]*)"\s+'
                  r'(?:title="[^"]*"\s+)?href="([^"]+)">(\d+)</a>')


@pytest.fixture
def world(app, factory):
    """The known world (tests/portal/world.py: each CFA has an engaged contract, a stock contract and one
    without contract, all « Engagé » in apprentissage) plus a few dossiers of other states and schemes."""
    sud, nord, employer, staff = two_cfas(app, factory)
    org = sud.organisation
    for state, scheme in (("en_attente", "pro_a"), ("en_attente", "pro_a"), ("recu", "professionnalisation"),
                          ("en_instruction", "apprentissage"), ("engage", "action_formation")):
        factory.dossier(organisation=org, state=state, scheme=scheme)
    factory.dossier(organisation=org, state="en_attente", scheme="pro_a", is_stock=True)
    factory.dossier(organisation=nord.organisation, state="en_attente", scheme="pro_a")  # never counted for Sud
    return sud, nord, staff


def grid(body):
    """{(state, scheme): (count, link)} of the dashboard's grid ('' = every state / every scheme)."""
    return {(state, scheme): (int(count), html_lib.unescape(href))
            for state, scheme, href, count in CELL.findall(body)}


def numbers_listed(client, url):
    body = client.get(url).get_data(as_text=True)
    return sorted(set(re.findall(r'<a href="/portail/dossiers/(\d+)">', body)))


def expected(scope_dossiers, state="", scheme=""):
    return sorted(d.number for d in scope_dossiers if (not state or d.state == state)
                  and (not scheme or d.scheme == scheme))


def test_the_grid_counts_each_state_and_scheme_and_every_link_lists_exactly_those_dossiers(world, make_client):
    sud, nord, _ = world
    client = make_client(sud.admin.email)
    cells = grid(client.get("/portail/").get_data(as_text=True))
    assert len(cells) == (8 + 1) * (4 + 1)  # every state × every scheme, with the totals
    # the world's figures: three contracts engaged in apprentissage (ordinary, stock, without contract)
    assert cells[("engage", "apprentissage")][0] == 3
    assert cells[("en_attente", "pro_a")][0] == 3 and cells[("recu", "professionnalisation")][0] == 1
    assert cells[("engage", "")][0] == 4 and cells[("", "pro_a")][0] == 3 and cells[("", "")][0] == 9
    assert cells[("refuse", "apprentissage")][0] == 0
    mine = list(models.Dossier.select().where(models.Dossier.organisation == sud.organisation.id))
    for (state, scheme), (count, link) in cells.items():
        assert link.startswith("/portail/dossiers")
        shown = numbers_listed(client, link)
        assert shown == expected(mine, state, scheme), (state, scheme, link)
        assert len(shown) == count, (state, scheme, link)
    assert nord.dossier.number not in str(cells)


def test_without_the_stock_and_no_contract_rights_the_grid_and_its_lists_leave_those_out(world, make_client,
                                                                                          factory):
    sud, _, _ = world
    user = factory.cfa_user(sud.organisation, role="gestionnaire_of", rights=["right_contracts"])
    client = make_client(user.email)
    body = client.get("/portail/").get_data(as_text=True)
    cells = grid(body)
    assert cells[("engage", "apprentissage")][0] == 1 and cells[("en_attente", "pro_a")][0] == 2
    assert cells[("", "")][0] == 6  # 9 less the two stock contracts and the one without contract
    for state, scheme in (("engage", "apprentissage"), ("en_attente", "pro_a"), ("", "")):
        assert len(numbers_listed(client, cells[(state, scheme)][1])) == cells[(state, scheme)][0]
    assert 'id="invoice-counters"' not in body  # no billing right: no invoices on the dashboard


def test_the_grid_reads_the_counters_and_never_counts_the_dossiers(world, make_client, db):
    sud, _, _ = world
    client = make_client(sud.admin.email)
    client.get("/portail/")
    with count_queries(db) as statements:
        assert client.get("/portail/").status_code == 200
    counting = [sql for sql in statements if "COUNT(" in sql.upper() and '"dossier"' in sql]
    assert all("LIMIT" in sql.upper() for sql in counting), counting  # only capped counts touch the dossiers
    assert any('"dossier_counter"' in sql for sql in statements)


def test_mes_factures_counts_the_invoices_being_processed_and_on_hold_and_links_to_them(world, make_client,
                                                                                         factory):
    sud, nord, _ = world
    for state in ("en_traitement", "en_traitement", "en_attente", "validee"):
        factory.invoice(sud.organisation, sud.dossier, amount="100.00", state=state)
    factory.invoice(nord.organisation, nord.dossier, amount="100.00", state="en_traitement")
    client = make_client(sud.admin.email)
    body = client.get("/portail/").get_data(as_text=True)
    figures = dict(re.findall(r'data-invoice-state="([a-z_]+)" href="[^"]+">\s*<span class="h4 d-block mb-0">'
                              r'(\d+\+?)</span>', body))
    assert figures == {"en_traitement": "3", "en_attente": "1"}  # the world's invoice is being processed too
    assert "En cours de traitement" in body and "En attente de mise en conformité" in body
    for state, count in figures.items():
        link = html_lib.unescape(re.search(r'data-invoice-state="' + state + '" href="([^"]+)"', body).group(1))
        listing = client.get(link).get_data(as_text=True)
        shown = set(re.findall(r'/portail/factures/(\d+)"', listing))
        wanted = {str(i.id) for i in models.Invoice.select().where(
            (models.Invoice.organisation == sud.organisation.id) & (models.Invoice.state == state))}
        assert shown == wanted and len(shown) == int(count), (state, link)


def test_mes_factures_stops_counting_at_the_cap(world, make_client, factory, monkeypatch):
    from views.portal import dashboard

    sud, _, _ = world
    for _ in range(3):
        factory.invoice(sud.organisation, sud.dossier, amount="10.00", state="en_traitement")
    monkeypatch.setattr(dashboard, "INVOICE_CAP", 2)
    body = make_client(sud.admin.email).get("/portail/").get_data(as_text=True)
    assert re.search(r'data-invoice-state="en_traitement" href="[^"]+">\s*<span class="h4 d-block mb-0">2\+</span>',
                     body)
