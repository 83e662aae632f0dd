"""A credit note gives back what was paid beyond what is due: computed, capped, refused without an overpayment."""
from decimal import Decimal as D

import pytest

from rules import CreditNoteRefused, credit_note_amount

# (paid, due, credited, requested, expected amount or the refusal's words)
CASES = [
    ("4900", "4083.33", "0", None, "816.67"),
    ("4900", "4083.33", "0", "500", "500.00"),
    ("4900", "4083.33", "0", "816.67", "816.67"),
    ("4900", "4083.33", "500", None, "316.67"),
    ("4900", "4083.33", "0", "816.68", "ne peut pas dépasser le trop-perçu de 816,67 €"),
    ("3200", "8000", "0", None, "Aucun trop-perçu sur ce dossier"),
    ("3200", "8000", "0", "1250", "Aucun trop-perçu sur ce dossier"),
    ("4900", "4083.33", "816.67", None, "Aucun trop-perçu sur ce dossier"),
    ("4900", "4083.33", "0", "0", "strictement positif"),
]


@pytest.mark.parametrize("paid,due,credited,requested,expected", CASES)
def test_the_amount_of_a_credit_note(paid, due, credited, requested, expected):
    args = (D(paid), D(due), D(credited), None if requested is None else D(requested))
    if expected[0].isdigit():
        assert credit_note_amount(*args) == D(expected)
    else:
        with pytest.raises(CreditNoteRefused) as refused:
            credit_note_amount(*args)
        assert expected in str(refused.value).replace("\u00a0", " ")
