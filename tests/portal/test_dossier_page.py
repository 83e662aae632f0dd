"""The dossier page as seed 001 *Consulter les actions* and seed 004 *Examiner la notification* show it: the
dossier's invoices and reimbursement requests by nature, the CFA's UAI, the employer's address, the *accord de
financement* asked vs taken in charge, and the missing pieces of a dossier awaiting documents."""
import datetime as dt
import re
from decimal import Decimal

import pytest

import models
from tests.portal.world import two_cfas
from workflows import dossier_workflow
from workflows.dossier_workflow import Params

NBSP = "\u00a0"


def run(app, action, dossier, staff, params=None):
    """A conseiller's action on the dossier, through the workflow the back office runs."""
    with app.app_context():
        outcome = dossier_workflow.perform(action, dossier.id, staff, params or Params())
    assert outcome.ok, outcome
    return outcome


@pytest.fixture
def world(app, factory, make_client):
    sud, nord, _, staff = two_cfas(app, factory)
    return sud, nord, staff, make_client(sud.admin.email)


def page(client, number):
    response = client.get(f"/portail/dossiers/{number}")
    assert response.status_code == 200
    return response.get_data(as_text=True).replace(NBSP, " ")


def section(html, element_id):
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</table>", start)]


def agreement_row(html, row):
    found = re.search(r'<tr data-row="' + row + r'">(.*?)</tr>', section(html, "agreement"), re.S).group(1)
    return re.findall(r'<td class="amount[^"]*">([^<]*)</td>', found)


def test_the_known_dossier_lists_its_invoice_by_nature_with_its_state(world):
    """CFA Sud's dossier (tests/portal/world.py) has one reimbursement request of 100 € of teaching, in progress."""
    sud, nord, _, client = world
    html = page(client, sud.dossier.number)
    invoices = section(html, "invoices")
    assert f'href="/portail/factures/{sud.invoice.id}">{sud.invoice.display_number}</a>' in invoices
    assert "Demande de remboursement" in invoices and "En cours de traitement" in invoices
    assert "<th class=\"amount\">Coût pédagogique</th>" in invoices and "Hébergement" not in invoices
    assert invoices.count("100,00 €") == 2  # the teaching amount and the total on this dossier
    assert nord.invoice.display_number not in html or nord.invoice.display_number == sud.invoice.display_number
    assert f"/portail/factures/{nord.invoice.id}\"" not in html


def test_a_mass_invoice_shows_only_its_lines_on_this_dossier_and_drafts_stay_out(world, factory):
    sud, _, _, client = world
    other = factory.engaged_dossier(sud.organisation)
    mass = models.Invoice.create(number=4242, organisation=sud.organisation, kind="mass", state="validee",
                                 total_ht=Decimal("1290.00"), total_ttc=Decimal("1290.00"),
                                 submitted_at=dt.datetime(2026, 3, 2, 9, 0), cfa_reference="FAC-2026-17")
    for dossier, nature, amount in ((sud.dossier, "teaching", "1000.00"), (sud.dossier, "lodging", "60.00"),
                                    (sud.dossier, "lodging", "30.00"), (other, "teaching", "200.00")):
        models.InvoiceLine.create(invoice=mass, dossier=dossier, nature=nature, amount=Decimal(amount))
    draft = models.Invoice.create(organisation=sud.organisation, kind="mass", state="brouillon")
    models.InvoiceLine.create(invoice=draft, dossier=sud.dossier, nature="teaching", amount=Decimal("5.00"))
    invoices = section(page(client, sud.dossier.number), "invoices")
    row = re.search(r'<tr data-invoice="' + str(mass.id) + r'">(.*?)</tr>', invoices, re.S).group(1)
    assert "Facturation en masse" in row and "Validée" in row and "FAC-2026-17" in row and "02/03/2026" in row
    assert re.findall(r'<td class="amount[^"]*">([^<]*)</td>', row) == ["1 000,00 €", "90,00 €", "1 090,00 €"]
    assert f'data-invoice="{draft.id}"' not in invoices


