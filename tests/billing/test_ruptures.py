"""Rupture: declared from the portal (a fact, no money moves, invoices bounded by its date), confirmed by a
conseiller (schedule, cancellations, credit note, letter), or recorded directly by staff."""
import datetime as dt
import html
import io
from decimal import Decimal

from pypdf import PdfReader

import models
import rules
from infrastructure.formatting import montant

from .test_amendments import money_rows
from .workflow_helpers import installments, invoice_and_pay
from tests.factories import contract, pdf_file

DATA = {"date": "28/02/2026", "reason": "Démission de l'apprentie", "new_contract_date": ""}


def declare(client, dossier, data=DATA):
    return client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", data)


def conseiller(factory, make_client, role="conseiller", **kw):
    return make_client(factory.staff(role, **kw).email)


def confirm(staff, dossier):
    rupture = models.Rupture.get(models.Rupture.dossier == dossier.id)
    return staff.post_form(f"/admin/rupture/{dossier.id}/valider", {"rupture_id": str(rupture.id)})


def declare_and_confirm(factory, make_client, client, dossier, data=DATA):
    assert declare(client, dossier, data).status_code == 302
    assert confirm(conseiller(factory, make_client), dossier).status_code == 302


def text(response):
    return html.unescape(response.get_data(as_text=True))


def setup(factory, make_client, rights=None, **kw):
    org = factory.organisation()
    dossier = factory.engaged_dossier(organisation=org, **kw)
    user = factory.billing_user(org, rights=rights)
    return dossier, make_client(user.email)


def test_the_preview_shows_rules_figures_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture", DATA)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Déclarer la rupture" in html
    for figure in (expected.due, expected.remaining, expected.credit_note, paid):
        assert montant(figure) in html
    assert models.Rupture.select().count() == 0
    assert models.Dossier.get_by_id(dossier.id).rupture_date is None
    assert len(installments(dossier, "cancelled")) == 0


def test_a_declaration_is_recorded_and_changes_no_money(factory, make_client):
    dossier, client = setup(factory, make_client)
    invoice_and_pay(dossier, 1)
    before = money_rows(dossier)
    response = declare(client, dossier)
    assert response.status_code == 302
    assert money_rows(dossier) == before
    rupture = models.Rupture.get()
    assert (rupture.state, rupture.date, rupture.declared_by_id) == ("declaree", dt.date(2026, 2, 28),
                                                                      rupture.declared_by_id)
    assert rupture.declared_by_id is not None and rupture.confirmed_by_id is None
    assert ("rupture", "create") in {(a.entity, a.action) for a in models.AuditEntry.select()}
    page = text(client.get(f"/portail/dossiers/{dossier.number}"))
    assert "Rupture au 28/02/2026" in page and "Déclarée par le CFA" in page


def test_a_second_declaration_while_one_waits_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    assert declare(client, dossier).status_code == 302
    response = declare(client, dossier, dict(DATA, date="31/03/2026"))
    assert response.status_code == 400 and "attend la confirmation de l'OPCO" in text(response)
    amendment = client.post_form(f"/portail/dossiers/{dossier.number}/avenant",
                                 {"new_end": "28/02/2027", "reason": "x"})
    assert amendment.status_code == 400 and "attend la confirmation de l'OPCO" in text(amendment)
    assert models.Rupture.select().count() == 1


def test_confirming_updates_the_schedule_and_records_everything(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 1)
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    declare_and_confirm(factory, make_client, client, dossier)
    dossier = models.Dossier.get_by_id(dossier.id)
    assert dossier.rupture_date == dt.date(2026, 2, 28)
    assert dossier.total_financed == expected.due_gross and dossier.employer_share == expected.employer_share
    live = [i for i in installments(dossier) if i.status != "cancelled"]
    assert sum(i.amount for i in live) == expected.due
    assert all(i.billable_from <= expected.financing_end for i in live)
    assert installments(dossier, "cancelled")
    rupture = models.Rupture.get()
    assert (rupture.due, rupture.credit_note_amount, rupture.reason) == (expected.due, Decimal("0.00"),
                                                                          "Démission de l'apprentie")
    assert rupture.state == "confirmee" and rupture.confirmed_by_id is not None
    assert models.Letter.select().where((models.Letter.dossier == dossier.id)
                                        & (models.Letter.kind == "rupture")).count() == 1
    notes = [n.message for n in models.Notification.select().where(models.Notification.dossier == dossier.id)]
    assert any("confirmée au 28/02/2026" in n for n in notes)
    actions = {(a.entity, a.action) for a in models.AuditEntry.select()}
    assert {("dossier", "record_rupture"), ("rupture", "create"), ("rupture", "confirm"),
            ("installment", "reschedule")} <= actions
    assert models.CreditNote.select().count() == 0


