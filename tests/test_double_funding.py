"""Double funding (issue 12, item 8): the pure rule, the indexed search, and what the CFA and the conseiller see."""
import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from access.scope import scope_for_user
from rules.double_funding import (SAME_IDENTITY, SAME_NIR, ContractFacts, double_funding, identity_key,
                                  normalise_name, periods_overlap)
from tests.factories import make_nir
from workflows.double_funding import dossier_duplicates, possible_duplicates

D = dt.date
NIR = make_nir(77, sex="2")


def facts(nir="", last="DUPONT", first="Léa", born=D(2004, 5, 12), start=D(2025, 9, 1), end=D(2027, 8, 31)):
    return ContractFacts(nir=nir, last_name=last, first_name=first, birth_date=born, start=start, end=end)


CASES = [
    # (a, b, expected reason)
    (facts(nir=NIR), facts(nir=NIR, last="MARTIN", first="Zoé", born=D(1999, 1, 1)), SAME_NIR),
    (facts(nir=NIR), facts(nir=NIR[:13], last="MARTIN"), SAME_NIR),  # key missing on one side
    (facts(nir=" ".join([NIR[:1], NIR[1:3], NIR[3:]])), facts(nir=NIR), SAME_NIR),  # spaces typed
    (facts(), facts(last="Dupont", first="LEA"), SAME_IDENTITY),
    (facts(last="Dupont-Moreau", first="Léa"), facts(last="DUPONT MOREAU", first="lea"), SAME_IDENTITY),
    (facts(nir=NIR), facts(nir=make_nir(78, sex="2")), SAME_IDENTITY),  # NIR mistyped: the identity matches
    (facts(), facts(first="Léo"), ""),  # twins: another first name
    (facts(), facts(born=D(2004, 5, 13)), ""),
    (facts(), facts(start=D(2027, 9, 1), end=D(2029, 8, 31)), ""),  # the day after: no overlap
    (facts(), facts(start=D(2027, 8, 31), end=D(2029, 8, 31)), SAME_IDENTITY),  # one common day
    (facts(), facts(start=D(2023, 9, 1), end=D(2025, 8, 31)), ""),  # ended the day before
    (facts(end=None), facts(start=D(2030, 1, 1), end=D(2031, 1, 1)), SAME_IDENTITY),  # no end: runs on
    (facts(start=None), facts(), ""),  # no start: nothing to compare
    (facts(last="", first=""), facts(last="", first=""), ""),  # no identity at all
]


@pytest.mark.parametrize("a,b,expected", CASES)
def test_double_funding_rule(a, b, expected):
    assert double_funding(a, b) == expected
    assert double_funding(b, a) == expected


def test_names_are_compared_without_accents_case_or_punctuation():
    assert normalise_name("  Élodie-Anne d'Arc ") == "ELODIE ANNE D ARC"
    assert identity_key("Dupont", "Léa", "2004-05-12") == identity_key("DUPONT", "lea", D(2004, 5, 12))
    assert identity_key("Dupont", "", D(2004, 5, 12)) == ""


dates = st.dates(min_value=D(2015, 1, 1), max_value=D(2035, 12, 31))
names = st.sampled_from(["Dupont", "DUPONT", "Martin", "Léa", "Lea", "Zoé"])


@st.composite
def contracts(draw):
    start = draw(dates)
    end = draw(st.one_of(st.none(), dates.filter(lambda d: d >= start)))
    nir = draw(st.sampled_from(["", NIR, NIR[:13], make_nir(78, sex="2")]))
    return ContractFacts(nir=nir, last_name=draw(names), first_name=draw(names),
                         birth_date=draw(st.sampled_from([D(2004, 5, 12), D(2005, 1, 1)])), start=start, end=end)


@settings(max_examples=300, deadline=None)
@given(contracts(), contracts())
def test_the_rule_is_symmetric_and_never_flags_periods_that_do_not_overlap(a, b):
    assert double_funding(a, b) == double_funding(b, a)
    if not periods_overlap(a, b):
        assert double_funding(a, b) == ""
    if a.end is not None and b.start > a.end:
        assert double_funding(a, b) == ""


# --- the indexed search, through the database ----------------------------------------------------------------

def _proposal_data(**overrides):
    data = {"apprenti.nom": "Dupont", "apprenti.prenom": "Léa", "apprenti.dateNaissance": "2004-05-12",
            "apprenti.nir": "", "contrat.dateDebutContrat": "2026-09-01", "contrat.dateFinContrat": "2028-08-31"}
    data.update(overrides)
    return data


