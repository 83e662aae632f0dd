"""Identifier checks of SPEC §7 and the money helpers."""
from decimal import Decimal

import pytest

from rules.identifiers import (
    check_bic, check_diploma_code, check_email, check_iban, check_idcc, check_naf, check_nir, check_rib,
    check_rncp, check_siren, check_siret, check_uai, format_iban, mask_iban, mask_nir, normalize_idcc,
    normalize_naf, normalize_rncp, normalize_siret, rib_key, uai_letter,
)
from rules.money import format_eur, from_cents, parse_eur, round_cents, to_cents

NBSP = "\u00a0"


@pytest.mark.parametrize("value", ["73282932000074", "732 829 320 00074", " 73282932000074 "])
def test_a_valid_siret_is_accepted_with_or_without_spaces(value):
    assert check_siret(value) is None


@pytest.mark.parametrize("value, message", [
    ("73282932000075", "SIRET invalide (clé de contrôle)"),
    ("7328293200007", "SIRET invalide : 14 chiffres attendus"),
    ("7328293200007A", "SIRET invalide : 14 chiffres attendus"),
    ("", "SIRET invalide : 14 chiffres attendus"),
    (None, "SIRET invalide : 14 chiffres attendus"),
])
def test_an_invalid_siret_says_why(value, message):
    assert check_siret(value) == message


def test_siren_is_checked_on_nine_digits_and_its_key():
    assert check_siren("732 829 320") is None
    assert check_siren("732829321") == "SIREN invalide (clé de contrôle)"
    assert check_siren("73282932") == "SIREN invalide : 9 chiffres attendus"


def test_nir_key_is_ninety_seven_minus_the_number_modulo_ninety_seven():
    assert check_nir("1 85 05 78 006 084 91") is None
    assert check_nir("2 92 07 75 123 456 03") is None
    assert check_nir("1 85 05 78 006 084 90") == "NIR invalide (clé de contrôle)"
    assert check_nir("18505780060849") == "NIR invalide : 15 caractères attendus (13 + clé)"


def test_a_corsican_nir_is_checked_with_its_department_letters():
    assert check_nir("1 85 05 2A 123 456 33") is None


def test_nir_is_masked_after_sex_year_and_month_of_birth():
    assert mask_nir("292077512345603") == "2 92 07 •• ••• ••• ••"


@pytest.mark.parametrize("value", [
    "FR76 3000 6000 0112 3456 7890 189",
    "FR1420041010050500013M02606",
    "DE89370400440532013000",
    "MC5811222000010123456789030",
])
def test_a_valid_iban_is_accepted(value):
    assert check_iban(value) is None


def test_a_french_iban_with_a_right_iban_key_but_a_wrong_rib_key_is_refused():
    # FR06…88: the IBAN check digits are computed for a BBAN whose RIB key should be 89.
    assert check_iban("FR0630006000011234567890188") == "IBAN invalide (clé RIB)"


@pytest.mark.parametrize("value, message", [
    ("FR7630006000011234567890188", "IBAN invalide (clé de contrôle)"),
    ("FR76300060000112345678901", "IBAN invalide : longueur ou format incorrect pour ce pays"),
    ("ZZ76300060000112345678901", "IBAN invalide : pays inconnu"),
    ("XX", "IBAN invalide : format incorrect"),
])
def test_an_invalid_iban_says_why(value, message):
    assert check_iban(value) == message


def test_the_rib_key_maps_letters_of_the_account_to_digits():
    assert rib_key("30006", "00001", "12345678901") == 89
    assert rib_key("20041", "01005", "0500013M026") == 6
    assert check_rib("20041", "01005", "0500013M026", "06") is None
    assert check_rib("20041", "01005", "0500013M026", "07") == "RIB invalide (clé RIB)"


def test_iban_is_masked_and_grouped_by_four():
    assert mask_iban("FR7630006000011234567890189") == "FR76 •••• •••• •••• •••• •••0 189"
    assert format_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


def test_bic_has_eight_or_eleven_characters():
    assert check_bic("BNPAFRPP") is None
    assert check_bic("bnpa fr pp xxx") is None
    assert check_bic("BNPAFRP") is not None
    assert check_bic("1NPAFRPPXXX") is not None


def test_uai_check_letter_is_the_first_seven_digits_modulo_23():
    # 750001 = 23 x 32608 + 17, and the 18th letter of ABCDEFGHJKLMNPRSTUVWXYZ is U.
    assert uai_letter("0750001") == "U"
    assert check_uai("0750001U") is None
    assert check_uai("0750001u") is None
    assert check_uai("0750001A") == "UAI invalide (lettre de contrôle)"
    assert check_uai("075001U") == "UAI invalide : 7 chiffres et une lettre attendus"


@pytest.mark.parametrize("check, valid, invalid", [
    (check_diploma_code, ["32033422", "4502A10X"], ["3203342", "320334221", "3203-342"]),
    (check_rncp, ["RNCP34567", "rncp 34567", "34567"], ["RNCP", "RNCPABC", "RN34567"]),
    (check_idcc, ["0843", "843", "1486"], ["12345", "ABCD", ""]),
    (check_naf, ["6201Z", "62.01z", "8559A"], ["620Z", "62011", "6201ZZ"]),
    (check_email, ["a.b@example.fr", " Contact@CFA.fr "], ["pas-un-email", "a@b", "a b@c.fr", ""]),
])
def test_format_checks_accept_valid_values_and_refuse_others(check, valid, invalid):
    assert [check(v) for v in valid] == [None] * len(valid)
    assert all(isinstance(check(v), str) for v in invalid)


def test_normalizers_strip_spaces_and_add_missing_prefixes():
    assert normalize_siret(" 732 829 320 00074 ") == "73282932000074"
    assert normalize_rncp("34567") == "RNCP34567"
    assert normalize_idcc("843") == "0843"
    assert normalize_naf("62.01z") == "6201Z"


def test_amounts_are_formatted_the_french_way_with_no_break_spaces():
    assert format_eur(Decimal("26247")) == f"26{NBSP}247,00{NBSP}€"
    assert format_eur(Decimal("1234567.891")) == f"1{NBSP}234{NBSP}567,89{NBSP}€"
    assert format_eur(Decimal("-12.5")) == f"-12,50{NBSP}€"
    assert format_eur(Decimal("0")) == f"0,00{NBSP}€"


def test_money_rounds_half_up_to_the_cent_and_converts_to_cents():
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert round_cents(Decimal("2.675")) == Decimal("2.68")
    assert to_cents(Decimal("26247.005")) == 2624701
    assert from_cents(2624701) == Decimal("26247.01")
    assert str(from_cents(300)) == "3.00"
    assert parse_eur("1 234,5") == Decimal("1234.50")