def test_an_early_rupture_after_payments_creates_a_credit_note(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    data = dict(DATA, date="15/10/2025")
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2025, 10, 15), paid=paid))
    assert expected.credit_note > 0
    assert declare(client, dossier, data).status_code == 302
    assert models.CreditNote.select().count() == 0
    assert confirm(conseiller(factory, make_client), dossier).status_code == 302
    note = models.CreditNote.get()
    assert (note.amount, note.reason, note.dossier_id) == (expected.credit_note, "rupture", dossier.id)
    assert models.Rupture.get().credit_note_amount == expected.credit_note


def test_a_stock_contract_rupture_gives_no_credit_note(factory, make_client):
    dossier, client = setup(factory, make_client, rights=["right_stock", "right_stock_billing"], is_stock=True,
                             conclusion_date=dt.date(2019, 6, 1), contract_start=dt.date(2019, 7, 1),
                             contract_end=dt.date(2021, 6, 30))
    invoice_and_pay(dossier, 3)
    declare_and_confirm(factory, make_client, client, dossier, dict(DATA, date="15/01/2020"))
    assert models.CreditNote.select().count() == 0 and models.Rupture.select().count() == 1


def test_posted_figures_are_ignored_and_recomputed_on_confirmation(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    tampered = dict(DATA, due="1.00", credit_note="99999.00", remaining="0", paid="0")
    declare(client, dossier, tampered)
    staff = conseiller(factory, make_client)
    rupture = models.Rupture.get()
    staff.post_form(f"/admin/rupture/{dossier.id}/valider", {"rupture_id": str(rupture.id), "due": "1.00"})
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    rupture = models.Rupture.get()
    assert rupture.due == expected.due and rupture.credit_note_amount == expected.credit_note


def test_a_rupture_date_outside_the_contract_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    for day in ("31/08/2025", "01/09/2027"):
        for url in (f"/portail/dossiers/{dossier.number}/rupture", f"/portail/dossiers/{dossier.number}/rupture/confirmer"):
            response = client.post_form(url, dict(DATA, date=day))
            assert response.status_code == 400
            assert "doit être comprise dans le contrat" in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 0 and models.Dossier.get_by_id(dossier.id).rupture_date is None


def test_an_unreadable_date_or_missing_reason_is_redisplayed_with_a_message(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture", dict(DATA, date="31/02/2026", reason=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Date invalide" in html and "Indiquez le motif" in html and 'value="31/02/2026"' in html


def test_a_new_contract_before_the_rupture_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture",
                                dict(DATA, continues_at_cfa="y", new_contract_date="01/02/2026"))
    assert response.status_code == 400
    assert "après la date de rupture" in response.get_data(as_text=True)


def test_continuation_at_the_cfa_extends_the_financing_in_the_preview(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture",
                                dict(DATA, continues_at_cfa="y", new_contract_date="01/05/2026"))
    expected = rules.settle_rupture(contract(), rules.RuptureInput(
        date=dt.date(2026, 2, 28), continues_at_cfa=True, new_contract=dt.date(2026, 5, 1)))
    html = response.get_data(as_text=True)
    assert expected.financing_end == dt.date(2026, 4, 30)
    assert "30/04/2026" in html and montant(expected.due) in html


def test_a_dossier_not_engaged_cannot_be_ruptured(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="en_instruction")
    client = make_client(factory.billing_user(org).email)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA)
    assert response.status_code == 400 and "Seul un dossier engagé" in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 0


def test_a_second_rupture_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    declare_and_confirm(factory, make_client, client, dossier)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA)
    assert response.status_code == 400 and "déjà enregistrée" in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 1


def test_a_user_without_a_contracts_right_gets_403(factory, make_client):
    dossier, client = setup(factory, make_client, rights=["right_no_contract"])
    assert client.get(f"/portail/dossiers/{dossier.number}/rupture").status_code == 403
    assert client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA).status_code == 403
    assert models.Rupture.select().count() == 0


def test_another_organisations_dossier_is_not_found(factory, make_client):
    dossier = factory.engaged_dossier()
    client = make_client(factory.billing_user(factory.organisation()).email)
    assert client.get(f"/portail/dossiers/{dossier.number}/rupture").status_code == 404
    assert client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA).status_code == 404
    assert models.Rupture.select().count() == 0


