"""Billing histories (seed 002 *II.2*): mass invoicing sent to the OPCO, settlements of expired dossiers, refunds
of credit notes to the OPCO — each filtered by date and state, exported in CSV and XLSX, kept to the scope."""
import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

import models
import rules
from infrastructure import clock
from infrastructure.formatting import montant
from workflows import invoice_workflow
from workflows.credit_notes import create_credit_note, mark_refunded
from tests.factories import comptable

NBSP = "\u00a0"
TODAY = clock.today()


def _csv(response):
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("\ufeff")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def _xlsx(response):
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def _table(page):
    return page.split('id="history"')[1].split("</table>")[0]


# --- mass invoicing ------------------------------------------------------------------------------------------

def _mass_world(factory):
    org = factory.organisation(name="CFA Sud")
    d1, d2 = (factory.dossier(organisation=org, state="engage") for _ in range(2))
    lines = [dict(dossier=d1, nature="teaching", quantity=1, amount=Decimal("1200.00")),
             dict(dossier=d1, nature="meals", quantity=10, amount=Decimal("30.00")),
             dict(dossier=d2, nature="teaching", quantity=1, amount=Decimal("800.00"))]
    sent = invoice_workflow.create_invoice(org, lines, kind="mass", cfa_reference="FAC-MASSE-01",
                                           cfa_invoice_date=dt.date(2026, 2, 27))
    sent = invoice_workflow.validate(sent, comptable())
    draft = invoice_workflow.create_invoice(org, lines[:1], kind="mass", state="brouillon")
    single = invoice_workflow.create_invoice(org, lines[:1], dossier=d1, cfa_reference="FAC-SEULE")
    other = factory.organisation(name="CFA Nord")
    foreign = invoice_workflow.create_invoice(
        other, [dict(dossier=factory.dossier(organisation=other, state="engage"), nature="teaching", quantity=1,
                     amount=Decimal("999.00"))], kind="mass", cfa_reference="FAC-NORD")
    return org, sent, draft, single, foreign


def test_the_mass_invoicing_history_lists_sent_and_draft_invoicings_of_the_organisation(factory, make_client):
    org, sent, draft, single, foreign = _mass_world(factory)
    client = make_client(factory.billing_user(org).email)
    page = client.get("/portail/historiques/facturations").get_data(as_text=True)
    table = _table(page)
    assert sent.display_number in table and draft.display_number in table
    assert "FAC-SEULE" not in table and "FAC-NORD" not in table and foreign.display_number not in table
    row = table.split(sent.display_number)[1].split("</tr>")[0]
    for text in ("Validée", "FAC-MASSE-01", "27/02/2026", f"2{NBSP}030,00{NBSP}€", TODAY.strftime("%d/%m/%Y")):
        assert text in row, text
    assert '<td class="amount">2</td>' in row  # two dossiers
    assert 'id="nav-histories"' in page and 'id="history-tabs"' in page