@pytest.fixture
def lea(factory):
    """A dossier of Léa DUPONT at CFA Sud, 01/09/2025 – 31/08/2027."""
    sud = factory.organisation(name="CFA Sud")
    apprentice = factory.apprentice(birth_name="Dupont", first_name="Léa", birth_date=D(2004, 5, 12), nir=NIR)
    dossier = factory.dossier(organisation=sud, apprentice=apprentice, contract_start=D(2025, 9, 1),
                              contract_end=D(2027, 8, 31))
    return sud, dossier


def test_a_proposal_overlapping_a_dossier_of_the_same_apprentice_is_found(lea):
    sud, dossier = lea
    found = possible_duplicates(_proposal_data(**{"apprenti.nom": "DUPONT", "apprenti.prenom": "lea"}))
    assert [(d.number, d.reason, d.start, d.end) for d in found] == [
        (dossier.number, SAME_IDENTITY, D(2025, 9, 1), D(2027, 8, 31))]
    by_nir = possible_duplicates(_proposal_data(**{"apprenti.nom": "Autre", "apprenti.nir": NIR}))
    assert [d.reason for d in by_nir] == [SAME_NIR]


def test_no_overlap_a_closed_dossier_or_a_broken_contract_is_no_duplicate(factory, lea):
    sud, dossier = lea
    assert possible_duplicates(_proposal_data(**{"contrat.dateDebutContrat": "2027-09-01"})) == []
    assert possible_duplicates(_proposal_data(**{"apprenti.prenom": "Léo"})) == []
    dossier.rupture_date = D(2026, 6, 30)
    dossier.save()
    assert possible_duplicates(_proposal_data()) == []  # broken before the new contract starts
    dossier.rupture_date = None
    dossier.state = "annule"
    dossier.save()
    assert possible_duplicates(_proposal_data()) == []


def test_a_cfa_is_warned_without_seeing_another_cfas_dossier(factory, lea):
    sud, dossier = lea
    nord = factory.organisation(name="CFA Nord")
    nord_user = factory.cfa_user(nord)
    sud_user = factory.cfa_user(sud)
    (hidden,) = possible_duplicates(_proposal_data(), scope=scope_for_user(nord_user))
    assert not hidden.visible and hidden.number is None and hidden.apprentice_name is None
    assert hidden.organisation_name is None and hidden.start == D(2025, 9, 1)
    (shown,) = possible_duplicates(_proposal_data(), scope=scope_for_user(sud_user))
    assert shown.visible and shown.number == dossier.number


def test_the_dossier_a_proposal_became_is_not_its_own_duplicate(lea):
    sud, dossier = lea
    assert possible_duplicates(_proposal_data(), exclude_dossier_id=dossier.id) == []


# --- the conseiller: badge on the dossier page, list filter ------------------------------------------------------

@pytest.fixture
def two_dossiers(factory, lea):
    """Léa funded twice: at CFA Sud (lea) and again at CFA Nord (typed 'DUPONT Lea', no NIR), overlapping."""
    sud, first = lea
    nord = factory.organisation(name="CFA Nord")
    again = factory.apprentice(birth_name="DUPONT", first_name="Lea", birth_date=D(2004, 5, 12), nir="")
    second = factory.dossier(organisation=nord, apprentice=again, contract_start=D(2026, 9, 1),
                             contract_end=D(2028, 8, 31))
    alone = factory.dossier(organisation=nord)
    return first, second, alone


def _duplicate_filter_index(app):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "dossier")
    return next(i for i, f in enumerate(view._filters) if str(f.name) == "Doublon possible")


def test_the_conseiller_sees_a_badge_and_the_other_dossier(factory, make_client, two_dossiers):
    first, second, alone = two_dossiers
    staff = make_client(factory.staff("conseiller").email)
    page = staff.get(f"/admin/dossier/details/?id={first.id}").get_data(as_text=True)
    assert "Doublon possible" in page and 'id="duplicate-badge"' in page
    assert second.number in page and "CFA Nord" in page and "mêmes nom, prénom et date de naissance" in page
    assert duplicates(dossier_duplicates(second)) == [first.number]
    quiet = staff.get(f"/admin/dossier/details/?id={alone.id}").get_data(as_text=True)
    assert 'id="duplicate-badge"' not in quiet


def duplicates(found):
    return [d.number for d in found]


def test_the_list_filter_keeps_only_possible_duplicates(app, factory, make_client, two_dossiers):
    first, second, alone = two_dossiers
    staff = make_client(factory.staff("conseiller").email)
    index = _duplicate_filter_index(app)
    page = staff.get(f"/admin/dossier/?flt0_{index}=1").get_data(as_text=True)
    numbers = set(re.findall(r"\b20\d{8}\b", page))
    assert {first.number, second.number} <= numbers and alone.number not in numbers
    unfiltered = staff.get("/admin/dossier/").get_data(as_text=True)
    assert alone.number in unfiltered
    assert "Doublon possible" in unfiltered  # offered among the filters