def test_anonymous_users_are_sent_to_the_login_page(client, factory):
    dossier = factory.engaged_dossier()
    response = client.get(f"/portail/dossiers/{dossier.number}/rupture")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_form_page_renders(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.get(f"/portail/dossiers/{dossier.number}/rupture")
    assert response.status_code == 200 and "Déclarer une rupture" in response.get_data(as_text=True)


# --- invoices are bounded by the declared date ---------------------------------------------------------

def send_reimbursement(client, dossier, period_end):
    body = {"period_start": "01/09/2025", "period_end": period_end, "teaching_amount": "500,00", "terms": "y",
            "invoice_pdf": pdf_file("facture.pdf")}
    return client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", body,
                            content_type="multipart/form-data")


def test_after_a_declaration_no_reimbursement_request_may_cover_a_later_period(factory, make_client):
    dossier, client = setup(factory, make_client)
    assert declare(client, dossier, dict(DATA, date="31/10/2025")).status_code == 302
    response = send_reimbursement(client, dossier, "28/02/2026")
    page = text(response)
    assert response.status_code == 400 and 'data-rule="period_after_declared_rupture"' in page
    assert "après la rupture du contrat déclarée au 31/10/2025" in page
    assert "aucune facture ne peut couvrir une période postérieure à la date de rupture déclarée" in page
    assert models.Invoice.select().count() == 0
    assert send_reimbursement(client, dossier, "31/10/2025").status_code == 302
    assert models.Invoice.select().count() == 1


def test_a_mass_invoice_prepared_before_a_declaration_is_refused_when_sent(factory, make_client):
    from .test_mass_invoicing import first_open, send_data, start_draft

    dossier, client = setup(factory, make_client)
    invoice = start_draft(client, [dossier])
    item = first_open(dossier)
    assert item.period_end > dt.date(2025, 10, 31)
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                                {f"inst-{dossier.id}": [item.id], "action": "next"})
    assert response.status_code == 302
    assert declare(client, dossier, dict(DATA, date="31/10/2025")).status_code == 302
    response = client.post_form(f"/portail/facturation/{invoice.id}/envoi", send_data(),
                                content_type="multipart/form-data")
    assert response.status_code == 400
    assert "après la rupture du contrat déclarée au 31/10/2025" in text(response)
    assert models.Invoice.get_by_id(invoice.id).state == "brouillon"
    assert models.InvoiceLine.select().where(models.InvoiceLine.invoice == invoice.id).count() == 0
    again = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                             {f"inst-{dossier.id}": [item.id], "action": "next"})
    assert again.status_code == 400 and "déclarée au 31/10/2025" in text(again)


# --- back office -------------------------------------------------------------------------------------

def staff_client(factory, make_client, role="conseiller"):
    return make_client(factory.staff(role).email)


