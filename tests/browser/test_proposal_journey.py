"""A CFA enters a contract in a real browser through the nine tabs of the CERFA, sends it to the employer, who
accepts it from the employer space."""
import datetime as dt

import pytest

import models
from models.settings import seed_smic_rates
from models.states import ProposalState
from rules import cerfa_fields
from tests.proposal_data import CFA_SIRET, EMPLOYER_SIRET, complete_data

pytestmark = pytest.mark.browser

def _fill_tab(page, data):
    """Type every value of `data` whose field is on the page, as a user would (dates jj/mm/aaaa)."""
    filled = 0
    for key, value in data.items():
        field = page.locator(f"[name='{key.replace('.', '__')}']")
        if field.count() == 0:
            continue
        kind = field.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.startswith("select"):
            field.first.select_option(value)
        elif kind.endswith(":checkbox"):
            field.first.set_checked(value == "oui")
        elif kind.endswith(":radio"):
            page.check(f"[name='{key.replace('.', '__')}'][value='{value}']")
        else:
            if len(value) == 10 and value[4] == "-" and value[7] == "-":
                value = dt.date.fromisoformat(value).strftime("%d/%m/%Y")
            field.first.fill(value)
        filled += 1
    return filled


def test_a_cfa_enters_a_contract_in_nine_tabs_and_the_employer_accepts_it(app, factory, live_server, browser_page):
    seed_smic_rates()
    cfa = factory.organisation(name="CFA des métiers", siret=CFA_SIRET, uai="0751234J", postal_code="69007",
                               city="Lyon", street="1 avenue du CFA")
    factory.cfa_user(cfa, email="admin@cfa-metiers.test")
    employer = factory.employer(siret=EMPLOYER_SIRET, name="Garage Central")
    factory.employer_user(employer, email="rh@garage-central.test")
    data = complete_data()
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before sending

    page.goto(f"{live_server}/connexion")
    page.fill("input[name=email]", "admin@cfa-metiers.test")
    page.fill("input[name=password]", "Portail-Demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    page.goto(f"{live_server}/portail/propositions/nouvelle")
    assert _fill_tab(page, data) == 4
    page.click("text=Créer le brouillon")
    page.wait_for_url("**/saisie?onglet=employeur")

    seen = []
    while True:
        tab = page.url.split("onglet=")[1]
        seen.append(tab)
        _fill_tab(page, data)
        next_button = page.locator("button[name=suivant]")
        next_link = page.locator("text=Onglet suivant")
        if next_button.count():
            next_button.click()
        elif next_link.count():
            next_link.click()
        else:
            break
        page.wait_for_load_state()
    page.goto(page.url.split("?")[0] + "?onglet=introduction")
    tabs_text = page.inner_text("body")
    for tab in cerfa_fields.TABS:
        assert tab.title in tabs_text
    proposal = models.ContractProposal.get()
    assert proposal.data["apprenti.nir"] == data["apprenti.nir"]
    assert proposal.data["contrat.dateDebutContrat"] == "2026-09-01"

    page.goto(page.url.split("?")[0] + "?onglet=synthese")
    assert page.locator("#no-errors").count() == 1, page.inner_text("#npec-proposal")
    page.click("#send-proposal")
    page.wait_for_load_state()
    assert models.ContractProposal.get_by_id(proposal.id).state == ProposalState.SENT

    page.eval_on_selector("#profile-menu form", "form => form.submit()")
    page.wait_for_url("**/connexion")
    page.fill("input[name=email]", "rh@garage-central.test")
    page.fill("input[name=password]", "Portail-Demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    assert "MARTIN" in page.inner_text("body").upper() and "Lucas" in page.inner_text("body")
    page.click("text=Voir")
    page.click("#accept")
    page.wait_for_load_state()
    assert models.ContractProposal.get_by_id(proposal.id).state == ProposalState.UNDER_REVIEW
    assert seen == [tab.key for tab in cerfa_fields.TABS][1:]  # Employeur … Attestation, in order
