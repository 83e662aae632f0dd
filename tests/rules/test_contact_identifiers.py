"""Phone numbers and postal codes of the organisation's profile (seed 003 *Fiche OF*)."""
import pytest

from rules.identifiers import check_phone, check_postal_code, normalize_phone


@pytest.mark.parametrize("phone", ["01 23 45 67 89", "0123456789", "01.23.45.67.89", "06-12-34-56-78",
                                   "+33 1 23 45 67 89", "+33 (0)1 23 45 67 89", " 09 87 65 43 21 "])
def test_french_phone_numbers_are_accepted_however_they_are_spaced(phone):
    assert check_phone(phone) is None


@pytest.mark.parametrize("phone", ["", "12345", "00 12 34 56 78", "01 23 45 67 8", "01 23 45 67 890", "+44 20 7946 0958",
                                   "01 23 45 67 8a", "téléphone", "+33 0 1 23", "٠١٢٣٤٥٦٧٨٩"])
def test_anything_else_is_refused_in_french(phone):
    assert check_phone(phone).startswith("Numéro de téléphone invalide")


def test_phone_normalisation_drops_separators_only():
    assert normalize_phone("+33 (0)1.23.45.67.89") == "+33123456789"


@pytest.mark.parametrize("code, ok", [("75001", True), (" 59 000 ", True), ("2A004", False), ("7500", False),
                                      ("750011", False), ("", False), ("abcde", False), ("٧٥٠٠١", False)])
def test_postal_codes_are_five_digits(code, ok):
    assert (check_postal_code(code) is None) is ok
