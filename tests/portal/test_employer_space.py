"""The employer space through its real URLs (seed 002): a sent proposal → the employer sees it → accepts →
completes → transmits → a *reçu* dossier with the proposal's data; refusal with a reason (the CFA told);
another employer's proposal is a 404; a proposal transmitted twice makes one dossier; the mandate path."""
import datetime as dt
import html
import threading

import pytest

import models
from models.states import DossierState, ProposalState
from tests.factories import make_pdf
from tests.portal.proposals_data import sent_proposal


@pytest.fixture
def world(factory, make_client):
    cfa = factory.organisation(name="CFA Sud")
    author = factory.cfa_user(cfa, email="admin@cfa-sud.test")
    garage = factory.employer(name="Garage Central")
    clinic = factory.employer(name="Clinique des Lilas")
    factory.employer_user(garage, email="rh@garage.test")
    factory.employer_user(clinic, email="rh@clinique.test")
    proposal = sent_proposal(cfa, garage, author=author)
    other = sent_proposal(cfa, clinic, author=author, **{"apprenti.nom": "SECRETNOM", "apprenti.prenom": "Zoé"})
    return dict(cfa=cfa, author=author, garage=garage, clinic=clinic, proposal=proposal, other=other,
                employer=make_client("rh@garage.test"), rival=make_client("rh@clinique.test"),
                cfa_client=make_client("admin@cfa-sud.test"))


def url(proposal, action=""):
    return f"/portail/entreprise/propositions/{proposal.id}" + (f"/{action}" if action else "")


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def state(proposal):
    return models.ContractProposal.get_by_id(proposal.id).state


def test_the_employer_sees_the_proposals_addressed_to_its_siret_only(world):
    home = world["employer"].get("/portail/")
    assert home.status_code == 200
    text = page_text(home)
    assert "LEBLANC" in text and "Envoyé à l'entreprise" in text and "CFA Sud" in text
    assert "01/09/2026" in text and "31/08/2028" in text
    assert "SECRETNOM" not in text
    nir = world["proposal"].data["apprenti.nir"]
    assert nir not in text and "•• ••• ••• ••" in text  # masked in the list
    page = world["employer"].get(url(world["proposal"]))
    assert page.status_code == 200 and "Accepter et compléter" in page_text(page)


def test_another_employers_proposal_is_a_404_for_every_route(world):
    other, client = world["other"], world["employer"]
    assert client.get(url(other)).status_code == 404
    assert client.get(url(other, "completer?onglet=contrat")).status_code == 404
    for action in ("accepter", "transmettre", "completer?onglet=employeur"):
        assert client.post_form(url(other, action)).status_code == 404
    assert client.post_form(url(other, "refuser"), {"reason": "Non"}).status_code == 404
    assert state(other) == ProposalState.SENT


def test_a_cfa_user_or_staff_is_refused_the_employer_space(world, factory, make_client):
    assert world["cfa_client"].get(url(world["proposal"])).status_code == 403
    factory.staff("admin", email="admin@opco.test")
    assert make_client("admin@opco.test").get(url(world["proposal"])).status_code == 403


def test_a_draft_is_not_shown_to_the_employer(world):
    draft = sent_proposal(world["cfa"], world["garage"], state=ProposalState.DRAFT,
                          **{"apprenti.nom": "BROUILLONNOM"})
    assert "BROUILLONNOM" not in page_text(world["employer"].get("/portail/"))
    assert world["employer"].get(url(draft)).status_code == 404


