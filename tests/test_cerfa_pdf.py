"""The reconstituted CERFA PDF (issue 12, item 4): its text read back with pypdf, its error pages, who may print it."""
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pypdf import PdfReader

import models
from infrastructure import clock
from infrastructure.formatting import date_fr
from rules import cerfa_fields
from tests.proposal_data import EMPLOYER_SIRET, SMIC, complete_data
from workflows.cerfa_pdf import cerfa_sections, error_rows, remaining_errors

SECTIONS = ["L'EMPLOYEUR", "L'APPRENTI(E)", "LE MAÎTRE D'APPRENTISSAGE", "LE CONTRAT", "LA FORMATION",
            "CADRE RÉSERVÉ À L'ORGANISME EN CHARGE DU DÉPÔT DU CONTRAT"]


def pdf_text(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.data))
    return reader, re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def flat(text):
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def world(factory):
    cfa = factory.organisation(name="CFA des métiers")
    other_cfa = factory.organisation(name="CFA Concurrent")
    employer = factory.employer(siret=EMPLOYER_SIRET, name="Garage Central")
    return {
        "cfa": cfa,
        "cfa_user": factory.cfa_user(cfa),
        "other_cfa_user": factory.cfa_user(other_cfa),
        "no_contract_right": factory.cfa_user(cfa, role="gestionnaire_of", rights=["right_stock"]),
        "employer_user": factory.employer_user(employer),
        "other_employer_user": factory.employer_user(),
    }


def proposal(world, data, state="brouillon"):
    return models.ContractProposal.create(
        organisation=world["cfa"], employer_siret=data.get("employeur.siret", ""),
        employer_name=data.get("employeur.denomination", ""), apprentice_last_name=data.get("apprenti.nom", ""),
        apprentice_first_name=data.get("apprenti.prenom", ""), state=state, data=data)


def test_a_complete_proposal_prints_every_section_without_error_pages(world, make_client):
    data = complete_data()
    assert remaining_errors(data) == {}
    p = proposal(world, data)
    reader, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf"))
    for title in SECTIONS:
        assert title in text
    assert text.index("L'EMPLOYEUR") < text.index("L'APPRENTI(E)") < text.index("LE CONTRAT") < text.index(
        "LA FORMATION")
    for value in ("Garage Central", EMPLOYER_SIRET, "Martin", "Lucas", "14/03/2005", "01/09/2026", "31/08/2028",
                  "Durand", "Paul", "BTS Maintenance des véhicules", "RNCP35823", "0751234J",
                  "Premier contrat d'apprentissage de l'apprenti", "Proposition de contrat n°"):
        assert value in text, value
    assert f"Document édité depuis Portail CFA le {date_fr(clock.today())}" in text
    assert "Erreurs restant à corriger" not in text


def test_errors_remaining_are_listed_on_pages_at_the_end(world, make_client):
    data = complete_data(**{"apprenti.dateNaissance": "2014-03-14", "contrat.dateFinContrat": "2026-10-31",
                            "maitre1.dateNaissance": "2012-01-01"})
    for key in ("employeur.naf", "formation.rncp", "attestation.lieuSignature"):
        del data[key]
    errors = remaining_errors(data)
    rows = error_rows(errors)
    assert len(rows) >= 5
    p = proposal(world, data, state="en_examen")  # under the employer's review: the attestation is due too
    reader, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf"))
    assert f"Erreurs restant à corriger ({len(rows)})" in text
    error_part = text[text.index("Erreurs restant à corriger"):]
    for row in rows:
        assert flat(row.message) in error_part, row
        assert flat(row.field) in error_part, row
        assert row.tab in error_part, row
    assert {"Employeur", "Apprenti", "Contrat", "Formation", "Attestation"} <= {row.tab for row in rows}
    assert "Code activité (NAF)" in error_part and "Code RNCP" in error_part
    # the errors start on their own page, after the CERFA itself
    first_error_page = next(i for i, page in enumerate(reader.pages) if "Erreurs restant" in page.extract_text())
    assert first_error_page >= 1
    assert "Erreurs restant" not in reader.pages[0].extract_text()
    assert "Martin" in text and "14/03/2014" in text


