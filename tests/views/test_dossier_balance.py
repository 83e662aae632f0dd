"""The dossier page (portal) and the dossier details (back office) show the same running balance,
with annexes counted on every line: paid ≤ validated ≤ invoiced, for teaching and for annexes."""
import html
import re
from decimal import Decimal

import pytest

from rules import parse_eur
from workflows import invoice_workflow as workflow
from workflows import payments
pass
pass

FIGURES = ("committed", "billable_to_date", "invoiced", "validated", "paid", "credited", "remaining")


def balance_table(response):
    """{figure: {part: Decimal}} read from the shared balance table of a page."""
    assert response.status_code == 200
    text = html.unescape(response.get_data(as_text=True))
    table = text.split('id="balance"')[1].split("</table>")[0]
    out = {}
    for figure, row in re.findall(r'data-figure="(\w+)"(.*?)</tr>', table, re.S):
        out[figure] = {part: parse_eur(value) for part, value in
                       re.findall(r'data-part="(\w+)">([^<]+)<', row)}
    return out


@pytest.fixture
def billed_dossier(factory):
    """An engaged dossier: one invoice with annexes validated and paid, one with annexes still in process."""
    org = factory.organisation(name="CFA Sud")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(org)
    comptable = factory.staff("comptable")
    factory.approved_bank(org)
    paid = workflow.create_invoice(org, [
        dict(dossier=dossier, nature="teaching", amount=Decimal("2800.00")),
        dict(dossier=dossier, nature="lodging", quantity=55, amount=Decimal("330.00")),
        dict(dossier=dossier, nature="meals", quantity=100, amount=Decimal("300.00"))], dossier=dossier)
    workflow.validate(paid, comptable)
    payments.record_payment(org, [paid.id], "key-1", user=comptable)
    validated = workflow.create_invoice(
        org, [dict(dossier=dossier, nature="first_equipment", amount=Decimal("500.00"))], dossier=dossier)
    workflow.validate(validated, comptable)
    workflow.create_invoice(org, [dict(dossier=dossier, nature="teaching", amount=Decimal("2100.00")),
                                  dict(dossier=dossier, nature="meals", amount=Decimal("90.00"))], dossier=dossier)
    return dossier


def test_portal_and_back_office_show_one_balance_with_annexes_on_both_sides(billed_dossier, make_client, factory):
    portal = balance_table(make_client("admin@cfa-sud.test").get(f"/portail/dossiers/{billed_dossier.number}"))
    staff = balance_table(make_client(factory.staff("conseiller").email)
                          .get(f"/admin/dossier/details/?id={billed_dossier.id}"))
    assert portal == staff and set(portal) == set(FIGURES)
    assert portal["invoiced"] == {"teaching": Decimal("4900.00"), "annexes": Decimal("1220.00"),
                                  "total": Decimal("6120.00")}
    assert portal["validated"] == {"teaching": Decimal("2800.00"), "annexes": Decimal("1130.00"),
                                   "total": Decimal("3930.00")}
    assert portal["paid"] == {"teaching": Decimal("2800.00"), "annexes": Decimal("630.00"),
                              "total": Decimal("3430.00")}
    for part in ("teaching", "annexes", "total"):
        assert portal["paid"][part] <= portal["validated"][part] <= portal["invoiced"][part]
        figures = {name: portal[name][part] for name in FIGURES}
        assert figures["remaining"] == figures["committed"] - figures["invoiced"] + figures["credited"]
    assert portal["committed"]["annexes"] == Decimal("2000.00")  # 100 nights × 6 + 300 meals × 3 + 500 equipment


def test_the_dossier_page_labels_the_yearly_budget_apart_from_the_whole_engagement(billed_dossier, make_client):
    text = html.unescape(make_client("admin@cfa-sud.test").get(f"/portail/dossiers/{billed_dossier.number}")
                         .get_data(as_text=True)).replace("\u00a0", " ")
    assert "Budget annuel" in text and "Budget total" not in text
    assert "Financement engagé (toute la durée)" in text
