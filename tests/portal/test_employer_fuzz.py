"""Every POST form of the employer space and of the mandate path fuzzed with Hypothesis (200 examples each):
odd strings, bad dates and numbers, fake files. Never a 5xx; a refused request writes nothing."""
import io

import pytest
from hypothesis import given, strategies as st

import models
from models.states import ProposalState
from rules.cerfa_fields import fields_of
from tests.portal.proposals_data import sent_proposal
from tests.portal.test_fuzz_forms import FUZZ, PDF, dateish, fileish, numberish, odd_text, table_counts

EMPLOYER_TABS = ("employeur", "contrat", "attestation")


def value_for(field):
    if field.kind == "date":
        return dateish
    if field.kind in ("int", "decimal", "percent"):
        return numberish
    if field.kind == "choice":
        return st.one_of(st.sampled_from([code for code, _ in field.choices] or [""]), odd_text)
    if field.kind == "bool":
        return st.sampled_from(["oui", "non", "", "on", "y", "peut-être"])
    return st.one_of(odd_text, st.text(max_size=400))


def tab_form(tab):
    return st.fixed_dictionaries({}, optional={f.key: value_for(f) for f in fields_of(tab)})


@pytest.fixture
def space(factory, make_client):
    cfa = factory.organisation(name="CFA Sud")
    author = factory.cfa_user(cfa, email="admin@cfa-sud.test")
    employer = factory.employer(name="Garage Central")
    factory.employer_user(employer, email="rh@garage.test")
    return dict(cfa=cfa, author=author, employer=employer, client=make_client("rh@garage.test"),
                cfa_client=make_client("admin@cfa-sud.test"))


def fresh(space, state=ProposalState.SENT):
    return sent_proposal(space["cfa"], space["employer"], state=state, author=space["author"])


def base(proposal):
    return f"/portail/entreprise/propositions/{proposal.id}"


@FUZZ
@given(tab=st.sampled_from(EMPLOYER_TABS), form=st.data())
def test_fuzz_completing_a_tab_then_transmitting_never_fails(space, tab, form):
    client = space["client"]
    proposal = fresh(space, ProposalState.UNDER_REVIEW)
    body = form.draw(tab_form(tab))
    response = client.post_form(f"{base(proposal)}/completer?onglet={tab}", body)
    assert response.status_code in (302, 400), response.status_code
    assert client.get(f"{base(proposal)}/completer?onglet={tab}").status_code == 200
    assert client.get(base(proposal)).status_code == 200
    before = models.Dossier.select().count()
    response = client.post_form(f"{base(proposal)}/transmettre")
    assert response.status_code in (302, 400), response.status_code
    created = models.Dossier.select().count() - before
    assert created == (1 if response.status_code == 302 else 0)
    assert models.ContractProposal.get_by_id(proposal.id).data["employeur.siret"] == space["employer"].siret


@FUZZ
@given(reason=st.one_of(odd_text, st.text(max_size=2100), st.sampled_from(["", " ", "\x00", "Motif"])))
def test_fuzz_refusal_reason(space, reason):
    proposal = fresh(space)
    before = table_counts()
    response = space["client"].post_form(f"{base(proposal)}/refuser", {"reason": reason})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert table_counts() == before
        assert models.ContractProposal.get_by_id(proposal.id).state == ProposalState.SENT
    else:
        assert models.ContractProposal.get_by_id(proposal.id).state == ProposalState.REFUSED_BY_EMPLOYER


@FUZZ
@given(action=st.sampled_from(["accepter", "transmettre"]), token=st.one_of(st.none(), odd_text),
       state=st.sampled_from(list(ProposalState)))
def test_fuzz_decision_posts_in_any_state(space, action, token, state):
    proposal = fresh(space, state)
    data = {} if token is None else {"csrf_token": token}
    response = space["client"].post_form(f"{base(proposal)}/{action}", data)
    assert response.status_code < 500
    if token is None and state in (ProposalState.DRAFT, ProposalState.REFUSED_BY_EMPLOYER):
        assert response.status_code == 404  # not in the employer's space
    if token is not None:
        assert response.status_code == 400  # the token is checked first
        assert models.ContractProposal.get_by_id(proposal.id).state == state


@FUZZ
@given(content=fileish, name=st.one_of(odd_text, st.just("mandat.pdf")))
def test_fuzz_mandate_upload(space, content, name):
    proposal = fresh(space)
    data = {} if content is None else {"document": (io.BytesIO(content), name or "x")}
    before = models.Document.select().count()
    response = space["cfa_client"].post_form(f"/portail/propositions/{proposal.id}/mandat", data,
                                             content_type="multipart/form-data")
    assert response.status_code in (302, 400, 413), response.status_code
    stored = models.Document.select().count() - before
    assert stored == (1 if response.status_code == 302 else 0)


@FUZZ
@given(state=st.sampled_from(list(ProposalState)), mandate=st.booleans(), token=st.one_of(st.none(), odd_text))
def test_fuzz_transmission_under_mandate(space, state, mandate, token):
    proposal = fresh(space, state)
    if mandate:
        doc = models.Document.create(organisation=space["cfa"], doc_type="mandat", original_name="m.pdf",
                                     stored_name=f"m-{proposal.id}.pdf", size=len(PDF), sha256="0" * 64)
        models.ContractProposal.update(mandate_document_id=doc.id).where(
            models.ContractProposal.id == proposal.id).execute()
    data = {} if token is None else {"csrf_token": token}
    before = models.Dossier.select().count()
    response = space["cfa_client"].post_form(f"/portail/propositions/{proposal.id}/transmettre-opco", data)
    assert response.status_code in (302, 400, 409), response.status_code
    assert models.Dossier.select().count() - before == (1 if response.status_code == 302 else 0)