def test_the_employer_of_the_siret_prints_it_and_nobody_else(world, make_client):
    p = proposal(world, complete_data(), state="envoye")
    url = f"/portail/propositions/{p.id}/cerfa.pdf"
    assert make_client(world["other_cfa_user"].email).get(url).status_code == 404
    assert make_client(world["other_employer_user"].email).get(url).status_code == 404
    assert make_client(world["no_contract_right"].email).get(url).status_code == 403
    anonymous = make_client().get(url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    assert make_client().get("/portail/propositions/999999/cerfa.pdf").status_code == 302
    assert make_client(world["cfa_user"].email).get("/portail/propositions/999999/cerfa.pdf").status_code == 404
    _, text = pdf_text(make_client(world["employer_user"].email).get(url))
    assert "Garage Central" in text and "Lucas" in text
    for hidden in ("brouillon", "refuse_entreprise"):  # a draft never reaches the employer, a refusal leaves
        p.state = hidden
        p.save()
        assert make_client(world["employer_user"].email).get(url).status_code == 404


def test_every_print_is_in_the_audit_log(world, make_client):
    p = proposal(world, complete_data())
    make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf")
    entry = models.AuditEntry.select().where((models.AuditEntry.entity == "contract_proposal")
                                             & (models.AuditEntry.entity_id == str(p.id))).first()
    assert entry is not None and entry.action == "download"


@pytest.fixture
def dossier_from_proposal(world, factory):
    dossier = factory.dossier(organisation=world["cfa"], number="2026777001")
    p = proposal(world, complete_data(), state="accepte")
    p.dossier = dossier
    p.save()
    return dossier, p


def test_the_dossier_prints_its_cerfa_and_links_back_to_its_proposal(world, make_client, factory,
                                                                      dossier_from_proposal):
    dossier, p = dossier_from_proposal
    cfa = make_client(world["cfa_user"].email)
    page = cfa.get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    assert f"/portail/dossiers/{dossier.number}/cerfa.pdf" in page
    assert f"proposition de contrat n° {p.id}" in page and f'href="/portail/propositions/{p.id}"' in page
    _, text = pdf_text(cfa.get(f"/portail/dossiers/{dossier.number}/cerfa.pdf"))
    assert "Lucas" in text and f"N° de dossier {dossier.number}" in text and "Erreurs restant" not in text
    assert make_client(world["other_cfa_user"].email).get(
        f"/portail/dossiers/{dossier.number}/cerfa.pdf").status_code == 404

    staff = make_client(factory.staff("conseiller").email)
    details = staff.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/dossier/{dossier.id}/cerfa.pdf" in details
    assert f"/admin/contractproposal/details/?id={p.id}" in details
    _, text = pdf_text(staff.get(f"/admin/dossier/{dossier.id}/cerfa.pdf"))
    assert "Garage Central" in text and "L'APPRENTI(E)" in text


def test_a_dossier_without_proposal_prints_from_its_own_columns(world, make_client, factory):
    dossier = factory.dossier(organisation=world["cfa"])
    _, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/dossiers/{dossier.number}/cerfa.pdf"))
    assert dossier.apprentice.first_name in text and "BTS Management commercial opérationnel" in text
    assert "01/09/2025" in text and "31/08/2027" in text


def test_a_draft_does_not_list_what_the_employer_fills_as_errors(world, make_client):
    data = complete_data()
    for key in ("attestation.lieuSignature", "attestation.exactitude", "attestation.piecesJustificatives",
                "contrat.dateConclusion"):
        del data[key]
    p = proposal(world, data, state="brouillon")
    _, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf"))
    assert "Erreurs restant à corriger" not in text
    p.state = "en_examen"
    p.save()
    _, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf"))
    errors = text[text.index("Erreurs restant à corriger"):]
    assert "Attestation" in errors and "Fait à" in errors and "Date de conclusion (signature)" in errors


def test_pay_below_the_minimum_in_euros_is_an_error_page(world, make_client):
    """The SMIC is the dated setting the OPCO maintains, in effect on the contract's start."""
    models.SmicRate.create(effective_from=SMIC.effective_from, hourly=SMIC.hourly, monthly=SMIC.monthly)
    p = proposal(world, complete_data(**{"contrat.salaireEmbauche": "100.00"}))
    _, text = pdf_text(make_client(world["cfa_user"].email).get(f"/portail/propositions/{p.id}/cerfa.pdf"))
    errors = text[text.index("Erreurs restant à corriger"):]
    assert "Salaire brut mensuel à l'embauche" in errors
    assert "Martin" in text  # the CERFA itself is printed first


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from([f.key for f in cerfa_fields.FIELDS]),
                       st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans(),
                                 st.dates().map(lambda d: d.isoformat()))))
def test_whatever_a_draft_holds_the_cerfa_content_is_built(db, data):
    sections = cerfa_sections(data)
    assert [s["title"] for s in sections] == SECTIONS[:5]
    for row in error_rows(remaining_errors(data)):
        assert row.tab and row.field and row.message
