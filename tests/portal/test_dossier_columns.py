"""Dossier list columns of seed 001 *Consulter les actions* and seed 004 *Visualisation des dossiers*: CFA
bénéficiaire, budget, teaching and annex amounts taken in charge, reimbursements, training; the result count;
the columns each user keeps."""
import re

import pytest

import models
from tests.portal.world import two_cfas
from tests.querycount import count_queries

NBSP = "\u00a0"


@pytest.fixture
def world(app, factory, make_client):
    sud, nord, _, _ = two_cfas(app, factory)
    return sud, nord, make_client(sud.admin.email)


def cells(html, number):
    """{column key: text} of the list row of dossier `number`."""
    row = re.search(r'<tr>\s*<td><a href="/portail/dossiers/' + number + r'">.*?</tr>', html, re.S).group(0)
    found = dict(re.findall(r'<td class="amount" data-column="(\w+)">([^<]*)</td>', row))
    return {key: value.replace(NBSP, " ") for key, value in found.items()}, row


def headers(html):
    table = html[html.index('id="dossiers"'):html.index("</thead>")]
    return re.findall(r'data-column="(\w+)"', table)


def test_the_list_shows_the_figures_of_the_dossier_page_for_a_known_dossier(world):
    """CFA Sud's engaged dossier (tests/portal/world.py): 2 years at a 7 000 € NPEC, caps of 100 nights, 300
    meals and 500 € of first equipment, one payment of 100 €."""
    sud, nord, client = world
    html = client.get("/portail/dossiers").get_data(as_text=True)
    amounts, row = cells(html, sud.dossier.number)
    assert amounts == {"budget": "16 000,00 €", "pedagogique": "14 000,00 €", "annexes": "2 000,00 €",
                       "remboursements": "100,00 €"}
    assert "BTS Management commercial opérationnel" in row and "CFA Sud" in row
    page = client.get(f"/portail/dossiers/{sud.dossier.number}").get_data(as_text=True).replace(NBSP, " ")
    balance = page[page.index('id="balance"'):]
    assert "14 000,00 €" in balance and "2 000,00 €" in balance and "100,00 €" in balance
    assert nord.dossier.number not in html and nord.payment.reference not in html


def test_dossiers_of_a_delegating_cfa_name_their_cfa_beneficiaire(world, factory):
    sud, _, client = world
    theirs = factory.engaged_dossier(sud.delegation.delegator)
    html = client.get("/portail/dossiers").get_data(as_text=True)
    assert "cfa" in headers(html) and "CFA bénéficiaire" in html
    _, row = cells(html, theirs.number)
    assert "Déléguant de CFA Sud" in row
    _, own = cells(html, sud.dossier.number)
    assert "Déléguant" not in own


def test_a_dossier_not_yet_engaged_takes_nothing_in_charge(world, factory):
    sud, _, client = world
    received = factory.dossier(organisation=sud.organisation, state="recu")
    amounts, _ = cells(client.get("/portail/dossiers").get_data(as_text=True), received.number)
    assert amounts == {"budget": "0,00 €", "pedagogique": "0,00 €", "annexes": "0,00 €", "remboursements": "0,00 €"}


def test_reimbursements_stay_hidden_without_the_billing_right(world, factory, make_client):
    """Not a default column without a billing right; chosen anyway, it shows « — », never the payments."""
    sud, _, _ = world
    user = factory.cfa_user(sud.organisation, role="gestionnaire_of", rights=["right_contracts"])
    client = make_client(user.email)
    html = client.get("/portail/dossiers").get_data(as_text=True)
    assert "remboursements" not in headers(html) and "pedagogique" in headers(html)
    client.post_form("/portail/dossiers/colonnes", {"colonnes": ["pedagogique", "remboursements"]})
    amounts, _ = cells(client.get("/portail/dossiers").get_data(as_text=True), sud.dossier.number)
    assert amounts == {"pedagogique": "14 000,00 €", "remboursements": "—"}


