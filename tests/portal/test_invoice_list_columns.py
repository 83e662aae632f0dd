"""*Mes factures* (seed 002 *Factures enregistrées*, seed 004): the columns with their figures, sorts by amount and
invoice date walked through the real links, type filter, tabs Toutes / Payées, the capped count, CSV and XLSX
exports honouring the filters; and *Déposer une pièce complémentaire* in every open state of an invoice."""
import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

import models
from tests.factories import comptable, make_invoice, pdf_file
from tests.portal.test_invoice_list_pages import _link
from tests.querycount import count_queries
from workflows import invoice_workflow as workflow

NBSP = "\u00a0"


def _ids(page_html):
    return [int(i) for i in re.findall(r'<tr><td><a href="/portail/factures/(\d+)"', page_html)]


def _walk(client, url, db):
    """Every page from `url` by "Suivant", then back by "Précédent": (pages forward, pages backward, queries)."""
    pages, counts = [], []
    while url:
        with count_queries(db) as sql:
            page_html = client.get(url).get_data(as_text=True)
        counts.append(len(sql))
        pages.append(_ids(page_html))
        url = _link(page_html, "Suivant")
    back, url = [], _link(page_html, "Précédent")
    while url:
        page_html = client.get(url).get_data(as_text=True)
        back.append(_ids(page_html))
        url = _link(page_html, "Précédent")
    return pages, back, counts


@pytest.fixture
def known(factory, org):
    """One paid invoice with every column filled, of CFA Sud."""
    dossier = factory.engaged_dossier(org)
    inv = make_invoice(org, dossier, amount="2800.00")
    models.Invoice.update(cfa_reference="FAC-2025-09", cfa_invoice_date=dt.date(2025, 9, 5),
                          total_ht=Decimal("2800.00"), total_ttc=Decimal("3360.00")).where(
        models.Invoice.id == inv.id).execute()
    factory.approved_bank(org)
    from workflows.payments import record_payment
    payment, _ = record_payment(org, [workflow.validate(inv, comptable()).id], "pay-known", user=comptable(),
                                date=dt.date(2025, 10, 2))
    return models.Invoice.get_by_id(inv.id), dossier, payment