def test_the_filter_follows_the_nir_and_ignores_closed_dossiers(app, factory, make_client, lea):
    sud, first = lea
    other = factory.apprentice(birth_name="AUTRE", first_name="Nom", nir=NIR)
    twin = factory.dossier(organisation=sud, apprentice=other, contract_start=D(2026, 1, 1),
                           contract_end=D(2026, 12, 31))
    staff = make_client(factory.staff("conseiller").email)
    index = _duplicate_filter_index(app)
    page = staff.get(f"/admin/dossier/?flt0_{index}=1").get_data(as_text=True)
    assert first.number in page and twin.number in page
    twin.state = "refuse"
    twin.save()
    page = staff.get(f"/admin/dossier/?flt0_{index}=1").get_data(as_text=True)
    assert first.number not in page and twin.number not in page


def test_the_include_warns_the_cfa_and_hides_another_cfas_dossier(app, factory, lea):
    from flask import render_template

    sud, dossier = lea
    nord_user = factory.cfa_user(factory.organisation(name="CFA Nord"))
    with app.test_request_context():
        found = possible_duplicates(_proposal_data(), scope=scope_for_user(nord_user))
        html = render_template("portal/proposals/_duplicates.html", duplicates=found)
        assert "Doublon possible" in html and "Un dossier d'un autre organisme" in html
        assert "01/09/2025" in html and "31/08/2027" in html and dossier.number not in html
        assert render_template("portal/proposals/_duplicates.html", duplicates=[]).strip() == ""
        own = possible_duplicates(_proposal_data(), scope=scope_for_user(factory.cfa_user(sud)))
        html = render_template("portal/proposals/_duplicates.html", duplicates=own)
        assert dossier.number in html and "DUPONT" in html


def test_the_migration_step_indexes_and_fills_the_identity_keys_of_existing_apprentices(db, factory):
    import models
    from models import migrations

    apprentice = factory.apprentice(birth_name="Élise", first_name="Marie-Anne", birth_date=D(2003, 2, 1))
    models.Apprentice.update(identity_key="").where(models.Apprentice.id == apprentice.id).execute()
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0008_apprentice_identity_indexes)
    models.SchemaVersion.update(version=before).execute()
    try:
        migrations.migrate_schema()
    finally:
        models.SchemaVersion.update(version=version).execute()
    assert models.Apprentice.get_by_id(apprentice.id).identity_key == "ELISE|MARIE ANNE|2003-02-01"
    indexed = {index.name for index in db.get_indexes("apprentice")}
    assert {"apprentice_nir", "apprentice_identity_key"} <= indexed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["apprenti.nom", "apprenti.prenom", "apprenti.dateNaissance", "apprenti.nir",
                                        "contrat.dateDebutContrat", "contrat.dateFinContrat"]),
                       st.one_of(st.text(max_size=30), st.integers(), st.none(),
                                 st.dates().map(lambda d: d.isoformat()))))
def test_any_proposal_data_gives_a_list_never_an_error(db, data):
    """Whatever a draft holds (the search reads nothing but the database)."""
    assert isinstance(possible_duplicates(data), list)


def test_the_cfa_is_warned_on_the_proposal_page_before_sending(factory, make_client, lea):
    import models

    sud, dossier = lea
    nord = factory.organisation(name="CFA Nord")
    user = factory.cfa_user(nord)
    proposal = models.ContractProposal.create(
        organisation=nord, employer_name="Garage", apprentice_last_name="DUPONT", apprentice_first_name="Léa",
        data=_proposal_data(**{"employeur.denomination": "Garage"}))
    page = make_client(user.email).get(f"/portail/propositions/{proposal.id}").get_data(as_text=True)
    assert 'id="duplicates"' in page and "Doublon possible" in page and "01/09/2025" in page
    assert dossier.number not in page and "CFA Sud" not in page  # another CFA's dossier stays hidden
    assert 'id="send-proposal"' in page  # a warning, never a block
    quiet = models.ContractProposal.create(
        organisation=nord, employer_name="Garage", apprentice_last_name="AUTRE", apprentice_first_name="Zoé",
        data=_proposal_data(**{"apprenti.nom": "Autre", "apprenti.prenom": "Zoé"}))
    assert 'id="duplicates"' not in make_client(user.email).get(f"/portail/propositions/{quiet.id}").get_data(
        as_text=True)
