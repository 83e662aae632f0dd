"""CERFA checks of SPEC §7."""
from datetime import date

import pytest

from rules.cerfa import (
    CerfaData, check_apprentice_age, check_cerfa, check_contract_duration, check_masters, check_minimum_pay,
    check_proposal_complete, check_proposal_draft, check_training_start, minimum_pay_percent,
)

START = date(2025, 9, 1)


@pytest.mark.parametrize("age, year, percent", [
    (17, 1, 27), (17, 2, 39), (17, 3, 55), (18, 1, 43), (20, 3, 67), (21, 1, 53), (25, 2, 61), (25, 3, 78),
    (26, 1, 100), (40, 3, 100), (19, 4, 67),
])
def test_minimum_pay_by_age_and_year(age, year, percent):
    assert minimum_pay_percent(age, year) == percent


def test_the_apprentice_is_16_to_29_at_the_start():
    assert check_apprentice_age(date(2009, 9, 1), START) == []            # 16 that day
    assert check_apprentice_age(date(2009, 9, 2), START) != []            # 15
    assert check_apprentice_age(date(2009, 9, 2), START, after_college=True) == []
    assert check_apprentice_age(date(1995, 9, 2), START) == []            # 29
    assert check_apprentice_age(date(1995, 9, 1), START) != []            # 30
    assert check_apprentice_age(date(1985, 1, 1), START, rqth=True) == []


def test_the_contract_lasts_six_months_to_three_years():
    assert check_contract_duration(START, date(2026, 2, 28)) == []
    assert check_contract_duration(START, date(2026, 2, 27)) != []
    assert check_contract_duration(START, date(2028, 8, 31)) == []
    assert check_contract_duration(START, date(2028, 9, 1)) != []


def test_training_starts_within_three_months_of_the_contract():
    assert check_training_start(START, date(2025, 12, 1)) == []
    assert check_training_start(START, date(2025, 12, 2)) != []
    assert check_training_start(START, date(2025, 6, 1)) == []
    assert check_training_start(START, date(2025, 5, 31)) != []


def test_at_most_two_masters_each_aged_18_or_more():
    assert check_masters([date(1980, 1, 1)], START) == []
    assert len(check_masters([date(1980, 1, 1)] * 3, START)) == 1
    assert check_masters([date(2008, 1, 1)], START) != []
    assert check_masters([], START) != []


def test_pay_below_the_minimum_is_reported_by_year():
    # Born 01/03/2008: 17 at the start (27 %), 18 in year 2 (51 %), 19 in year 3 (67 %).
    messages = check_minimum_pay(date(2008, 3, 1), START, [27, 50, 67])
    assert messages == ["Année 2 : rémunération de 50 % du SMIC inférieure au minimum de 51 % "
                        "pour un apprenti de 18 ans"]


def test_the_whole_cerfa_in_one_call():
    data = CerfaData(date(2005, 1, 1), START, date(2027, 8, 31), date(2025, 9, 15), master_births=(date(1980, 1, 1),),
                     pay_percents=(53, 61))
    assert check_cerfa(data) == []


def test_a_draft_needs_both_sirets_or_three_names():
    assert check_proposal_draft({"employer_siret": "73282932000074", "cfa_siret": "73282932000074"}) == []
    assert check_proposal_draft({"employer_name": "ACME", "apprentice_last_name": "Martin",
                                 "apprentice_first_name": "Léa"}) == []
    assert check_proposal_draft({"employer_name": "ACME"}) != []
    assert check_proposal_draft({"employer_siret": "1", "cfa_siret": "73282932000074"}) != []


def test_sending_needs_every_mandatory_field():
    assert check_proposal_complete({"a": "x", "b": ""}, {"a": "A", "b": "Champ B"}) == [
        "Champ obligatoire manquant : Champ B"]
