"""check_proposal over the CERFA catalogue: one case per SPEC §7 rule, and properties over random data."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import cerfa_fields as fields
from rules.cerfa import (
    Smic, check_draft_minimum, check_proposal, contract_years, error_counts, errors_by_tab, pay_amount,
    smic_in_effect,
)
from tests.proposal_data import SMIC, TODAY, complete_data


def test_the_complete_proposal_passes_every_check():
    assert check_proposal(complete_data(), TODAY, SMIC) == {}


def test_the_catalogue_has_nine_tabs_in_order_and_unique_keys():
    assert fields.TAB_KEYS == ("introduction", "employeur", "apprenti", "maitres", "contrat", "formation",
                               "synthese", "documents", "attestation")
    keys = [f.key for f in fields.FIELDS]
    assert len(keys) == len(set(keys))
    assert all(f.kind in fields.KINDS for f in fields.FIELDS)
    assert all(f.choices for f in fields.FIELDS if f.kind == "choice")
    for key in ("employeur.siret", "employeur.denomination", "apprenti.nom", "apprenti.prenom",
                "apprenti.dateNaissance", "apprenti.nir", "maitre1.nom", "contrat.dateDebutContrat",
                "contrat.dateFinContrat", "formation.rncp", "organismeFormation.uaiCfa", "organismeFormation.siret"):
        assert key in fields.FIELDS_BY_KEY


CASES = [
    # (what, overrides, field in error, part of the message)
    ("apprentice too young", {"apprenti.dateNaissance": "2011-03-14", "apprenti.nir": "111037505612393"}, "apprenti.dateNaissance",
     "au moins 16 ans"),
    ("apprentice too old", {"apprenti.dateNaissance": "1990-03-14", "apprenti.nir": "190037505612305"}, "apprenti.dateNaissance",
     "au plus 29 ans"),
    ("contract shorter than 6 months", {"contrat.dateFinContrat": "2027-01-31"}, "contrat.dateFinContrat",
     "au moins 6 mois"),
    ("contract longer than 3 years", {"contrat.dateFinContrat": "2029-09-01"}, "contrat.dateFinContrat",
     "au plus 3 ans"),
    ("training starts 4 months late", {"formation.dateDebutFormation": "2027-01-05"}, "formation.dateDebutFormation",
     "dans les 3 mois"),
    ("master under 18", {"maitre1.dateNaissance": "2010-01-01"}, "maitre1.dateNaissance", "au moins 18 ans"),
    ("pay under the minimum", {"contrat.remunerationsAnnuelles.1.taux": "43"},
     "contrat.remunerationsAnnuelles.1.taux", "Au moins 53 %"),
    ("second year pay missing", {"contrat.remunerationsAnnuelles.2.taux": ""},
     "contrat.remunerationsAnnuelles.2.taux", "obligatoire"),
    ("salary under the SMIC share", {"contrat.salaireEmbauche": "900.00"}, "contrat.salaireEmbauche",
     "minimum légal"),
    ("bad employer SIRET", {"employeur.siret": "73282932000075"}, "employeur.siret", "SIRET invalide"),
    ("bad UAI letter", {"organismeFormation.uaiCfa": "0751234A"}, "organismeFormation.uaiCfa", "UAI invalide"),
    ("bad RNCP", {"formation.rncp": "RNCP-X"}, "formation.rncp", "RNCP"),
    ("bad diploma code", {"formation.codeDiplome": "123"}, "formation.codeDiplome", "8 caractères"),
    ("bad IDCC", {"employeur.codeIdcc": "12345"}, "employeur.codeIdcc", "4 chiffres"),
    ("bad NAF", {"employeur.naf": "45"}, "employeur.naf", "NAF"),
    ("NIR of a woman for a man", {"apprenti.sexe": "F"}, "apprenti.nir", "sexe"),
    ("NIR of another birth year", {"apprenti.dateNaissance": "2006-03-14"}, "apprenti.nir", "date de naissance"),
    ("implausible date", {"contrat.dateDebutContrat": "2150-01-01"}, "contrat.dateDebutContrat", "invraisemblable"),
    ("birth in the future", {"apprenti.dateNaissance": "2030-01-01"}, "apprenti.dateNaissance", "invraisemblable"),
    ("not a date", {"contrat.dateDebutContrat": "31/02/2026"}, "contrat.dateDebutContrat", "Date invalide"),
    ("unknown choice", {"apprenti.sexe": "X"}, "apprenti.sexe", "Choix invalide"),
    ("renewal without previous number", {"contrat.typeContratApp": "21"}, "contrat.numeroContratPrecedent",
     "premier contrat"),
    ("minor without legal representative",
     {"apprenti.dateNaissance": "2009-03-14", "apprenti.nir": "109037505612394", "contrat.remunerationsAnnuelles.1.taux": "60",
      "contrat.remunerationsAnnuelles.2.taux": "60", "contrat.salaireEmbauche": "1100"},
     "apprenti.responsableLegal.nom", "mineur"),
    ("attestation not given", {"attestation.exactitude": "non"}, "attestation.exactitude", "Attestation"),
    ("second master half entered", {"maitre2.nom": "Petit"}, "maitre2.dateNaissance", "second maître"),
    ("weekly hours out of range", {"contrat.dureeTravailHebdoHeures": "70"}, "contrat.dureeTravailHebdoHeures",
     "48 heures"),
    ("required field missing", {"employeur.naf": ""}, "employeur.naf", "obligatoire"),
]


@pytest.mark.parametrize("what, overrides, key, message", CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_on_its_field(what, overrides, key, message):
    errors = check_proposal(complete_data(**overrides), TODAY, SMIC)
    assert key in errors, errors
    assert any(message in m for m in errors[key]), errors[key]


def test_fifteen_after_college_and_no_upper_limit_with_rqth():
    fifteen = complete_data(**{"apprenti.dateNaissance": "2011-03-14", "apprenti.nir": "111037505612393",
                               "apprenti.derniereClasse": "40", "apprenti.responsableLegal.nom": "Martin",
                               "apprenti.responsableLegal.prenom": "Anne",
                               "contrat.remunerationsAnnuelles.1.taux": "55",
                               "contrat.remunerationsAnnuelles.2.taux": "55", "contrat.salaireEmbauche": "1000"})
    assert check_proposal(fifteen, TODAY, SMIC) == {}
    older = complete_data(**{"apprenti.dateNaissance": "1990-03-14", "apprenti.nir": "190037505612305", "apprenti.handicap": "oui",
                             "contrat.remunerationsAnnuelles.1.taux": "100",
                             "contrat.remunerationsAnnuelles.2.taux": "100", "contrat.salaireEmbauche": "1801.80"})
    assert check_proposal(older, TODAY, SMIC) == {}


def test_employer_fields_are_not_required_before_the_employer_has_them():
    data = complete_data(**{"attestation.piecesJustificatives": "", "attestation.exactitude": "",
                            "attestation.lieuSignature": "", "contrat.dateConclusion": ""})
    assert check_proposal(data, TODAY, SMIC, include_employer_fields=False) == {}
    assert set(check_proposal(data, TODAY, SMIC)) == {"attestation.piecesJustificatives", "attestation.exactitude",
                                                      "attestation.lieuSignature", "contrat.dateConclusion"}


def test_an_rncp_missing_from_the_referential_is_flagged():
    assert check_proposal(complete_data(), TODAY, SMIC, known_rncp={"RNCP35823"}) == {}
    errors = check_proposal(complete_data(), TODAY, SMIC, known_rncp={"RNCP1"})
    assert errors == {"formation.rncp": ["Code RNCP RNCP35823 inconnu du référentiel"]}


@pytest.mark.parametrize("data, ok", [
    ({"employeur.siret": "73282932000074", "organismeFormation.siret": "35600000000048"}, True),
    ({"employeur.denomination": "ACME", "apprenti.nom": "Martin", "apprenti.prenom": "Léa"}, True),
    ({"employeur.denomination": "ACME", "apprenti.nom": "Martin"}, False),
    ({"employeur.siret": "73282932000074"}, False),
    ({"employeur.siret": "1", "organismeFormation.siret": "35600000000048"}, False),
    ({}, False),
])
def test_a_draft_needs_either_minimum(data, ok):
    assert (check_draft_minimum(data) == {}) is ok


def test_errors_are_grouped_and_counted_per_tab():
    errors = check_proposal({"employeur.denomination": "ACME", "apprenti.nom": "Martin", "apprenti.prenom": "Léa",
                             "employeur.siret": "123", "maitre2.nom": "Petit"}, TODAY, SMIC)
    grouped = errors_by_tab(errors)
    assert list(grouped) == list(fields.TAB_KEYS)
    assert "employeur.siret" in grouped["employeur"] and "maitre1.nom" in grouped["maitres"]
    counts = error_counts(errors)
    assert counts["employeur"] == sum(len(m) for m in grouped["employeur"].values()) > 0
    assert counts["introduction"] == counts["synthese"] == counts["documents"] == 0
    assert sum(counts.values()) == sum(len(m) for m in errors.values())


def test_the_smic_in_effect_and_pay_amounts():
    rates = [SMIC, Smic(date(2026, 1, 1), Decimal("12.02"), Decimal("1823.03"))]
    assert smic_in_effect(rates, date(2025, 12, 31)) == SMIC
    assert smic_in_effect(rates, date(2026, 1, 1)).monthly == Decimal("1823.03")
    assert smic_in_effect(rates, date(2020, 1, 1)) is None
    assert pay_amount("53", SMIC) == Decimal("954.95")
    assert pay_amount("", SMIC) is None and pay_amount("53", None) is None


@pytest.mark.parametrize("start, end, years", [
    (date(2026, 9, 1), date(2027, 2, 28), 1), (date(2026, 9, 1), date(2027, 8, 31), 1),
    (date(2026, 9, 1), date(2027, 9, 1), 2), (date(2026, 9, 1), date(2029, 8, 31), 3),
])
def test_contract_years(start, end, years):
    assert contract_years(start, end) == years


_KEYS = st.sampled_from([f.key for f in fields.FIELDS] + ["autre", "", "apprenti"])
_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["oui", "non", "2026-02-30", "2026-09-01", "1e9",
                                                            "NaN", "-1", "²", "٣", "99999999999", "0751234J"]))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=30), st.dates(date(2000, 1, 1), date(2040, 12, 31)))
def test_any_data_gives_french_messages_on_known_tabs_never_an_exception(data, today):
    errors = check_proposal(data, today, SMIC)
    for key, messages in errors.items():
        assert messages and all(isinstance(m, str) and m for m in messages)
    assert sum(error_counts(errors).values()) == sum(len(m) for m in errors.values())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([f for f in fields.FIELDS if not f.required and f.kind != "bool"
                         and ".remunerationsAnnuelles." not in f.key]))
def test_emptying_an_optional_field_keeps_a_complete_proposal_valid(spec):
    assert check_proposal(complete_data(**{spec.key: ""}), TODAY, SMIC) == {}