def test_the_mass_invoicing_history_filters_by_state_and_date_in_the_list_and_the_exports(factory, make_client):
    org, sent, draft, single, foreign = _mass_world(factory)
    client = make_client(factory.billing_user(org).email)
    table = _table(client.get("/portail/historiques/facturations?etat=validee").get_data(as_text=True))
    assert sent.display_number in table and draft.display_number not in table
    tomorrow = (TODAY + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert "Aucune facturation" in client.get(f"/portail/historiques/facturations?du={tomorrow}").get_data(as_text=True)
    today = TODAY.strftime("%d/%m/%Y")
    assert sent.display_number in client.get(f"/portail/historiques/facturations?au={today}").get_data(as_text=True)
    rows = _csv(client.get("/portail/historiques/facturations/export.csv?etat=validee"))
    assert rows[0] == ["N° facture", "État", "Créée le", "Envoyée le", "Référence CFA", "Date de facture", "Dossiers",
                       "Montant HT", "Montant TTC", "Validée le", "Payée le"]
    assert len(rows) == 2
    assert rows[1][0] == sent.display_number and rows[1][1] == "Validée (bon à payer)" and rows[1][4:9] == [
        "FAC-MASSE-01", "27/02/2026", "2", f"2{NBSP}030,00{NBSP}€", f"2{NBSP}030,00{NBSP}€"]
    values = _xlsx(client.get("/portail/historiques/facturations/export.xlsx"))
    assert [v[0] for v in values[1:]] == [draft.display_number, sent.display_number]  # newest first
    assert values[2][6] == 2 and values[2][8] == 2030 and isinstance(values[2][5], dt.datetime)
    assert client.get("/portail/historiques/facturations?etat=inconnu&du=n'importe").status_code == 200


# --- settlements of expired dossiers -----------------------------------------------------------------------

def _ended(factory, org):
    """A 2021-regime dossier whose contract ended three months ago, nothing invoiced."""
    return factory.engaged_dossier(organisation=org, conclusion_date=dt.date(2023, 8, 20),
                                   contract_start=dt.date(2023, 9, 1), contract_end=rules.add_months(TODAY, -3))


def test_the_expired_settlements_history_lists_the_final_balances_declared_with_their_amount(factory, make_client):
    org = factory.organisation(name="CFA Sud")
    dossier = _ended(factory, org)
    left = sum((i.amount for i in models.Installment.select().where(
        (models.Installment.dossier == dossier.id) & (models.Installment.status == "to_invoice"))), Decimal("0.00"))
    assert left > 0
    user = factory.billing_user(org)
    client = make_client(user.email)
    assert client.post_form(f"/portail/echus/{dossier.number}/solde", {"confirm": "1"}).status_code == 302
    other = factory.organisation()
    foreign = _ended(factory, other)
    stranger = make_client(factory.billing_user(other).email)
    assert stranger.post_form(f"/portail/echus/{foreign.number}/solde", {"confirm": "1"}).status_code == 302
    page = client.get("/portail/historiques/soldes-echus").get_data(as_text=True)
    table = _table(page)
    assert dossier.number in table and foreign.number not in table
    row = [r for r in table.split("<tr")[1:] if dossier.number in r][0]
    assert "Solde final déclaré" in row and montant(left) in row
    assert user.last_name in row
    assert "Aucune déclaration" in client.get("/portail/historiques/soldes-echus?etat=certificate").get_data(as_text=True)
    rows = _csv(client.get("/portail/historiques/soldes-echus/export.csv?etat=final_balance"))
    assert rows[0][:5] == ["Déclarée le", "Déclaration", "N° de dossier", "Apprenti(e)", "Montant libéré"]
    assert [r[1:3] for r in rows[1:]] == [["Solde final déclaré", dossier.number]]
    assert rows[1][0].startswith(TODAY.strftime("%d/%m/%Y"))
    values = _xlsx(client.get("/portail/historiques/soldes-echus/export.xlsx"))
    assert values[1][2] == dossier.number and Decimal(str(values[1][4])) == left
    tomorrow = (TODAY + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert len(_csv(client.get(f"/portail/historiques/soldes-echus/export.csv?du={tomorrow}"))) == 1


# --- refunds to the OPCO -----------------------------------------------------------------------------------

def test_the_refunds_history_lists_refund_mode_credit_notes_with_state_and_date_filters(factory, make_client):
    org = factory.organisation(name="CFA Sud", credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage", apprentice_name="MARTIN Léa")
    january = create_credit_note(dossier, "300.00", "rupture", issued_on=dt.date(2026, 1, 5))
    march = create_credit_note(dossier, "120.50", "amendment", issued_on=dt.date(2026, 3, 2))
    mark_refunded(january, comptable())
    deduction_org = factory.organisation(credit_note_mode="deduction")
    deducted = create_credit_note(factory.dossier(organisation=deduction_org, state="engage"), "77.00", "rupture")
    foreign_org = factory.organisation(credit_note_mode="refund")
    foreign = create_credit_note(factory.dossier(organisation=foreign_org, state="engage"), "55.00", "rupture")
    client = make_client(factory.billing_user(org).email)
    table = _table(client.get("/portail/historiques/remboursements").get_data(as_text=True))
    assert "AVCAP PRO-1" in table and "AVCAP PRO-2" in table
    assert deducted.transfer_reference not in table and foreign.transfer_reference not in table
    row = table.split("AVCAP PRO-1")[1].split("</tr>")[0]
    assert "Remboursé" in row and f"300,00{NBSP}€" in row and "05/01/2026" in row and "Rupture" in row
    table = _table(client.get("/portail/historiques/remboursements?etat=a_emettre").get_data(as_text=True))
    assert march.transfer_reference in table and january.transfer_reference not in table
    table = _table(client.get("/portail/historiques/remboursements?du=01/02/2026").get_data(as_text=True))
    assert march.transfer_reference in table and january.transfer_reference not in table
    rows = _csv(client.get("/portail/historiques/remboursements/export.csv?au=31/01/2026"))
    assert rows[0][:4] == ["Avoir", "Référence de virement", "N° de dossier", "Apprenti(e)"]
    assert rows[1:] == [["PRO-1", "AVCAP PRO-1", dossier.number, "MARTIN Léa", "Rupture", "05/01/2026", "20/01/2026",
                         f"300,00{NBSP}€", f"300,00{NBSP}€", "Remboursé", rows[1][10]]]
    assert rows[1][10].startswith(TODAY.strftime("%d/%m/%Y"))
    values = _xlsx(client.get("/portail/historiques/remboursements/export.xlsx"))
    assert [(v[0], v[7]) for v in values[1:]] == [("PRO-2", 120.5), ("PRO-1", 300)]
    assert isinstance(values[1][5], dt.datetime) and values[1][5].date() == dt.date(2026, 3, 2)


def test_the_histories_page_newest_first_by_keyset(factory, make_client, monkeypatch):
    from views.portal import histories

    monkeypatch.setattr(histories, "PER_PAGE", 2)
    org = factory.organisation(credit_note_mode="refund")
    dossier = factory.dossier(organisation=org, state="engage")
    notes = [create_credit_note(dossier, "10.00", "rupture") for _ in range(5)]
    client = make_client(factory.billing_user(org).email)
    seen, url = [], "/portail/historiques/remboursements"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [n.transfer_reference for n in notes if n.transfer_reference + "<" in _table(page)]
        url = page.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&") \
            if 'id="next-page"' in page else None
        assert len(seen) <= 5
    assert sorted(seen) == sorted(n.transfer_reference for n in notes) and len(seen) == 5
    page = client.get(f"/portail/historiques/remboursements?apres={notes[2].number}").get_data(as_text=True)
    assert [n.display_number for n in notes if n.transfer_reference + "<" in _table(page)] == ["PRO-1", "PRO-2"]
    assert 'id="first-page"' in page


def test_without_a_billing_right_no_history(factory, make_client):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    for url in ("/portail/historiques/facturations", "/portail/historiques/soldes-echus",
                "/portail/historiques/remboursements", "/portail/historiques/remboursements/export.xlsx"):
        assert client.get(url).status_code == 403
