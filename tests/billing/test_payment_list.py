"""Payments in the portal (seed 004 *Les paiements OPCO*, seed 002 *Règlements émis*): one line per invoice and
dossier in the list and its exports, the payment's own page beside the remittance PDF."""
import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

import models
from workflows import invoice_workflow
from workflows.credit_notes import create_credit_note
from workflows.payments import record_payment
from tests.factories import comptable

NBSP = "\u00a0"


def _invoice(org, lines, cfa_reference, cfa_invoice_date, dossier=None, kind="reimbursement"):
    """An invoice deposited with the CFA's own reference and date, then validated (good to pay)."""
    inv = invoice_workflow.create_invoice(org, lines, dossier=dossier, kind=kind, cfa_reference=cfa_reference,
                                          cfa_invoice_date=cfa_invoice_date)
    return invoice_workflow.validate(inv, comptable())


def _paid_world(factory):
    """CFA Sud paid REG-… on 15/03/2026: its invoice FAC-SUD-001 (dossier 1) and mass invoice FAC-SUD-002 (dossiers
    1 and 2), less a credit note of 100,00 €."""
    org = factory.organisation(name="CFA Sud")
    d1 = factory.dossier(organisation=org, state="engage", apprentice_name="MARTIN Léa")
    d2 = factory.dossier(organisation=org, state="engage", apprentice_name="DURAND Hugo")
    single = _invoice(org, [dict(dossier=d1, nature="teaching", quantity=1, amount=Decimal("2800.00"))],
                      "FAC-SUD-001", dt.date(2026, 2, 20), dossier=d1)
    mass = _invoice(org, [dict(dossier=d1, nature="meals", quantity=10, amount=Decimal("30.00")),
                          dict(dossier=d2, nature="teaching", quantity=1, amount=Decimal("1500.00")),
                          dict(dossier=d2, nature="lodging", quantity=5, amount=Decimal("30.00"))],
                    "FAC-SUD-002", dt.date(2026, 2, 25), kind="mass")
    create_credit_note(d2, "100.00", "rupture", issued_on=dt.date(2026, 1, 5))
    factory.approved_bank(org)
    payment, _ = record_payment(org, [single.id, mass.id], "k-sud", date=dt.date(2026, 3, 15), user=comptable())
    return org, d1, d2, single, mass, payment


def test_the_list_has_one_line_per_invoice_and_dossier_with_the_cfa_references(factory, make_client):
    org, d1, d2, single, mass, payment = _paid_world(factory)
    assert (payment.gross, payment.deductions, payment.net) == (Decimal("4360.00"), Decimal("100.00"),
                                                                  Decimal("4260.00"))
    client = make_client(factory.billing_user(org).email)
    page = client.get("/portail/reglements").get_data(as_text=True)
    rows = [r for r in page.split("<tr")[1:] if f'data-payment="{payment.reference}"' in r]
    assert len(rows) == 3
    cells = [(single.display_number, "FAC-SUD-001", d1.number, "MARTIN Léa", f"2{NBSP}800,00{NBSP}€"),
             (mass.display_number, "FAC-SUD-002", d1.number, "MARTIN Léa", f"30,00{NBSP}€"),
             (mass.display_number, "FAC-SUD-002", d2.number, "DURAND Hugo", f"1{NBSP}530,00{NBSP}€")]
    for row, expected in zip(rows, cells):
        for text in expected:
            assert text in row, (text, row)
        assert "15/03/2026" in row and f"4{NBSP}260,00{NBSP}€" in row  # the payment's date and net on each line
    assert f'href="/portail/reglements/{payment.reference}"' in page


def test_the_exports_link_the_payment_reference_to_each_invoice_and_dossier(factory, make_client):
    org, d1, d2, single, mass, payment = _paid_world(factory)
    client = make_client(factory.billing_user(org).email)
    export = client.get("/portail/reglements/export.csv")
    assert export.mimetype == "text/csv" and export.get_data(as_text=True).startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Référence du règlement", "Date de paiement", "Bénéficiaire", "SIRET", "Mode de règlement",
                       "N° facture", "Référence facture CFA", "Date de facture", "N° de dossier", "Apprenti(e)",
                       "Montant TTC / dossier", "Montant brut du règlement", "Avoirs déduits", "Montant versé"]
    assert rows[1:] == [
        [payment.reference, "15/03/2026", "CFA Sud", org.siret, "Virement", single.display_number, "FAC-SUD-001",
         "20/02/2026", d1.number, "MARTIN Léa", f"2{NBSP}800,00{NBSP}€", f"4{NBSP}360,00{NBSP}€", f"100,00{NBSP}€",
         f"4{NBSP}260,00{NBSP}€"],
        [payment.reference, "15/03/2026", "CFA Sud", org.siret, "Virement", mass.display_number, "FAC-SUD-002",
         "25/02/2026", d1.number, "MARTIN Léa", f"30,00{NBSP}€", f"4{NBSP}360,00{NBSP}€", f"100,00{NBSP}€",
         f"4{NBSP}260,00{NBSP}€"],
        [payment.reference, "15/03/2026", "CFA Sud", org.siret, "Virement", mass.display_number, "FAC-SUD-002",
         "25/02/2026", d2.number, "DURAND Hugo", f"1{NBSP}530,00{NBSP}€", f"4{NBSP}360,00{NBSP}€",
         f"100,00{NBSP}€", f"4{NBSP}260,00{NBSP}€"]]
    sheet = load_workbook(io.BytesIO(client.get("/portail/reglements/export.xlsx").data)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(v[0], v[6], v[8], v[10]) for v in values] == [(payment.reference, "FAC-SUD-001", d1.number, 2800),
                                                           (payment.reference, "FAC-SUD-002", d1.number, 30),
                                                           (payment.reference, "FAC-SUD-002", d2.number, 1530)]
    first = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert isinstance(first[1].value, dt.datetime) and first[1].value.date() == dt.date(2026, 3, 15)
    assert first[1].number_format == "DD/MM/YYYY" and "€" in first[10].number_format
    assert isinstance(first[13].value, (int, float)) and first[13].value == 4260


