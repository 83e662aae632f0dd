"""The demo's contract proposals: every state a screen can produce, for the two demo employers, played through the
workflows (« Transmis par API CFA » comes with the JSON API, not built yet)."""
import html

import models
from models.states import DossierState, ProposalState

DEMO_EMPLOYERS = ("rh@garage-central.test", "rh@clinique-des-lilas.test")


def test_the_demo_has_proposals_in_every_state_for_the_demo_employers(demo):
    states = {p.state for p in models.ContractProposal.select()}
    assert states == {s.value for s in ProposalState} - {ProposalState.FROM_API.value}
    for email in DEMO_EMPLOYERS:
        siret = models.User.get(models.User.email == email).employer.siret
        mine = {p.state for p in models.ContractProposal.select().where(models.ContractProposal.employer_siret == siret)}
        assert {ProposalState.DRAFT, ProposalState.SENT, ProposalState.UNDER_REVIEW, ProposalState.ACCEPTED,
                ProposalState.REFUSED_BY_EMPLOYER} <= mine, email


def test_each_transmitted_demo_proposal_made_one_received_dossier_one_under_mandate(demo):
    accepted = list(models.ContractProposal.select().where(models.ContractProposal.state == ProposalState.ACCEPTED))
    assert accepted and all(p.dossier_id for p in accepted)
    dossiers = [p.dossier for p in accepted]
    assert all(d.state == DossierState.RECEIVED for d in dossiers)
    assert sum(d.under_mandate for d in dossiers) == 1
    mandated = next(p for p in accepted if p.dossier.under_mandate)
    assert models.Document.get_by_id(mandated.mandate_document_id).dossier_id == mandated.dossier_id
    for proposal in models.ContractProposal.select():
        assert models.ProposalStep.select().where(models.ProposalStep.proposal == proposal.id).exists()


def test_the_demo_employers_see_their_proposals_on_their_home(demo, make_client):
    for email in DEMO_EMPLOYERS:
        client = make_client(email)
        page = html.unescape(client.get("/portail/").get_data(as_text=True))
        assert "En cours d'examen par l'entreprise" in page and "Accepté (dossier créé)" in page, email
        assert "En cours de saisie" not in page and "Refusé par l'entreprise" not in page
