"""The Documents tab of a proposal through the real URLs: a CFA joins checked PDFs, lists, downloads and removes
them until the employer accepts; the employer downloads them once the proposal is sent; another CFA or employer
gets 404; each upload and removal is audited; at transmission the pieces go to the new dossier."""
import html
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from models.states import ProposalState
from tests.factories import make_pdf
from tests.portal.proposals_data import sent_proposal
from tests.portal.test_fuzz_forms import odd_text

PDF = make_pdf("Convention de formation signée")


@pytest.fixture
def world(factory, make_client):
    models.settings.seed_smic_rates()
    cfa = factory.organisation(name="CFA Sud")
    author = factory.cfa_user(cfa, email="admin@cfa-sud.test", first_name="Camille", last_name="Martin")
    rival_cfa = factory.organisation(name="CFA Nord")
    factory.cfa_user(rival_cfa, email="admin@cfa-nord.test")
    garage = factory.employer(name="Garage Central")
    clinic = factory.employer(name="Clinique des Lilas")
    factory.employer_user(garage, email="rh@garage.test")
    factory.employer_user(clinic, email="rh@clinique.test")
    draft = sent_proposal(cfa, garage, state=ProposalState.DRAFT, author=author,
                          **{"contrat.salaireEmbauche": "800.00"})
    return dict(cfa=cfa, author=author, garage=garage, draft=draft, client=make_client("admin@cfa-sud.test"),
                rival=make_client("admin@cfa-nord.test"), employer=make_client("rh@garage.test"),
                other_employer=make_client("rh@clinique.test"))


def base(proposal):
    return f"/portail/propositions/{proposal.id}/documents"


def upload(client, proposal, doc_type="convention", data=PDF, name="convention signée.pdf"):
    return client.post_form(base(proposal), {"doc_type": doc_type, "file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")


def text(response):
    return html.unescape(response.get_data(as_text=True))


def tab(client, proposal):
    return client.get(f"/portail/propositions/{proposal.id}/saisie?onglet=documents")


def audit(action):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == "document")
                                                 & (models.AuditEntry.action == action)))


def set_state(proposal, state):
    models.ContractProposal.update(state=state).where(models.ContractProposal.id == proposal.id).execute()


def test_a_pdf_uploaded_on_the_documents_tab_is_listed_with_type_name_size_date_and_author(world):
    response = upload(world["client"], world["draft"])
    assert response.status_code == 302 and response.headers["Location"].endswith("onglet=documents")
    document = models.Document.get()
    assert (document.proposal_id, document.dossier_id, document.organisation_id) == (
        world["draft"].id, None, world["cfa"].id)
    assert (document.doc_type, document.original_name, document.size) == ("convention", "convention signée.pdf",
                                                                          len(PDF))
    page = text(tab(world["client"], world["draft"]))
    assert "Convention de formation" in page and "convention signée.pdf" in page
    assert "Camille Martin" in page and document.uploaded_at.strftime("%d/%m/%Y") in page and "Ko" in page
    deposits = audit("deposit")
    assert len(deposits) == 1 and deposits[0].entity_id == str(document.id) and deposits[0].user_id == world["author"].id


def test_each_type_of_the_short_list_is_accepted_with_its_french_label(world):
    for code, label in [("piece_identite", "Pièce d'identité de l'apprenti"),
                        ("autorisation", "Autorisation du représentant légal"),
                        ("derogation", "Dérogation / justificatif RQTH"), ("autre", "Autre")]:
        assert upload(world["client"], world["draft"], doc_type=code).status_code == 302
        assert label in text(tab(world["client"], world["draft"]))
    assert models.Document.select().count() == 4


def test_a_non_pdf_named_pdf_is_refused_in_french_and_the_type_is_redisplayed(world):
    response = upload(world["client"], world["draft"], doc_type="autorisation",
                      data=b"<html><script>alert(1)</script></html>", name="autorisation.pdf")
    assert response.status_code == 400
    page = text(response)
    assert "n'est pas un PDF" in page
    assert '<option value="autorisation" selected>' in page
    assert models.Document.select().count() == 0 and audit("deposit") == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(world, app):
    app.config["MAX_UPLOAD_BYTES"] = len(PDF) - 1
    response = upload(world["client"], world["draft"])
    assert response.status_code == 413 and "dépasse la taille maximale" in text(response)
    assert models.Document.select().count() == 0


def test_a_missing_type_or_file_is_refused_in_french(world):
    response = upload(world["client"], world["draft"], doc_type="")
    assert response.status_code == 400 and "Choisissez le type du document" in text(response)
    response = world["client"].post_form(base(world["draft"]), {"doc_type": "convention"},
                                         content_type="multipart/form-data")
    assert response.status_code == 400 and "Le document est manquant" in text(response)
    assert upload(world["client"], world["draft"], doc_type="facture").status_code == 400  # not of the short list
    assert models.Document.select().count() == 0


