"""The back office speaks French end to end: Flask-Admin's own widgets, dates typed jj/mm/aaaa, codes by their
French label, typed XLSX exports, and an audit log that reads as « label : before → after »."""
import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

import models
from views.admin import audit_display
from workflows.audit import record

NBSP = "\u00a0"


@pytest.fixture
def admin(make_client, factory):
    return make_client(factory.staff(role="admin").email)


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_back_office_list_shows_flask_admin_in_french(admin, factory):
    factory.dossier(state="engage", total_financed=Decimal("26247"), subrogated=True)
    html = admin.get("/admin/dossier/").get_data(as_text=True)
    text = _text(html)
    assert "25 articles" in text and "50 articles" in text and "100 articles" in text
    assert "Ajouter un filtre" in text and "Appliquer" in html
    for english in (" items", "Add Filter", "Apply", "Save", "Delete", "Cancel", "Search"):
        assert english not in text, english
    # codes, amounts and dates through the one formatting layer
    assert "Engagé" in text and "Apprentissage" in text and f"26{NBSP}247,00{NBSP}€" in html
    assert "01/09/2025" in text and "2025-09-01" not in text
    # the date picker: French buttons, days and months, Monday first
    assert "applyLabel: 'Appliquer'" in html and "cancelLabel: 'Annuler'" in html and "janvier_février" in html


def test_a_back_office_form_is_french_with_a_jj_mm_aaaa_date_picker(admin):
    html = admin.get("/admin/npecreference/new/").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="applicable_from"[^>]*>', html).group(0)
    assert 'data-date-format="DD/MM/YYYY"' in field and 'placeholder="jj/mm/aaaa"' in field
    assert 'value="Enregistrer"' in html and "Save" not in _text(html)


NPEC_FORM = {"rncp_code": "RNCP35320", "cpne_code": "0042", "npec": "7500", "status": "CPNE"}


def test_a_back_office_form_takes_a_date_typed_jj_mm_aaaa(admin, db):
    response = admin.post_form("/admin/npecreference/new/", {**NPEC_FORM, "applicable_from": "15/03/2026"})
    assert response.status_code == 302
    row = models.NpecReference.get(models.NpecReference.cpne_code == "0042")
    assert row.applicable_from == dt.date(2026, 3, 15)
    assert "15/03/2026" in admin.get("/admin/npecreference/").get_data(as_text=True)
    edit = admin.get(f"/admin/npecreference/edit/?id={row.id}").get_data(as_text=True)
    assert re.search(r'id="applicable_from"[^>]*value="15/03/2026"', edit)


@pytest.mark.parametrize("typed", ["2026-13-45", "31/02/2026", "15 mars"])
def test_a_bad_date_is_refused_in_french_and_shown_again(admin, db, typed):
    response = admin.post_form("/admin/npecreference/new/", {**NPEC_FORM, "applicable_from": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Date invalide : saisissez-la au format jj/mm/aaaa." in html
    assert re.search(r'id="applicable_from"[^>]*value="' + re.escape(typed) + '"', html)
    assert not models.NpecReference.select().exists()


def _invoice(factory, amount, period_start):
    dossier = factory.dossier(state="engage", subrogated=True)
    return models.Invoice.create(organisation=dossier.organisation, dossier=dossier, kind="reimbursement",
                                 state="en_traitement", number=dossier.id, period_start=period_start,
                                 period_end=period_start + dt.timedelta(days=30), total_ht=amount, total_ttc=amount)


def test_the_back_office_xlsx_export_has_numbers_and_dates_that_excel_can_sum(admin, factory):
    _invoice(factory, Decimal("1234.56"), dt.date(2026, 1, 1))
    _invoice(factory, Decimal("26247.00"), dt.date(2026, 2, 1))
    sheet = load_workbook(io.BytesIO(admin.get("/admin/invoice/export/xlsx/").get_data())).active
    header = [cell.value for cell in sheet[1]]
    total = header.index("Total TTC") + 1
    start = header.index("Début de période") + 1
    amounts = [sheet.cell(row=r, column=total) for r in range(2, sheet.max_row + 1)]
    assert all(cell.data_type == "n" and "€" in cell.number_format for cell in amounts)
    assert sum(Decimal(str(cell.value)) for cell in amounts) == Decimal("27481.56")
    starts = [sheet.cell(row=r, column=start) for r in range(2, sheet.max_row + 1)]
    assert all(isinstance(cell.value, dt.datetime) and cell.number_format == "DD/MM/YYYY" for cell in starts)
    assert {cell.value.date() for cell in starts} == {dt.date(2026, 1, 1), dt.date(2026, 2, 1)}
    assert "En cours de traitement" in [cell.value for cell in sheet[2]]


def test_the_back_office_csv_export_writes_the_french_formats(admin, factory):
    _invoice(factory, Decimal("26247.00"), dt.date(2026, 2, 1))
    body = admin.get("/admin/invoice/export/csv/").get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))[:2]
    values = dict(zip(header, row))
    assert values["Total TTC"] == f"26{NBSP}247,00{NBSP}€"
    assert values["Début de période"] == "01/02/2026" and values["État"] == "En cours de traitement"