def test_the_count_is_exact_from_the_counters_and_capped_past_a_thousand_matches(world, factory, db):
    sud, _, client = world
    for _ in range(25):
        factory.dossier(organisation=sud.organisation, state="recu", apprentice_name="MARTIN Zoé")
    # CFA Sud: its engaged, stock and "without contract" dossiers + 25; its delegator has none
    html = client.get("/portail/dossiers").get_data(as_text=True)
    assert f"1–20 sur 28" in html
    with count_queries(db) as sql:
        html = client.get("/portail/dossiers?state=recu").get_data(as_text=True)
    assert "1–20 sur 25" in html and not any("COUNT" in q.upper() and 'FROM "dossier"' in q for q in sql)
    second = re.search(r'href="([^"]*apres=[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "21–25 sur 25" in client.get(second).get_data(as_text=True)
    assert "1–20 sur 25" in client.get("/portail/dossiers?apprenti=martin").get_data(as_text=True)
    assert "1–1 sur 1" in client.get(f"/portail/dossiers?numero={sud.dossier.number}").get_data(as_text=True)
    assert "0 dossier" in client.get("/portail/dossiers?apprenti=zzzz").get_data(as_text=True)


def test_past_the_cap_the_count_says_plus_de_1000(world, factory, monkeypatch):
    from views.portal import dossiers
    sud, _, client = world
    monkeypatch.setattr(dossiers, "COUNT_CAP", 10)
    for _ in range(25):
        factory.dossier(organisation=sud.organisation, apprentice_name="MARTIN Zoé")
    assert "1–20 sur plus de 10" in client.get("/portail/dossiers?apprenti=mart").get_data(as_text=True)


def test_the_columns_chosen_are_kept_for_the_user_and_honoured(world, make_client):
    sud, _, client = world
    html = client.get("/portail/dossiers?state=engage&sort=debut").get_data(as_text=True)
    assert headers(html) == ["apprenti", "cfa", "formation", "etat", "debut", "fin", "budget", "pedagogique",
                             "annexes", "remboursements"]
    response = client.post_form("/portail/dossiers/colonnes", {
        "colonnes": ["remboursements", "deca", "employeur", "inconnue"], "retour": "state=engage&sort=debut&x=1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portail/dossiers?state=engage&sort=debut")
    assert models.User.get_by_id(sud.admin.id).list_columns == {"dossiers": ["employeur", "deca", "remboursements"]}
    again = make_client(sud.admin.email)  # another session of the same user
    html = again.get("/portail/dossiers").get_data(as_text=True)
    assert headers(html) == ["employeur", "deca", "remboursements"]
    _, row = cells(html, sud.dossier.number)
    assert sud.dossier.deca_number in row and sud.dossier.employer.name in row
    assert "BTS Management" not in row and "16 000,00" not in row
    assert 'value="deca" id="col-deca" checked' in html and 'value="budget" id="col-budget">' in html
    client.post_form("/portail/dossiers/colonnes", {"defaut": "1"})
    assert models.User.get_by_id(sud.admin.id).list_columns is None
    assert "budget" in headers(client.get("/portail/dossiers").get_data(as_text=True))


def test_a_user_of_one_organisation_does_not_get_the_cfa_column_by_default(factory, make_client):
    org = factory.organisation(name="CFA Seul")
    user = factory.cfa_user(org)
    factory.engaged_dossier(org)
    html = make_client(user.email).get("/portail/dossiers").get_data(as_text=True)
    assert "cfa" not in headers(html) and "budget" in headers(html)


def test_the_column_choice_needs_the_csrf_token(world):
    sud, _, client = world
    response = client.post("/portail/dossiers/colonnes", data={"colonnes": ["deca"]})
    assert response.status_code == 400 and models.User.get_by_id(sud.admin.id).list_columns is None
