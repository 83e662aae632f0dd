"""Each CERFA tab's POST fuzzed with Hypothesis (200 examples each): never a 5xx; a refused POST writes nothing,
an accepted one keeps a draft minimum and only catalogue keys in the proposal's data."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from models.settings import seed_smic_rates
from rules import cerfa_fields as fields
from rules.cerfa import check_draft_minimum
from tests.portal.test_fuzz_forms import dateish, numberish, odd_text
from tests.proposal_data import EMPLOYER_SIRET

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def value_for(spec):
    if spec.kind == "date":
        return dateish
    if spec.kind in ("int", "decimal", "percent"):
        return numberish
    if spec.kind == "choice":
        return st.one_of(st.sampled_from([code for code, _ in spec.choices]), odd_text)
    if spec.kind == "bool":
        return st.sampled_from(["y", "", "on", "non", "\x00"])
    return st.one_of(odd_text, st.sampled_from(["", EMPLOYER_SIRET, "0751234J", "RNCP35823", "1" * 300]))


def body_for(specs):
    return st.fixed_dictionaries({}, optional={spec.key.replace(".", "__"): value_for(spec) for spec in specs})


@pytest.fixture
def draft(factory, make_client):
    seed_smic_rates()
    org = factory.organisation(name="CFA Fuzz")
    user = factory.cfa_user(org, email="fuzz@cfa.test")
    client = make_client(user.email)
    response = client.post_form("/portail/propositions/nouvelle", {"employeur__siret": EMPLOYER_SIRET})
    assert response.status_code == 302
    return client, models.ContractProposal.select().get()


@pytest.mark.parametrize("tab", fields.TAB_KEYS)
def test_fuzzing_a_tab_never_fails_and_keeps_a_sound_draft(draft, tab):
    client, proposal = draft

    @FUZZ
    @given(body_for(fields.fields_of(tab)))
    def run(body):
        before = models.ContractProposal.get_by_id(proposal.id).data
        response = client.post_form(f"/portail/propositions/{proposal.id}/saisie?onglet={tab}", body)
        assert response.status_code in (302, 400), response.status_code
        after = models.ContractProposal.get_by_id(proposal.id).data
        if response.status_code == 400:
            assert after == before
        assert set(after) <= set(fields.FIELDS_BY_KEY)
        assert check_draft_minimum(after) == {}
        assert client.get(f"/portail/propositions/{proposal.id}/saisie?onglet={tab}").status_code == 200
        assert client.get(f"/portail/propositions/{proposal.id}").status_code == 200

    run()


def test_fuzzing_the_first_screen_creates_only_sound_drafts(draft):
    client, _ = draft
    specs = [fields.FIELDS_BY_KEY[k] for k in ("employeur.siret", "employeur.denomination", "apprenti.nom",
                                               "apprenti.prenom")]

    @FUZZ
    @given(body_for(specs))
    def run(body):
        count = models.ContractProposal.select().count()
        response = client.post_form("/portail/propositions/nouvelle", body)
        assert response.status_code in (302, 400), response.status_code
        assert models.ContractProposal.select().count() == count + (response.status_code == 302)

    run()


def test_fuzzing_the_list_filters_never_fails(draft):
    client, _ = draft

    @FUZZ
    @given(st.fixed_dictionaries({}, optional={"onglet": odd_text, "etat": odd_text, "q": odd_text,
                                               "page": numberish}))
    def run(args):
        assert client.get("/portail/propositions", query_string=args).status_code in (200, 400)  # NUL: 400 app-wide

    run()
