"""Rupture from the portal: preview equal to rules.settle_rupture, confirmation recomputed server-side, refusals."""
import datetime as dt
from decimal import Decimal

import models
import rules
from services.dossier_rules import contract_from_dossier
from services.formatting import montant

from .workflow_helpers import billing_user, engaged, installments, invoice_and_pay

DATA = {"date": "28/02/2026", "reason": "Démission de l'apprentie", "new_contract_date": ""}


def setup(factory, make_client, rights=None, **kw):
    org = factory.organisation()
    dossier = engaged(factory, organisation=org, **kw)
    user = billing_user(factory, org, rights=rights)
    return dossier, make_client(user.email)


def test_the_preview_shows_rules_figures_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    expected = rules.settle_rupture(contract_from_dossier(dossier),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture", DATA)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Confirmer la rupture" in html
    for figure in (expected.due, expected.remaining, expected.credit_note, paid):
        assert montant(figure) in html
    assert models.Rupture.select().count() == 0
    assert models.Dossier.get_by_id(dossier.id).rupture_date is None
    assert len(installments(dossier, "cancelled")) == 0


def test_confirming_updates_the_schedule_and_records_everything(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 1)
    expected = rules.settle_rupture(contract_from_dossier(dossier),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA)
    assert response.status_code == 302
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
    assert models.Letter.select().where((models.Letter.dossier == dossier.id)
                                        & (models.Letter.kind == "rupture")).count() == 1
    assert models.Notification.select().where(models.Notification.dossier == dossier.id).count() >= 1
    actions = {(a.entity, a.action) for a in models.AuditEntry.select()}
    assert {("Dossier", "rupture"), ("Rupture", "create"), ("Installment", "reschedule")} <= actions
    assert models.CreditNote.select().count() == 0


def test_an_early_rupture_after_payments_creates_a_credit_note(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    data = dict(DATA, date="15/10/2025")
    expected = rules.settle_rupture(contract_from_dossier(dossier),
                                    rules.RuptureInput(date=dt.date(2025, 10, 15), paid=paid))
    assert expected.credit_note > 0
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", data)
    assert response.status_code == 302
    note = models.CreditNote.get()
    assert (note.amount, note.reason, note.dossier_id) == (expected.credit_note, "rupture", dossier.id)
    assert models.Rupture.get().credit_note_amount == expected.credit_note


def test_a_stock_contract_rupture_gives_no_credit_note(factory, make_client):
    dossier, client = setup(factory, make_client, rights=["right_stock", "right_stock_billing"], is_stock=True,
                             conclusion_date=dt.date(2019, 6, 1), contract_start=dt.date(2019, 7, 1),
                             contract_end=dt.date(2021, 6, 30))
    invoice_and_pay(dossier, 3)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", dict(DATA, date="15/01/2020"))
    assert response.status_code == 302
    assert models.CreditNote.select().count() == 0 and models.Rupture.select().count() == 1


def test_posted_figures_are_ignored_and_recomputed_on_confirmation(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 2)
    tampered = dict(DATA, due="1.00", credit_note="99999.00", remaining="0", paid="0")
    client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", tampered)
    expected = rules.settle_rupture(contract_from_dossier(dossier),
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
    expected = rules.settle_rupture(contract_from_dossier(dossier), rules.RuptureInput(
        date=dt.date(2026, 2, 28), continues_at_cfa=True, new_contract=dt.date(2026, 5, 1)))
    html = response.get_data(as_text=True)
    assert expected.financing_end == dt.date(2026, 4, 30)
    assert "30/04/2026" in html and montant(expected.due) in html


def test_a_dossier_not_engaged_cannot_be_ruptured(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="en_instruction")
    client = make_client(billing_user(factory, org).email)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA)
    assert response.status_code == 400 and "Seul un dossier engagé" in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 0


def test_a_second_rupture_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    assert client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA).status_code == 302
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA)
    assert response.status_code == 400 and "déjà enregistrée" in response.get_data(as_text=True)
    assert models.Rupture.select().count() == 1


def test_a_user_without_a_contracts_right_gets_403(factory, make_client):
    dossier, client = setup(factory, make_client, rights=["right_no_contract"])
    assert client.get(f"/portail/dossiers/{dossier.number}/rupture").status_code == 403
    assert client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA).status_code == 403
    assert models.Rupture.select().count() == 0


def test_another_organisations_dossier_is_not_found(factory, make_client):
    dossier = engaged(factory)
    client = make_client(billing_user(factory, factory.organisation()).email)
    assert client.get(f"/portail/dossiers/{dossier.number}/rupture").status_code == 404
    assert client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer", DATA).status_code == 404
    assert models.Rupture.select().count() == 0


def test_anonymous_users_are_sent_to_the_login_page(client, factory):
    dossier = engaged(factory)
    response = client.get(f"/portail/dossiers/{dossier.number}/rupture")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_form_page_renders(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.get(f"/portail/dossiers/{dossier.number}/rupture")
    assert response.status_code == 200 and "Déclarer une rupture" in response.get_data(as_text=True)


# --- back office -------------------------------------------------------------------------------------

def staff_client(factory, make_client, role="conseiller"):
    return make_client(factory.staff(role).email)


def test_a_conseiller_records_a_rupture_from_the_back_office_with_a_preview(factory, make_client):
    dossier = engaged(factory)
    _, paid = invoice_and_pay(dossier, 2)
    client = staff_client(factory, make_client)
    assert client.get(f"/admin/rupture/{dossier.id}/").status_code == 200
    expected = rules.settle_rupture(contract_from_dossier(dossier),
                                    rules.RuptureInput(date=dt.date(2026, 2, 28), paid=paid))
    preview = client.post_form(f"/admin/rupture/{dossier.id}/", DATA)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and montant(expected.due) in html and "Confirmer la rupture" in html
    assert models.Rupture.select().count() == 0
    response = client.post_form(f"/admin/rupture/{dossier.id}/confirmer", dict(DATA, due="0.01"))
    assert response.status_code == 302 and f"/admin/dossier/details/?id={dossier.id}" in response.headers["Location"]
    rupture = models.Rupture.get()
    assert rupture.due == expected.due and rupture.declared_by_id is not None
    assert models.Letter.select().where(models.Letter.kind == "rupture").count() == 1


def test_back_office_refusals(factory, make_client):
    dossier = engaged(factory)
    client = staff_client(factory, make_client)
    response = client.post_form(f"/admin/rupture/{dossier.id}/confirmer", dict(DATA, date="01/01/2030"))
    assert response.status_code == 400 and "doit être comprise dans le contrat" in response.get_data(as_text=True)
    assert client.get("/admin/rupture/999999/").status_code == 404
    comptable = staff_client(factory, make_client, "comptable")
    assert comptable.get(f"/admin/rupture/{dossier.id}/").status_code == 403
    assert comptable.post_form(f"/admin/rupture/{dossier.id}/confirmer", DATA).status_code == 403
    cfa = make_client(billing_user(factory, dossier.organisation).email)
    assert cfa.post_form(f"/admin/rupture/{dossier.id}/confirmer", DATA).status_code == 403
    assert models.Rupture.select().count() == 0