def test_the_cfa_downloads_its_document_as_an_attachment_and_the_download_is_logged(world):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    response = world["client"].get(f"{base(world['draft'])}/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(audit("download")) == 1


def test_another_cfa_and_employers_get_404(world):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    assert world["rival"].get(f"{base(world['draft'])}/{document.id}").status_code == 404
    assert upload(world["rival"], world["draft"]).status_code == 404
    assert world["rival"].post_form(f"{base(world['draft'])}/{document.id}/retirer").status_code == 404
    employer_url = f"/portail/entreprise/propositions/{world['draft'].id}/documents/{document.id}"
    assert world["employer"].get(employer_url).status_code == 404  # a draft is not the employer's yet
    set_state(world["draft"], ProposalState.SENT)
    assert world["other_employer"].get(employer_url).status_code == 404
    # a document of another proposal under this proposal's URL
    other = sent_proposal(world["cfa"], world["garage"], author=world["author"])
    assert world["client"].get(f"{base(other)}/{document.id}").status_code == 404
    assert world["employer"].get(f"/portail/entreprise/propositions/{other.id}/documents/{document.id}"
                                 ).status_code == 404
    assert models.Document.select().count() == 1


def test_a_user_of_the_cfa_without_the_contracts_right_cannot_fetch_a_proposal_document(world, factory, make_client):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    factory.cfa_user(world["cfa"], role="gestionnaire_of", rights=["right_stock"], email="stock@cfa-sud.test")
    client = make_client("stock@cfa-sud.test")
    assert client.get(f"/portail/documents/{document.id}").status_code == 404
    assert client.get(f"{base(world['draft'])}/{document.id}").status_code in (403, 404)
    assert world["client"].get(f"/portail/documents/{document.id}").status_code == 200


def test_the_employer_sees_and_downloads_the_documents_once_the_proposal_is_sent(world):
    upload(world["client"], world["draft"], name="convention-garage.pdf")
    document = models.Document.get()
    set_state(world["draft"], ProposalState.SENT)
    page = text(world["employer"].get(f"/portail/entreprise/propositions/{world['draft'].id}"))
    assert "convention-garage.pdf" in page and "Convention de formation" in page
    response = world["employer"].get(f"/portail/entreprise/propositions/{world['draft'].id}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_removal_while_draft_or_sent_is_audited(world):
    upload(world["client"], world["draft"])
    upload(world["client"], world["draft"], name="second.pdf")
    first, second = list(models.Document.select().order_by(models.Document.id))
    assert world["client"].post_form(f"{base(world['draft'])}/{first.id}/retirer").status_code == 302
    set_state(world["draft"], ProposalState.SENT)
    assert world["client"].post_form(f"{base(world['draft'])}/{second.id}/retirer").status_code == 302
    assert models.Document.select().count() == 0
    removals = audit("delete")
    assert sorted(int(e.entity_id) for e in removals) == [first.id, second.id]
    assert all(e.user_id == world["author"].id for e in removals)


def test_no_removal_nor_upload_once_the_employer_accepted(world):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    set_state(world["draft"], ProposalState.UNDER_REVIEW)
    response = world["client"].post_form(f"{base(world['draft'])}/{document.id}/retirer")
    assert response.status_code == 409 and "ne peut plus être retiré" in text(response)
    assert "Retirer</button>" not in text(tab(world["client"], world["draft"]))
    response = upload(world["client"], world["draft"], name="tardif.pdf")
    assert response.status_code == 409 and "n'est plus modifiable" in text(response)
    assert models.Document.select().count() == 1 and audit("delete") == []


def test_removal_without_csrf_token_is_refused(world):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    response = world["client"].client.post(f"{base(world['draft'])}/{document.id}/retirer")
    assert response.status_code == 400 and models.Document.select().count() == 1


def test_deleting_a_draft_removes_its_documents_with_an_audit_entry(world):
    upload(world["client"], world["draft"])
    document = models.Document.get()
    response = world["client"].post_form(f"/portail/propositions/{world['draft'].id}/supprimer")
    assert response.status_code == 302
    assert models.ContractProposal.select().count() == 0 and models.Document.select().count() == 0
    assert [int(e.entity_id) for e in audit("delete")] == [document.id]


def test_transmission_attaches_the_documents_to_the_new_dossier(world):
    upload(world["client"], world["draft"], name="convention-finale.pdf")
    document = models.Document.get()
    set_state(world["draft"], ProposalState.SENT)
    employer = world["employer"]
    proposal_url = f"/portail/entreprise/propositions/{world['draft'].id}"
    assert employer.post_form(f"{proposal_url}/accepter").status_code == 302
    response = employer.post_form(f"{proposal_url}/transmettre")
    assert response.status_code == 302, text(response)
    dossier = models.ContractProposal.get_by_id(world["draft"].id).dossier
    assert dossier is not None
    assert models.Document.get_by_id(document.id).dossier_id == dossier.id
    page = text(world["client"].get(f"/portail/dossiers/{dossier.number}"))
    assert "convention-finale.pdf" in page
    # part of a dossier now: never removed
    response = world["client"].post_form(f"{base(world['draft'])}/{document.id}/retirer")
    assert response.status_code == 409 and models.Document.get_by_id(document.id).dossier_id == dossier.id


FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
contents = st.one_of(st.just(PDF), st.binary(max_size=300), st.just(b"%PDF-1.4 garbage"),
                     st.just(b"%PDF-1.4\n<html><script>x</script>"))


def test_fuzzing_the_upload_form_never_fails(world):
    client, proposal = world["client"], world["draft"]

    @FUZZ
    @given(doc_type=st.one_of(st.sampled_from(["convention", "piece_identite", "autre", "facture", ""]), odd_text),
           data=contents, name=st.one_of(odd_text, st.just("piece.pdf")), with_file=st.booleans())
    def run(doc_type, data, name, with_file):
        before = models.Document.select().count()
        body = {"doc_type": doc_type}
        if with_file:
            body["file"] = (io.BytesIO(data), name)
        response = client.post_form(base(proposal), body, content_type="multipart/form-data")
        assert response.status_code in (302, 400, 413), response.status_code
        after = models.Document.select().count()
        assert after == before + (1 if response.status_code == 302 else 0)

    run()
