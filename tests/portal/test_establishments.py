"""Établissements (/portail/etablissements, seed 004): the organisations of the user's memberships with the main
establishment marked, a detail page for each, nothing else; a membership of a main establishment does not reach
its secondary establishments (access/scope.py)."""
import pytest

import models

LIST = "/portail/etablissements"


@pytest.fixture
def network(factory):
    """CFA Sud (main) with a secondary establishment, CFA Nord; an admin of the main one only, and a user of both."""
    main = factory.organisation(name="CFA Sud", street="12 rue des Lilas", postal_code="13001", city="Marseille",
                                da_number="93130000013")
    annexe = factory.organisation(name="CFA Sud Annexe Toulon", parent=main, street="3 quai du Port",
                                  postal_code="83000", city="Toulon")
    closed = factory.organisation(name="CFA Sud Ancien site", parent=main, status="inactive")
    nord = factory.organisation(name="CFA Nord", city="Lille")
    main_only = factory.cfa_user(main, email="admin@cfa-sud.test")
    both = factory.cfa_user(main, email="reseau@cfa-sud.test", role="gestionnaire_of", rights=["right_contracts"])
    models.Membership.create(user=both, organisation=annexe, role="admin_of", right_stock=True, right_contracts=False)
    models.Membership.create(user=both, organisation=closed, role="gestionnaire_of")
    factory.cfa_user(nord, email="admin@cfa-nord.test")
    annexe_dossier = factory.engaged_dossier(annexe, number="4400000001")
    main_dossier = factory.engaged_dossier(main, number="4400000002")
    return {"main": main, "annexe": annexe, "closed": closed, "nord": nord, "main_only": main_only, "both": both,
            "annexe_dossier": annexe_dossier, "main_dossier": main_dossier}


def test_the_list_shows_the_users_establishments_with_the_main_one_marked(network, make_client):
    client = make_client("reseau@cfa-sud.test")
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    main, annexe, closed = network["main"], network["annexe"], network["closed"]
    for org in (main, annexe, closed):
        assert org.siret in html and org.name in html
    assert network["nord"].siret not in html and "CFA Nord" not in html
    row = html.split(f'id="establishment-{main.siret}"')[1].split("</tr>")[0]
    assert 'title="Établissement principal"' in row and "12 rue des Lilas" in row and "13001 Marseille" in row
    assert "<td>Oui</td>" in row and "Gestionnaire OF" in row
    row = html.split(f'id="establishment-{annexe.siret}"')[1].split("</tr>")[0]
    assert "Secondaire de CFA Sud" in row and "Toulon" in row and "Administrateur OF" in row
    row = html.split(f'id="establishment-{closed.siret}"')[1].split("</tr>")[0]
    assert "<td>Non</td>" in row
    assert 'id="nav-establishments"' in html
    filtered = client.get(LIST, query_string={"q": "toulon"}).get_data(as_text=True)
    assert annexe.siret in filtered and f'id="establishment-{main.siret}"' not in filtered


def test_the_detail_page_of_an_establishment_shows_its_information_and_my_access(network, make_client):
    client = make_client("reseau@cfa-sud.test")
    main, annexe = network["main"], network["annexe"]
    html = client.get(f"{LIST}/{main.siret}").get_data(as_text=True)
    assert main.siret[:9] in html and main.siret[9:] in html and "93130000013" in html
    assert "CFA Sud Annexe Toulon" in html.split('id="est-secondary"')[1]  # its secondary ones the user reaches
    html = client.get(f"{LIST}/{annexe.siret}").get_data(as_text=True)
    assert f"Non, secondaire de CFA Sud ({main.siret})" in html
    assert "Administrateur OF" in html and "Gérer les contrats de stock" in html.split('id="est-rights"')[1]


def test_nobody_opens_an_establishment_outside_their_memberships(network, factory, make_client):
    client = make_client("admin@cfa-nord.test")
    for org in (network["main"], network["annexe"]):
        assert client.get(f"{LIST}/{org.siret}").status_code == 404
    assert client.get(f"{LIST}/00000000000000").status_code == 404
    assert client.get(f"{LIST}/pas-un-siret").status_code == 404
    employer = factory.employer_user(email="rh@entreprise.test")
    assert make_client(employer.email).get(LIST).status_code == 403
    staff = factory.staff("admin")
    assert make_client(staff.email).get(LIST).status_code == 403
    anonymous = make_client().get(LIST)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


def test_a_membership_of_the_main_establishment_does_not_reach_a_secondary_one(network, make_client):
    """The decision of access/scope.py: each establishment is reached by its own membership only."""
    client = make_client("admin@cfa-sud.test")  # admin OF of the main establishment, nothing else
    annexe, dossier = network["annexe"], network["annexe_dossier"]
    assert client.get(f"/portail/dossiers/{network['main_dossier'].number}").status_code == 200
    assert client.get(f"/portail/dossiers/{dossier.number}").status_code == 404
    assert dossier.number not in client.get("/portail/dossiers").get_data(as_text=True)
    assert dossier.number not in client.get("/portail/dossiers/export.csv").get_data(as_text=True)
    assert client.get(f"{LIST}/{annexe.siret}").status_code == 404
    assert annexe.siret not in client.get(LIST).get_data(as_text=True)
    assert client.post_form(f"/portail/organisation/{annexe.siret}").status_code == 404  # no switching to it
    # its users are not the main establishment's administrator's either
    assert "reseau@cfa-sud.test" in client.get("/portail/utilisateurs").get_data(as_text=True)  # member of main
    rights = client.get(f"/portail/utilisateurs/{network['both'].id}/droits").get_data(as_text=True)
    assert "CFA Sud Annexe Toulon" not in rights.split('id="rights-form"')[1]
    # whereas the user with a membership of the secondary establishment works there once it is picked
    both = make_client("reseau@cfa-sud.test")
    assert both.post_form(f"/portail/organisation/{annexe.siret}").status_code == 302
    assert both.get(f"/portail/dossiers/{dossier.number}").status_code == 404  # stock right only there
    models.Membership.update(right_contracts=True).where(
        (models.Membership.user == network["both"].id) & (models.Membership.organisation == annexe.id)).execute()
    assert both.get(f"/portail/dossiers/{dossier.number}").status_code == 200
