"""The CFA's declared invoice against its request (rules/declared_invoice.py): table-driven, no fixtures."""
import datetime as dt
from decimal import Decimal as D

import pytest

from rules import DeclaredInvoice, check_declared_invoice, declared_amounts

TODAY = dt.date(2026, 3, 15)


@pytest.mark.parametrize("ht, ttc, total, expected", [
    (None, None, D("2800"), (D("2800.00"), D("2800.00"))),
    (D("2800"), None, D("2800"), (D("2800.00"), D("2800.00"))),
    (None, D("3360"), D("2800"), (D("2800.00"), D("3360.00"))),
    (D("0.005"), None, D("0"), (D("0.01"), D("0.01"))),
])
def test_empty_amounts_default_to_the_total_requested_then_to_the_ht(ht, ttc, total, expected):
    assert declared_amounts(ht, ttc, total) == expected


@pytest.mark.parametrize("day, ht, ttc, total, vat, rules", [
    (TODAY, "2800", "2800", "2800", False, []),
    (TODAY, "2800", "3360", "2800", True, []),  # 20 %: the most
    (TODAY, "2800", "2800", "2800", True, []),  # VAT-liable but exempt training
    (TODAY, "2800", "2954", "2800", True, []),  # 5.5 %
    (TODAY, "2800", "3360.01", "2800", True, ["ttc_over_vat_rate"]),
    (TODAY, "2800", "3360", "2800", False, ["ttc_without_vat"]),
    (TODAY, "2800", "2799.99", "2800", True, ["ttc_below_ht"]),
    (TODAY, "2800", "2799.99", "2800", False, ["ttc_below_ht"]),
    (TODAY, "2700", "2700", "2800", False, ["ht_not_requested_total"]),
    (TODAY + dt.timedelta(days=1), "2800", "2800", "2800", False, ["invoice_date_future"]),
    (None, "2800", "2800", "2800", False, ["invoice_date_missing"]),
    (TODAY, "-1", "2800", "2800", False, ["declared_negative"]),
])
def test_the_declared_invoice_agrees_with_the_request_and_the_vat_liability(day, ht, ttc, total, vat, rules):
    refusals = check_declared_invoice(DeclaredInvoice(day, D(ht), D(ttc)), D(total), vat, TODAY)
    assert [r.rule for r in refusals] == rules


def test_messages_are_french_with_the_figures():
    [without_vat] = check_declared_invoice(DeclaredInvoice(TODAY, D("2800"), D("3360")), D("2800"), False, TODAY)
    assert without_vat.message == ("Votre organisme n'est pas assujetti à la TVA : le montant TTC doit être égal au "
                                   "montant HT (2\u00a0800,00\u00a0€), et non 3\u00a0360,00\u00a0€.")
    [over] = check_declared_invoice(DeclaredInvoice(TODAY, D("100"), D("121")), D("100"), True, TODAY)
    assert "au taux normal de 20 % (120,00\u00a0€)" in over.message and over.figures["max_ttc"] == D("120.00")
    [future] = check_declared_invoice(DeclaredInvoice(dt.date(2026, 4, 1), D("1"), D("1")), D("1"), False, TODAY)
    assert future.message == ("La date de la facture (01/04/2026) ne peut pas être postérieure à aujourd'hui "
                              "(15/03/2026).")
    [mismatch] = check_declared_invoice(DeclaredInvoice(TODAY, D("10"), D("10")), D("12.5"), False, TODAY)
    assert mismatch.message == ("Le montant HT de votre facture (10,00\u00a0€) doit être égal au total demandé "
                                "(12,50\u00a0€).")