def test_the_portal_xlsx_export_has_typed_amounts_and_dates(make_client, factory):
    org = factory.organisation()
    client = make_client(factory.cfa_user(organisation=org).email)
    factory.dossier(organisation=org, total_financed=Decimal("14600.05"))
    sheet = load_workbook(io.BytesIO(client.get("/portail/dossiers/export.xlsx").get_data())).active
    start, end, total = (sheet.cell(row=2, column=c) for c in (10, 11, 12))
    assert total.data_type == "n" and float(total.value) == 14600.05 and "€" in total.number_format
    assert start.value.date() == dt.date(2025, 9, 1) and start.number_format == "DD/MM/YYYY"
    assert end.value.date() == dt.date(2027, 8, 31)


def test_the_audit_log_shows_who_when_what_as_a_readable_diff(admin, factory, db):
    row = models.NpecReference.create(rncp_code="RNCP35320", cpne_code="0042", npec=Decimal("7000"),
                                      applicable_from=dt.date(2025, 1, 1))
    response = admin.post_form(f"/admin/npecreference/edit/?id={row.id}",
                               {**NPEC_FORM, "npec": "7500", "applicable_from": "15/03/2026"})
    assert response.status_code == 302
    html = admin.get("/admin/auditentry/").get_data(as_text=True)
    text = _text(html).replace(NBSP, " ")
    assert "Référentiel NPEC" in text and "Modification" in text
    assert "NPEC annuel : 7 000,00 € → 7 500,00 €" in text
    assert "Applicable à partir du : 01/01/2025 → 15/03/2026" in text
    assert '"npec"' not in html and "7500.00" not in html  # no raw JSON
    exported = admin.get("/admin/auditentry/export/csv/").get_data(as_text=True).replace(NBSP, " ")
    assert "NPEC annuel : 7 000,00 € → 7 500,00 €" in exported
    entry = models.AuditEntry.select().order_by(models.AuditEntry.id.desc()).first()
    details = _text(admin.get(f"/admin/auditentry/details/?id={entry.id}").get_data(as_text=True))
    assert "NPEC annuel : 7 000,00 € → 7 500,00 €" in details.replace(NBSP, " ")


def test_an_unknown_action_code_is_shown_as_it_is(admin, factory, db):
    dossier = factory.dossier()
    record("Dossier", dossier.id, "a_code_not_yet_labelled", {"state": "recu", "subrogated": False},
           {"state": "en_instruction", "subrogated": True})
    record("Organisation", dossier.organisation_id, "update", {"name": "Avant"}, {"name": "<script>alert(1)</script>"})
    html = admin.get("/admin/auditentry/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    text = _text(html)
    assert "a_code_not_yet_labelled" in text
    assert "État : Reçu → En instruction" in text and "Subrogé : Non → Oui" in text


def test_every_model_has_a_french_entity_name_and_entity_spellings_agree():
    unnamed = [m.__name__ for m in models.MODELS if m.__name__.lower().replace("_", "") not in
               audit_display.ENTITY_LABELS]
    assert unnamed == []
    assert {audit_display.entity_label(name) for name in ("BankDetails", "bank_details", "bankdetails")} == {"RIB"}
    assert audit_display.entity_label("CreditNote") == "Avoir" and audit_display.entity_label("invoice") == "Facture"
    assert audit_display.entity_label("something_else") == "something_else"
    assert audit_display.action_label("approve", "delegation") == "Approuver" and audit_display.action_label("zzz") == "zzz"
    assert audit_display.action_label("update", "dossier") == "Modification"


def test_a_creation_and_a_deletion_read_from_and_to_nothing():
    labels = {"amount": "Montant", "state": "État", "total_ttc": "Total TTC", "period_start": "Début de période"}
    created = audit_display.changes("CreditNote", None, {"amount": "150.00", "state": "a_emettre"}, labels)
    assert [(c.field, c.before, c.after) for c in created] == [
        ("Montant", "—", f"150,00{NBSP}€"), ("État", "—", "À émettre (pro forma générée)")]
    deleted = audit_display.changes_text("Invoice", {"total_ttc": "-12.50", "period_start": "2026-03-15"}, None,
                                         labels)
    assert deleted == f"Total TTC : -12,50{NBSP}€ → — ; Début de période : 15/03/2026 → —"