def test_the_conseiller_sees_declared_ruptures_with_the_preview(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    declare(client, dossier)
    staff = staff_client(factory, make_client)
    listing = text(staff.get("/admin/rupture/"))
    assert "Ruptures déclarées à confirmer" in listing and dossier.number in listing
    assert f"/admin/rupture/{dossier.id}/declaration" in listing
    details = staff.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/rupture/{dossier.id}/declaration" in details
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    page = text(staff.get(f"/admin/rupture/{dossier.id}/declaration"))
    assert "Confirmer la rupture" in page and "Démission de l'apprentie" in page
    for figure in (expected.due, expected.remaining, paid):
        assert montant(figure) in page
    assert models.Rupture.get().state == "declaree"


def test_a_comptable_or_a_cfa_user_may_not_confirm(factory, make_client):
    dossier, client = setup(factory, make_client)
    declare(client, dossier)
    before = money_rows(dossier)
    rupture = models.Rupture.get()
    comptable = staff_client(factory, make_client, "comptable")
    assert comptable.get("/admin/rupture/").status_code == 403
    assert comptable.get(f"/admin/rupture/{dossier.id}/declaration").status_code == 403
    for who in (comptable, client):
        response = who.post_form(f"/admin/rupture/{dossier.id}/valider", {"rupture_id": str(rupture.id)})
        assert response.status_code == 403
    assert models.Rupture.get().state == "declaree" and money_rows(dossier) == before


def test_confirming_twice_or_another_declaration_changes_nothing_more(factory, make_client):
    dossier, client = setup(factory, make_client)
    declare(client, dossier)
    rupture = models.Rupture.get()
    staff = staff_client(factory, make_client)
    stale = staff.post_form(f"/admin/rupture/{dossier.id}/valider", {"rupture_id": str(rupture.id + 1)})
    assert stale.status_code == 302 and models.Rupture.get().state == "declaree"
    assert confirm(staff, dossier).status_code == 302
    again = staff.post_form(f"/admin/rupture/{dossier.id}/valider", {"rupture_id": str(rupture.id)})
    assert again.status_code == 302
    assert models.Letter.select().where(models.Letter.kind == "rupture").count() == 1
    assert models.AuditEntry.select().where(models.AuditEntry.action == "confirm").count() == 1


def test_a_conseiller_records_a_rupture_from_the_back_office_with_a_preview(factory, make_client):
    dossier = factory.engaged_dossier()
    _, paid = invoice_and_pay(dossier, 2)
    client = staff_client(factory, make_client)
    assert client.get(f"/admin/rupture/{dossier.id}/").status_code == 200
    expected = rules.settle_rupture(contract(),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    preview = client.post_form(f"/admin/rupture/{dossier.id}/", DATA)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and montant(expected.due) in html and "Confirmer la rupture" in html
    assert models.Rupture.select().count() == 0
    response = client.post_form(f"/admin/rupture/{dossier.id}/confirmer", dict(DATA, due="0.01"))
    assert response.status_code == 302 and f"/admin/dossier/details/?id={dossier.id}" in response.headers["Location"]
    rupture = models.Rupture.get()
    assert rupture.due == expected.due and rupture.declared_by_id is not None
    assert rupture.state == "confirmee" and rupture.confirmed_by_id == rupture.declared_by_id
    assert {("rupture", "create"), ("rupture", "confirm")} <= {(a.entity, a.action)
                                                                    for a in models.AuditEntry.select()}
    assert models.Letter.select().where(models.Letter.kind == "rupture").count() == 1


def test_back_office_refusals(factory, make_client):
    dossier = factory.engaged_dossier()
    client = staff_client(factory, make_client)
    response = client.post_form(f"/admin/rupture/{dossier.id}/confirmer", dict(DATA, date="01/01/2030"))
    assert response.status_code == 400 and "doit être comprise dans le contrat" in response.get_data(as_text=True)
    assert client.get("/admin/rupture/999999/").status_code == 404
    comptable = staff_client(factory, make_client, "comptable")
    assert comptable.get(f"/admin/rupture/{dossier.id}/").status_code == 403
    assert comptable.post_form(f"/admin/rupture/{dossier.id}/confirmer", DATA).status_code == 403
    cfa = make_client(factory.billing_user(dossier.organisation).email)
    assert cfa.post_form(f"/admin/rupture/{dossier.id}/confirmer", DATA).status_code == 403
    assert models.Rupture.select().count() == 0


# --- the letter's signature (issue 9, item 16) ---------------------------------------------------------

def letter_text(client, dossier):
    """The rupture letter as the CFA downloads it from its dossier page, as text."""
    letter = models.Letter.get((models.Letter.dossier == dossier.id) & (models.Letter.kind == "rupture"))
    response = client.get(f"/portail/dossiers/{dossier.number}/courriers/{letter.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def test_the_rupture_letter_is_signed_by_the_advisor_in_charge_not_by_the_cfa_user(factory, make_client):
    org = factory.organisation()
    advisor = factory.staff("conseiller", first_name="Sophie", last_name="Martin")
    dossier = factory.engaged_dossier(organisation=org, advisor=advisor)
    cfa_user = factory.cfa_user(organisation=org, role="gestionnaire_of", first_name="Karim", last_name="Lenoir",
                                rights=["right_contracts"])
    cfa = make_client(cfa_user.email)
    assert declare(cfa, dossier).status_code == 302
    other = staff_client(factory, make_client)  # a colleague confirms while the advisor is away
    assert confirm(other, dossier).status_code == 302
    signed = letter_text(cfa, dossier)
    assert "Sophie Martin, conseiller(ère) en charge du dossier" in signed
    assert "Karim" not in signed and "Lenoir" not in signed


def test_without_an_advisor_in_charge_the_letter_is_signed_by_the_opco(factory, make_client):
    dossier, client = setup(factory, make_client, advisor=None)
    declare_and_confirm(factory, make_client, client, dossier)
    signed = letter_text(client, dossier)
    assert "OPCO Avenir Compétences" in signed and "conseiller(ère) en charge" not in signed


def test_the_demo_holds_a_declared_rupture_and_an_amendment_request_waiting(demo, make_client):
    rupture = models.Rupture.get(models.Rupture.state == "declaree")
    amendment = models.Amendment.get(models.Amendment.state == "deposee")
    assert models.Rupture.select().where(models.Rupture.state == "confirmee").count() == 1
    staff = make_client("conseiller@opco.test")
    assert rupture.dossier.number in staff.get("/admin/rupture/").get_data(as_text=True)
    assert amendment.dossier.number in staff.get("/admin/avenant/").get_data(as_text=True)
    page = staff.get(f"/admin/rupture/{rupture.dossier_id}/declaration")
    assert page.status_code == 200 and "Confirmer la rupture" in page.get_data(as_text=True)
    page = staff.get(f"/admin/avenant/{amendment.dossier_id}/demande")
    assert page.status_code == 200 and "Accorder l" in page.get_data(as_text=True)