def test_the_cfa_uai_and_the_employer_address_are_shown(world):
    sud, _, _, client = world
    employer = sud.dossier.employer
    employer.street, employer.postal_code, employer.city = "12 rue des Lilas", "92310", "Sèvres"
    employer.save()
    html = page(client, sud.dossier.number)
    assert re.search(r'id="cfa-uai">' + sud.organisation.uai + "<", html)
    assert re.search(r'id="employer-address">\s*12 rue des Lilas, 92310 Sèvres</dd>', html)


def test_the_agreement_of_the_known_dossier_asked_and_taken_in_charge(world):
    """Two years at a 7 000 € NPEC; caps of 100 nights (600 €), 300 meals (900 €) and 500 € of equipment."""
    sud, _, _, client = world
    html = page(client, sud.dossier.number)
    agreement = section(html, "agreement")
    assert ["NPEC total", "Hébergement", "Restauration", "Premier équipement", "Total"] == re.findall(
        r'<th class="amount">([^<]*)</th>', agreement)
    expected = ["14 000,00 €", "600,00 €", "900,00 €", "500,00 €", "16 000,00 €"]
    assert agreement_row(html, "asked") == expected and agreement_row(html, "agreed") == expected


def test_an_npec_agreed_other_than_asked_shows_both(world, factory, app):
    """The CFA asked 6 000 € a year; the conseiller engages at 7 000 €: both stay on the page."""
    sud, _, staff, client = world
    dossier = factory.dossier(organisation=sud.organisation, state="en_instruction", npec=Decimal("6000.00"),
                              cap_nights=0, cap_meals=0, cap_first_equipment=Decimal("300.00"),
                              rncp_code="RNCP99999")
    html = page(client, dossier.number)
    assert agreement_row(html, "asked") == ["12 000,00 €", "300,00 €", "12 300,00 €"]
    assert "En attente de la décision de l&#39;OPCO." in section(html, "agreement")
    run(app, "engager", dossier, staff, Params(npec=Decimal("7000.00")))
    assert models.Dossier.get_by_id(dossier.id).requested_npec == Decimal("6000.00")
    html = page(client, dossier.number)
    assert agreement_row(html, "asked") == ["12 000,00 €", "300,00 €", "12 300,00 €"]
    assert agreement_row(html, "agreed") == ["14 000,00 €", "300,00 €", "14 300,00 €"]


def test_a_dossier_awaiting_documents_lists_the_missing_pieces_on_its_page(world, factory, app):
    sud, _, staff, client = world
    dossier = factory.dossier(organisation=sud.organisation, state="en_instruction")
    assert 'id="missing-pieces"' not in page(client, dossier.number)
    run(app, "demander_pieces", dossier, staff,
        Params(pieces=["Convention de formation signée", "CERFA signé par l'apprenti"]))
    html = page(client, dossier.number)
    missing = html[html.index('id="missing-pieces"'):html.index("</div>", html.index('id="missing-pieces"'))]
    assert "<li>Convention de formation signée</li>" in missing and "<li>CERFA signé par l&#39;apprenti</li>" in missing
    assert "Courrier de relance" in html  # the letter says the same
    run(app, "reprendre", dossier, staff)
    assert 'id="missing-pieces"' not in page(client, dossier.number)


def test_without_the_billing_right_no_invoice_section(world, factory, make_client):
    sud, _, _, _ = world
    user = factory.cfa_user(sud.organisation, role="gestionnaire_of", rights=["right_contracts"])
    html = page(make_client(user.email), sud.dossier.number)
    assert 'id="invoices"' not in html and sud.invoice.display_number not in html
    assert 'id="agreement"' in html


def test_another_organisations_dossier_is_still_a_404(world):
    _, nord, _, client = world
    assert client.get(f"/portail/dossiers/{nord.dossier.number}").status_code == 404