def test_the_list_shows_type_amounts_reference_and_every_date_with_the_payment_reference(sud_client, known):
    inv, dossier, payment = known
    page = sud_client.get("/portail/factures").get_data(as_text=True).replace(NBSP, " ")
    for header in ("Type", "Montant HT", "Montant TTC", "Référence", "Date de facture", "Reçue le", "Validée le",
                   "Payée le", "Réf. règlement"):
        assert header in page
    row = re.search(r'<tr><td><a href="/portail/factures/%d">.*?</tr>' % inv.id, page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    today = dt.date.today().strftime("%d/%m/%Y")
    assert cells[:6] == [inv.display_number, "Demande de remboursement", dossier.number, "FAC-2025-09", "05/09/2025",
                         inv.submitted_at.strftime("%d/%m/%Y")]
    assert cells[7:12] == ["2 800,00 €", "3 360,00 €", inv.validated_at.strftime("%d/%m/%Y"),
                           inv.paid_at.strftime("%d/%m/%Y"), payment.reference]
    assert "Payée" in cells[6] and today  # the state's badge
    assert 'id="invoice-count">1 facture<' in page
    detail = sud_client.get(f"/portail/factures/{inv.id}").get_data(as_text=True).replace(NBSP, " ")
    assert f'id="payment-reference">{payment.reference}<' in detail and 'id="amount-ttc">3 360,00 €<' in detail


def _many(org, dossier, count, first=5000, **values):
    rows = [dict(organisation=org.id, dossier=dossier.id, number=first + i, state="en_traitement",
                 total_ht=Decimal(100 + (i * 37) % 50), total_ttc=Decimal(100 + (i * 37) % 50),
                 cfa_invoice_date=dt.date(2025, 1, 1) + dt.timedelta(days=(i * 7) % 40), **values)
            for i in range(count)]
    models.Invoice.insert_many(rows).execute()
    return list(models.Invoice.select().where(models.Invoice.organisation == org.id).order_by(models.Invoice.id))


@pytest.mark.parametrize("sort, order", [("montant", ""), ("montant", "asc"), ("date", ""), ("date", "asc")])
def test_the_sorts_walk_every_invoice_once_in_order_both_ways_at_a_constant_cost(sud_client, factory, org, db, sort,
                                                                                  order):
    dossier = factory.dossier(organisation=org)
    made = _many(org, dossier, 110)
    undated = models.Invoice.create(organisation=org, dossier=dossier, kind="mass", state="brouillon")  # a draft
    other = factory.organisation()
    models.Invoice.create(organisation=other, dossier=factory.dossier(organisation=other), number=1,
                          state="en_traitement", total_ttc=Decimal("120"), cfa_invoice_date=dt.date(2025, 1, 3))
    pages, back, counts = _walk(sud_client, f"/portail/factures?tri={sort}" + (f"&ordre={order}" if order else ""), db)
    column = "total_ttc" if sort == "montant" else "cfa_invoice_date"
    ascending = order == "asc"
    if sort == "montant":  # a draft is worth 0 €: first upwards, last downwards
        made.append(models.Invoice.get_by_id(undated.id))
    dated = sorted(made, key=lambda r: (getattr(r, column), r.id), reverse=not ascending)
    expected = [r.id for r in dated] + ([undated.id] if sort == "date" else [])  # the undated last, either way
    assert [len(p) for p in pages] == [50, 50, 11] and sum(pages, []) == expected
    assert back == pages[-2::-1]
    assert len(set(counts[:2])) == 1, counts  # page 2 costs what page 1 does


def test_the_type_filter_the_paid_tab_and_the_state_filter_follow_the_pages(sud_client, factory, org):
    dossier = factory.dossier(organisation=org)
    made = _many(org, dossier, 60)
    models.Invoice.update(kind="mass").where(models.Invoice.id.in_([r.id for r in made[:55]])).execute()
    models.Invoice.update(state="payee").where(models.Invoice.id.in_([r.id for r in made[50:]])).execute()
    first = sud_client.get("/portail/factures?type=mass").get_data(as_text=True)
    assert "type=mass" in _link(first, "Suivant") and 'id="invoice-count">55 factures<' in first
    second = sud_client.get(_link(first, "Suivant")).get_data(as_text=True)
    assert _ids(first) + _ids(second) == [r.id for r in made[:55]][::-1]
    paid = sud_client.get("/portail/factures?onglet=payees").get_data(as_text=True)
    assert _ids(paid) == [r.id for r in made[50:]][::-1] and 'id="invoice-count">10 factures<' in paid
    assert 'class="nav-link active" href="/portail/factures?onglet=payees"' in paid
    both = sud_client.get("/portail/factures?onglet=payees&type=reimbursement").get_data(as_text=True)
    assert _ids(both) == [r.id for r in made[55:]][::-1]
    assert _ids(sud_client.get("/portail/factures?state=payee&type=mass").get_data(as_text=True)) == \
        [r.id for r in made[50:55]][::-1]
    for bad in ("?tri=total_ttc", "?ordre=x", "?type=x&onglet=y", "?tri=date&apres=2025-13-01~5",
                "?tri=montant&apres=abc~1", "?tri=montant&avant=~x", "?apres=1~2"):
        assert sud_client.get("/portail/factures" + bad).status_code == 200


def test_the_count_is_exact_up_to_a_thousand_then_says_more_than_a_thousand(sud_client, factory, org):
    dossier = factory.dossier(organisation=org)
    _many(org, dossier, 1000)
    assert 'id="invoice-count">1000 factures<' in sud_client.get("/portail/factures").get_data(as_text=True)
    _many(org, dossier, 1, first=9000)
    assert 'id="invoice-count">plus de 1 000 factures<' in sud_client.get("/portail/factures").get_data(as_text=True)


def test_the_csv_and_xlsx_exports_honour_the_filters_with_french_formats_and_typed_cells(sud_client, known, factory,
                                                                                         org):
    inv, dossier, payment = known
    other = make_invoice(org, dossier, amount="10.00")  # en traitement: out of the "Payées" tab
    response = sud_client.get("/portail/factures/export.csv?onglet=payees")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["N° facture", "Type", "Dossier", "Référence CFA", "Date de facture"]
    assert [r[0] for r in rows[1:]] == [inv.display_number]
    line = dict(zip(rows[0], rows[1]))
    assert line["Montant HT"] == f"2{NBSP}800,00{NBSP}€" and line["Montant TTC"] == f"3{NBSP}360,00{NBSP}€"
    assert line["Date de facture"] == "05/09/2025" and line["Référence règlement"] == payment.reference
    assert line["Payée le"] == inv.paid_at.strftime("%d/%m/%Y") and line["État"] == "Payée"
    everything = sud_client.get("/portail/factures/export.csv").get_data().decode("utf-8-sig")
    assert other.display_number in everything
    xlsx = sud_client.get("/portail/factures/export.xlsx?onglet=payees")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    header, *data = list(sheet.iter_rows(values_only=True))
    assert len(data) == 1
    values = dict(zip(header, data[0]))
    assert values["N° facture"] == inv.display_number and values["Montant TTC"] == 3360
    assert isinstance(values["Montant HT"], (int, float)) and values["Montant HT"] == 2800
    assert values["Date de facture"] == dt.datetime(2025, 9, 5)  # a date cell (openpyxl reads it as datetime)
    assert isinstance(values["Payée le"], dt.datetime)
    cells = {c.column_letter: c for c in next(sheet.iter_rows(min_row=2, max_row=2))}
    assert "€" in cells["I"].number_format and cells["E"].is_date


# --- Déposer une pièce complémentaire -------------------------------------------------------------------------------

@pytest.mark.parametrize("state, after", [("en_traitement", "en_traitement"), ("validee", "validee"),
                                          ("en_attente", "en_traitement")])
def test_a_supplementary_document_is_taken_in_every_open_state(sud_client, factory, org, state, after):
    inv = make_invoice(org, factory.engaged_dossier(org), state=state)
    response = sud_client.post_form(f"/portail/factures/{inv.id}/document",
                                    {"doc_type": "certificat", "document": pdf_file("certificat.pdf")},
                                    content_type="multipart/form-data")
    assert response.status_code == 302
    assert models.Invoice.get_by_id(inv.id).state == after
    doc = models.Document.get(models.Document.invoice == inv.id)
    assert (doc.doc_type, doc.original_name) == ("certificat", "certificat.pdf")
    last = models.InvoiceEvent.select().where(models.InvoiceEvent.invoice == inv.id).order_by(
        models.InvoiceEvent.id.desc()).first()
    assert last.state == after and "certificat.pdf" in last.note
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "document")
                                            & (models.AuditEntry.entity_id == str(doc.id))).exists()
    page = sud_client.get(f"/portail/factures/{inv.id}").get_data(as_text=True)
    assert "certificat.pdf" in page and "Pièce complémentaire ajoutée" in page or after != state


@pytest.mark.parametrize("state", ["payee", "rejetee"])
def test_a_supplementary_document_is_refused_on_a_closed_invoice(sud_client, factory, org, state):
    inv = make_invoice(org, factory.engaged_dossier(org), state=state)
    response = sud_client.post_form(f"/portail/factures/{inv.id}/document",
                                    {"doc_type": "justificatif", "document": pdf_file("piece.pdf")},
                                    content_type="multipart/form-data")
    assert response.status_code == 409
    assert "on ne peut plus y ajouter de pièce" in response.get_data(as_text=True).replace("&#39;", "'")
    assert models.Document.select().where(models.Document.invoice == inv.id).count() == 0
    assert models.Invoice.get_by_id(inv.id).state == state


def test_a_supplementary_document_is_refused_on_a_draft(sud_client, org):
    draft = models.Invoice.create(organisation=org, kind="mass", state="brouillon")
    response = sud_client.post_form(f"/portail/factures/{draft.id}/document",
                                    {"doc_type": "justificatif", "document": pdf_file("piece.pdf")},
                                    content_type="multipart/form-data")
    assert response.status_code == 409 and models.Document.select().count() == 0