def test_accept_complete_and_transmit_make_a_received_dossier_with_the_data(world):
    client, proposal = world["employer"], world["proposal"]
    assert client.post_form(url(proposal, "accepter")).status_code == 302
    assert state(proposal) == ProposalState.UNDER_REVIEW
    told = models.Notification.select().where(models.Notification.user == world["author"].id)
    assert any("acceptée" in n.message for n in told)

    form = client.get(url(proposal, "completer?onglet=contrat"))
    assert form.status_code == 200 and "Date de conclusion" in page_text(form)
    # the employer corrects the conclusion date (typed jj/mm/aaaa) and the hiring pay
    response = client.post_form(url(proposal, "completer?onglet=contrat"), {
        **{k: v for k, v in proposal.data.items() if k.startswith("contrat.")},
        "contrat.dateConclusion": "25/08/2026", "contrat.salaireEmbauche": "800,00"})
    assert response.status_code == 302
    data = models.ContractProposal.get_by_id(proposal.id).data
    assert data["contrat.dateConclusion"] == "2026-08-25" and data["contrat.salaireEmbauche"] == "800.00"
    assert data["employeur.siret"] == world["garage"].siret
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "contract_proposal")
                                            & (models.AuditEntry.action == "employer_edit")).count() == 1

    response = client.post_form(url(proposal, "transmettre"))
    assert response.status_code == 302, page_text(response)
    proposal = models.ContractProposal.get_by_id(proposal.id)
    assert proposal.state == ProposalState.ACCEPTED
    dossier = proposal.dossier
    assert dossier.state == DossierState.RECEIVED and not dossier.under_mandate
    assert dossier.organisation_id == world["cfa"].id and dossier.employer_id == world["garage"].id
    assert dossier.apprentice.birth_name == "LEBLANC" and dossier.apprentice.first_name == "Inès"
    assert dossier.apprentice.birth_date == dt.date(2007, 3, 14) and dossier.apprentice.sex == "F"
    assert dossier.apprentice.nir == proposal.data["apprenti.nir"]
    assert dossier.apprentice_name == "LEBLANC Inès"
    assert (dossier.conclusion_date, dossier.contract_start, dossier.contract_end) == (
        dt.date(2026, 8, 25), dt.date(2026, 9, 1), dt.date(2028, 8, 31))
    assert (dossier.training_start, dossier.training_end, dossier.training_hours) == (
        dt.date(2026, 9, 7), dt.date(2028, 6, 30), 1350)
    assert (dossier.rncp_code, dossier.diploma_code, dossier.level) == ("RNCP35847", "32025215", 5)
    assert dossier.diploma_title == "BTS Maintenance des véhicules"
    assert dossier.deposit_date is not None
    page = page_text(client.get(url(proposal)))
    assert dossier.number in page and "Reçu" in page
    # the CFA sees the new dossier in its own list
    assert dossier.number in page_text(world["cfa_client"].get("/portail/dossiers"))


def test_an_unknown_employer_siret_creates_the_employer_at_transmission(world, factory):
    new_siret = factory.employer().siret
    models.Employer.delete().where(models.Employer.siret == new_siret).execute()
    world["garage"].siret  # the user stays the garage's
    proposal = sent_proposal(world["cfa"], world["garage"], state=ProposalState.UNDER_REVIEW)
    models.Employer.update(siret=new_siret).where(models.Employer.id == world["garage"].id).execute()
    models.ContractProposal.update(employer_siret=new_siret).where(models.ContractProposal.id == proposal.id).execute()
    data = dict(proposal.data, **{"employeur.siret": new_siret})
    models.ContractProposal.update(data=data).where(models.ContractProposal.id == proposal.id).execute()
    assert world["employer"].post_form(url(proposal, "transmettre")).status_code == 302
    dossier = models.ContractProposal.get_by_id(proposal.id).dossier
    assert dossier.employer.siret == new_siret


def test_transmission_refused_lists_what_is_missing_and_changes_nothing(world):
    proposal = sent_proposal(world["cfa"], world["garage"], state=ProposalState.UNDER_REVIEW,
                             **{"contrat.dateDebutContrat": "", "apprenti.nir": "123"})
    before = models.Dossier.select().count()
    response = world["employer"].post_form(url(proposal, "transmettre"))
    assert response.status_code == 400
    text = page_text(response)
    assert "date de début du contrat" in text and "NIR" in text
    assert models.Dossier.select().count() == before and state(proposal) == ProposalState.UNDER_REVIEW


def test_refusal_needs_a_reason_then_tells_the_cfa_and_leaves_the_space(world):
    client, proposal = world["employer"], world["proposal"]
    response = client.post_form(url(proposal, "refuser"), {"reason": "  "})
    assert response.status_code == 400 and "Indiquez le motif" in page_text(response)
    assert state(proposal) == ProposalState.SENT
    assert client.post_form(url(proposal, "refuser"), {"reason": "Poste pourvu en interne"}).status_code == 302
    assert state(proposal) == ProposalState.REFUSED_BY_EMPLOYER
    [step] = models.ProposalStep.select().where((models.ProposalStep.proposal == proposal.id)
                                                & (models.ProposalStep.state == ProposalState.REFUSED_BY_EMPLOYER))
    assert step.note == "Poste pourvu en interne"
    told = [n.message for n in models.Notification.select().where(models.Notification.user == world["author"].id)]
    assert any("refusée" in m and "Poste pourvu en interne" in m for m in told)
    mail = models.OutboxEmail.get(models.OutboxEmail.recipient == world["author"].email)
    assert "Poste pourvu en interne" in mail.body
    assert client.get(url(proposal)).status_code == 404  # seed 002: no longer in the employer's space
    assert models.Dossier.select().count() == 0