def test_the_dossier_filter_applies_to_the_list_and_the_exports(factory, make_client):
    org, d1, d2, single, mass, payment = _paid_world(factory)
    client = make_client(factory.billing_user(org).email)
    page = client.get(f"/portail/reglements?dossier={d2.number}").get_data(as_text=True)
    assert page.count(f'data-payment="{payment.reference}"') == 1 and "DURAND Hugo" in page and "MARTIN Léa" not in page
    assert f"dossier={d2.number}" in page  # the export links carry the filter
    export = client.get(f"/portail/reglements/export.csv?dossier={d2.number}").get_data(as_text=True)
    assert "DURAND Hugo" in export and "MARTIN Léa" not in export
    sheet = load_workbook(io.BytesIO(client.get(f"/portail/reglements/export.xlsx?dossier={d1.number}").data)).active
    assert [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)] == [d1.number, d1.number]
    assert "Aucun règlement" in client.get("/portail/reglements?du=16/03/2026").get_data(as_text=True)


def test_the_list_pages_by_keyset_without_losing_or_repeating_a_line(factory, make_client, monkeypatch):
    from views.portal import payments as view

    monkeypatch.setattr(view, "PER_PAGE", 2)
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    factory.approved_bank(org)
    expected = []
    for day, key in ((dt.date(2026, 1, 10), "a"), (dt.date(2026, 3, 10), "b"), (dt.date(2026, 2, 10), "c")):
        invoices = [_invoice(org, [dict(dossier=dossier, nature="teaching", quantity=1, amount=Decimal("100.00"))],
                             f"REF-{key}{i}", day, dossier=dossier) for i in range(2)]
        payment, _ = record_payment(org, [i.id for i in invoices], f"k-{key}", date=day, user=comptable())
        expected.append((day, [(payment.reference, i.cfa_reference) for i in invoices]))
    expected = [line for _, lines in sorted(expected, reverse=True) for line in lines]  # newest payment first
    client = make_client(factory.billing_user(org).email)
    seen, url = [], "/portail/reglements"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [(r.split('data-payment="')[1].split('"')[0], r.split("<td>REF-")[1].split("<")[0])
                 for r in page.split("<tr")[1:] if "data-payment=" in r]
        url = page.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&") \
            if 'id="next-page"' in page else None
    assert seen == [(ref, cfa[4:]) for ref, cfa in expected]
    assert client.get("/portail/reglements?apres=n_importe_quoi").status_code == 200


def test_the_payment_page_shows_beneficiary_transaction_invoices_and_deductions(factory, make_client):
    org, d1, d2, single, mass, payment = _paid_world(factory)
    client = make_client(factory.billing_user(org).email)
    response = client.get(f"/portail/reglements/{payment.reference}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Règlement N° {payment.reference}" in page and "15/03/2026" in page
    beneficiary = page.split('id="beneficiary"')[1].split("</div>")[0]
    assert "CFA Sud" in beneficiary and org.siret in beneficiary
    transaction = page.split('id="transaction"')[1].split("</div>")[0]
    assert "Règlement par virement" in transaction and f"4{NBSP}360,00{NBSP}€" in transaction
    assert f"100,00{NBSP}€" in transaction and f"4{NBSP}260,00{NBSP}€" in transaction
    lines = page.split('id="payment-lines"')[1].split("</table>")[0]
    for text in (single.display_number, "FAC-SUD-001", "20/02/2026", mass.display_number, "FAC-SUD-002",
                 d1.number, d2.number, f"2{NBSP}800,00{NBSP}€", f"1{NBSP}530,00{NBSP}€"):
        assert text in lines
    assert "PRO-1" in page.split('id="payment-deductions"')[1]
    assert f'href="/portail/reglements/{payment.reference}/avis.pdf"' in page


def test_another_organisation_or_a_user_without_billing_right_never_gets_the_payment(factory, make_client):
    org, d1, d2, single, mass, payment = _paid_world(factory)
    stranger = make_client(factory.billing_user(factory.organisation()).email)
    assert stranger.get(f"/portail/reglements/{payment.reference}").status_code == 404
    assert payment.reference not in stranger.get("/portail/reglements/export.csv").get_data(as_text=True)
    no_billing = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    assert no_billing.get(f"/portail/reglements/{payment.reference}").status_code == 403
    own = make_client(factory.billing_user(org).email)
    assert own.get("/portail/reglements/REG-9999999").status_code == 404
    assert own.get("/portail/reglements/" + "x" * 300).status_code == 404