def test_completing_needs_the_acceptance_first(world):
    client, proposal = world["employer"], world["proposal"]
    response = client.post_form(url(proposal, "completer?onglet=employeur"), {"employeur.denomination": "Autre nom"})
    assert response.status_code == 302
    assert models.ContractProposal.get_by_id(proposal.id).data["employeur.denomination"] == "Garage Central"
    assert client.post_form(url(proposal, "transmettre")).status_code == 409
    assert client.get(url(proposal, "completer?onglet=apprenti")).status_code == 404


def test_a_proposal_transmitted_twice_makes_one_dossier(world):
    client, proposal = world["employer"], world["proposal"]
    client.post_form(url(proposal, "accepter"))
    first = client.post_form(url(proposal, "transmettre"))
    second = client.post_form(url(proposal, "transmettre"))
    assert first.status_code == 302 and second.status_code == 409
    assert "rechargez la page" in page_text(second)
    assert models.Dossier.select().count() == 1


def test_two_tabs_transmitting_at_once_make_one_dossier(world, app, make_client):
    proposal = world["proposal"]
    world["employer"].post_form(url(proposal, "accepter"))
    clients = [make_client("rh@garage.test") for _ in range(2)]
    tokens = [c.csrf_token() for c in clients]
    barrier, statuses = threading.Barrier(2), []

    def post(client, token):
        barrier.wait()
        statuses.append(client.post(url(proposal, "transmettre"), data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 409]
    assert models.Dossier.select().count() == 1
    assert models.ContractProposal.get_by_id(proposal.id).dossier_id is not None


def test_mandate_path_the_cfa_transmits_directly_with_the_attestation(world):
    cfa, proposal = world["cfa_client"], world["proposal"]
    page = f"/portail/propositions/{proposal.id}/mandat"
    assert cfa.get(page).status_code == 200
    # without a mandate the CFA cannot transmit
    response = cfa.post_form(f"/portail/propositions/{proposal.id}/transmettre-opco")
    assert response.status_code == 400 and "mandat" in page_text(response)
    # a fake PDF is refused
    import io
    response = cfa.post_form(page, {"document": (io.BytesIO(b"<html>pas un pdf</html>"), "mandat.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 400 and "PDF" in page_text(response)
    response = cfa.post_form(page, {"document": (io.BytesIO(make_pdf("Mandat")), "mandat-signe.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = models.ContractProposal.get_by_id(proposal.id)
    assert proposal.mandate_document_id and proposal.data["attestation.mandatGestion"] == "oui"
    response = cfa.post_form(f"/portail/propositions/{proposal.id}/transmettre-opco")
    assert response.status_code == 302, page_text(response)
    proposal = models.ContractProposal.get_by_id(proposal.id)
    assert proposal.state == ProposalState.ACCEPTED
    dossier = proposal.dossier
    assert dossier.state == DossierState.RECEIVED and dossier.under_mandate
    assert models.Document.get_by_id(proposal.mandate_document_id).dossier_id == dossier.id
    assert cfa.post_form(f"/portail/propositions/{proposal.id}/transmettre-opco").status_code == 409
    assert models.Dossier.select().count() == 1


def test_the_mandate_pages_are_the_proposing_cfas_only(world, factory, make_client):
    rival = factory.organisation(name="CFA Nord")
    factory.cfa_user(rival, email="admin@cfa-nord.test")
    client = make_client("admin@cfa-nord.test")
    proposal = world["proposal"]
    assert client.get(f"/portail/propositions/{proposal.id}/mandat").status_code == 404
    assert client.post_form(f"/portail/propositions/{proposal.id}/transmettre-opco").status_code == 404
    assert world["employer"].get(f"/portail/propositions/{proposal.id}/mandat").status_code == 403


def test_the_dossier_takes_the_referentials_npec_when_the_cfa_typed_none(world):
    models.IdccCpne.create(idcc="1090", cpne_code="0115", cpne_label="CPNE des services automobiles")
    models.NpecReference.create(rncp_code="RNCP35847", cpne_code="0115", npec="8100.00",
                                applicable_from=dt.date(2025, 9, 1))
    models.Employer.update(idcc="1090").where(models.Employer.id == world["garage"].id).execute()
    proposal = sent_proposal(world["cfa"], world["garage"], state=ProposalState.UNDER_REVIEW)
    assert world["employer"].post_form(url(proposal, "transmettre")).status_code == 302
    dossier = models.ContractProposal.get_by_id(proposal.id).dossier
    assert str(dossier.npec) == "8100.00"
