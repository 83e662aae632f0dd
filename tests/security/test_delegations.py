"""Delegations are requests (SPEC §4): nothing of the delegator is visible or billable until approved, nor after
the end; drafts, forms and payments re-check the scope when sent; the delegate bills and is paid on its own RIB."""
import datetime as dt
import io

import pytest

import models
from workflows import invoice_workflow
from workflows.delegations import DelegationError
from tests.billing.billing_helpers import pay_in_back_office
from tests.factories import comptable, make_pdf
from tests.test_access import db_digest
from infrastructure import clock

TODAY = clock.today()


@pytest.fixture
def world(factory, make_client):
    """CFA Sud (the claimant, signed in) and CFA Ouest (no portal user yet) with an engaged, billable dossier."""
    sud = factory.organisation(name="CFA Sud")
    ouest = factory.organisation(name="CFA Ouest")
    factory.cfa_user(sud, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(ouest, subrogated=True)
    models.Notification.create(organisation=ouest, dossier=dossier, message="Message interne de CFA Ouest")
    own_invoice = invoice_workflow.create_invoice(
        ouest, [dict(dossier=dossier, nature="meals", quantity=1, amount="10.00")], dossier=dossier)
    return {"sud": sud, "ouest": ouest, "dossier": dossier, "own_invoice": own_invoice,
            "client": make_client("admin@cfa-sud.test")}


def ask(client, organisation):
    return client.post_form("/portail/delegations", {"siret": organisation.siret, "name": organisation.name})


def delegation():
    return models.Delegation.select().order_by(models.Delegation.id.desc()).first()


def sees_nothing_of(client, world):
    dossier = world["dossier"]
    assert dossier.number not in client.get("/portail/dossiers").get_data(as_text=True)
    assert client.get(f"/portail/dossiers/{dossier.number}").status_code == 404
    assert client.get(f"/portail/dossiers/{dossier.number}/remboursement").status_code == 404
    assert f'value="{dossier.id}"' not in client.get("/portail/facturation").get_data(as_text=True)
    assert "Message interne de CFA Ouest" not in client.get("/portail/notifications").get_data(as_text=True)
    assert client.get(f"/portail/factures/{world['own_invoice'].id}").status_code == 404
    return True


def sees_everything_of(client, world):
    dossier = world["dossier"]
    assert dossier.number in client.get("/portail/dossiers").get_data(as_text=True)
    assert client.get(f"/portail/dossiers/{dossier.number}").status_code == 200
    assert client.get(f"/portail/dossiers/{dossier.number}/remboursement").status_code == 200
    assert f'value="{dossier.id}"' in client.get("/portail/facturation").get_data(as_text=True)
    return True


def opco(factory, make_client, role="admin"):
    return make_client(factory.staff(role).email)


def admin_action(client, name, row):
    return client.post_form("/admin/delegation/action/", {"action": name, "rowid": [str(row.id)],
                                                          "url": "/admin/delegation/"})


# --- the takeover attempt ------------------------------------------------------------------------------

def test_a_takeover_request_by_public_siret_and_name_shows_nothing_until_the_opco_approves(world, factory,
                                                                                          make_client):
    client = world["client"]
    assert ask(client, world["ouest"]).status_code == 302
    row = delegation()
    assert row.state == "demandee" and row.requested_by_id is not None
    assert sees_nothing_of(client, world)
    # CFA Ouest has no portal user yet: nobody there is told, the OPCO decides
    assert not models.Notification.select().where(models.Notification.organisation == world["ouest"].id).where(
        models.Notification.category == "delegation").exists()

    staff = opco(factory, make_client)
    listing = staff.get("/admin/delegation/").get_data(as_text=True)
    assert "Demandée" in listing and "Approuver" in listing
    details = staff.get(f"/admin/delegation/details/?id={row.id}").get_data(as_text=True)
    assert "Approuver" in details and "Refuser" in details and ">Terminer<" not in details
    assert admin_action(staff, "approuver", row).status_code == 302
    row = delegation()
    assert row.state == "approuvee" and row.decided_by_id is not None and row.decided_at is not None
    audit = models.AuditEntry.get((models.AuditEntry.entity == "delegation")
                                  & (models.AuditEntry.action == "approve"))
    assert (audit.before["state"], audit.after["state"]) == ("demandee", "approuvee")
    assert sees_everything_of(client, world)
    news = models.Notification.select().where((models.Notification.organisation == world["sud"].id)
                                              & (models.Notification.category == "delegation")).get()
    assert "CFA Ouest" in news.message and "approuvée par l'OPCO" in news.message


def test_the_back_office_lists_delegations_by_state_with_the_labels_of_the_machine(world, factory, make_client):
    ask(world["client"], world["ouest"])
    other = factory.organisation(name="CFA Est")
    refused = models.Delegation.create(delegate=world["sud"], delegator=other)
    staff = opco(factory, make_client)
    staff.post_form(f"/admin/delegation/motif/refuser/?ids={refused.id}", {"ids": str(refused.id),
                                                                           "reason": "Aucune convention reçue."})
    assert models.Delegation.get_by_id(refused.id).state == "refusee"
    pending_only = staff.get("/admin/delegation/?flt0_0=demandee").get_data(as_text=True)
    assert "CFA Ouest" in pending_only and "CFA Est" not in pending_only
    assert "Refusée" in staff.get("/admin/delegation/?flt0_0=refusee").get_data(as_text=True)


def test_only_an_opco_administrator_decides_in_the_back_office(world, factory, make_client):
    ask(world["client"], world["ouest"])
    row = delegation()
    for role in ("conseiller", "comptable"):
        staff = opco(factory, make_client, role)
        before = db_digest()
        response = admin_action(staff, "approuver", row)
        assert response.status_code == 403 and db_digest() == before
    assert delegation().state == "demandee"


# --- the delegator's admin decides in the portal --------------------------------------------------------

def test_the_delegators_admin_accepts_the_request_in_the_portal(world, factory, make_client):
    factory.cfa_user(world["ouest"], email="admin@cfa-ouest.test")
    client = world["client"]
    ask(client, world["ouest"])
    row = delegation()
    assert "Acceptez-la ou refusez-la" in models.Notification.get(
        models.Notification.organisation == world["ouest"].id, models.Notification.category == "delegation").message
    # the claimant cannot approve its own request
    response = client.post_form(f"/portail/delegations/{row.id}/accepter")
    assert response.status_code == 400 and "pas le droit" in response.get_data(as_text=True)
    assert delegation().state == "demandee" and sees_nothing_of(client, world)

    ouest = make_client("admin@cfa-ouest.test")
    page = ouest.get("/portail/delegations").get_data(as_text=True)
    given = page[page.index('id="delegations-given"'):]
    assert "CFA Sud" in given and "Demandée" in given and "Accepter" in given
    assert ouest.post_form(f"/portail/delegations/{row.id}/accepter").status_code == 302
    assert delegation().state == "approuvee"
    assert sees_everything_of(client, world)
    news = models.Notification.get(models.Notification.organisation == world["sud"].id,
                                   models.Notification.category == "delegation")
    assert "approuvée par CFA Ouest" in news.message


def test_a_refusal_needs_a_reason_which_the_delegate_is_told(world, factory, make_client):
    factory.cfa_user(world["ouest"], email="admin@cfa-ouest.test")
    client = world["client"]
    ask(client, world["ouest"])
    row = delegation()
    ouest = make_client("admin@cfa-ouest.test")
    empty = ouest.post_form(f"/portail/delegations/{row.id}/refuser", {"reason": "  "})
    assert empty.status_code == 400 and "Le motif est obligatoire." in empty.get_data(as_text=True)
    assert delegation().state == "demandee"
    assert ouest.post_form(f"/portail/delegations/{row.id}/refuser",
                           {"reason": "Nous ne travaillons pas avec cet organisme."}).status_code == 302
    row = delegation()
    assert (row.state, row.refusal_reason) == ("refusee", "Nous ne travaillons pas avec cet organisme.")
    news = models.Notification.get(models.Notification.organisation == world["sud"].id,
                                   models.Notification.category == "delegation")
    assert "refusée par CFA Ouest" in news.message and "Nous ne travaillons pas" in news.message
    page = client.get("/portail/delegations").get_data(as_text=True)
    assert "Refusée" in page and "Nous ne travaillons pas avec cet organisme." in page
    assert sees_nothing_of(client, world)
    # a refused request cannot be approved afterwards
    late = opco(factory, make_client)
    admin_action(late, "approuver", row)
    assert delegation().state == "refusee" and sees_nothing_of(client, world)


# --- ending ----------------------------------------------------------------------------------------------

def approved(world, factory, make_client):
    ask(world["client"], world["ouest"])
    row = delegation()
    admin_action(opco(factory, make_client), "approuver", row)
    assert delegation().state == "approuvee"
    return delegation()


@pytest.mark.parametrize("who", ["delegator", "delegate", "opco"])
def test_either_organisation_or_the_opco_ends_an_approved_delegation(world, factory, make_client, who):
    row = approved(world, factory, make_client)
    client = world["client"]
    assert sees_everything_of(client, world)
    if who == "delegator":
        factory.cfa_user(world["ouest"], email="admin@cfa-ouest.test")
        ender = make_client("admin@cfa-ouest.test")
        page = ender.get("/portail/delegations").get_data(as_text=True)
        assert "Approuvée" in page[page.index('id="delegations-given"'):]
        response = ender.post_form(f"/portail/delegations/{row.id}/terminer")
    elif who == "delegate":
        response = client.post_form(f"/portail/delegations/{row.id}/terminer")
    else:
        response = admin_action(opco(factory, make_client), "terminer", row)
    assert response.status_code == 302
    row = delegation()
    assert row.state == "terminee" and row.ended_at is not None
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "delegation")
                                            & (models.AuditEntry.action == "end")).count() == 1
    assert sees_nothing_of(client, world)
    told = {n.user.email for n in models.Notification.select().where(models.Notification.category == "delegation")
            if "a pris fin" in n.message}
    # the administrators of both organisations are told (CFA Ouest has one only when it ends the delegation)
    assert told == {"admin@cfa-sud.test"} | ({"admin@cfa-ouest.test"} if who == "delegator" else set())


# --- a draft, a form, a payment re-check the scope when sent --------------------------------------------

def test_a_mass_invoicing_draft_started_under_the_delegation_is_refused_once_it_has_ended(world, factory,
                                                                                         make_client):
    row = approved(world, factory, make_client)
    client, dossier = world["client"], world["dossier"]
    first = (models.Installment.select().where(models.Installment.dossier == dossier.id)
             .order_by(models.Installment.number).first())
    assert client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [dossier.id],
                                                     "action": "next"}).status_code == 302
    draft = models.Invoice.get(models.Invoice.state == "brouillon")
    assert client.post_form(f"/portail/facturation/{draft.id}/echeances",
                            {f"inst-{dossier.id}": str(first.id), "action": "next"}).status_code == 302
    client.post_form(f"/portail/delegations/{row.id}/terminer")

    step2 = client.get(f"/portail/facturation/{draft.id}/echeances").get_data(as_text=True)
    assert dossier.number not in step2 and dossier.apprentice_name not in step2
    before = db_digest()
    response = client.post_form(f"/portail/facturation/{draft.id}/envoi", {
        "cfa_reference": "FAC-1", "cfa_invoice_date": TODAY.strftime("%d/%m/%Y"), "terms": "y", "action": "send",
        "document": (io.BytesIO(make_pdf("Facture")), "facture.pdf")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "ne sont plus dans votre périmètre de facturation" in text
    assert "Rien n&#39;a été facturé" in text
    assert db_digest() == before
    assert models.Invoice.get_by_id(draft.id).state == "brouillon" and models.Invoice.get_by_id(draft.id).number is None
    assert models.Installment.get_by_id(first.id).status == "to_invoice"


def test_a_reimbursement_form_opened_under_the_delegation_is_refused_once_it_has_ended(world, factory,
                                                                                      make_client):
    row = approved(world, factory, make_client)
    client, dossier = world["client"], world["dossier"]
    assert client.get(f"/portail/dossiers/{dossier.number}/remboursement").status_code == 200
    client.post_form(f"/portail/delegations/{row.id}/terminer")
    before = db_digest()
    response = client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", {
        "period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00", "terms": "y",
        "invoice_pdf": (io.BytesIO(make_pdf("Facture")), "facture.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 404 and db_digest() == before


def test_a_reimbursement_request_whose_delegation_ends_before_the_write_is_refused_in_french(world, factory,
                                                                                           make_client, app):
    """The service re-checks inside its transaction (the delegation may end between the page and the write)."""
    from workflows.reimbursement import RequestData, submit
    from decimal import Decimal

    row = approved(world, factory, make_client)
    world["client"].post_form(f"/portail/delegations/{row.id}/terminer")
    data = RequestData(period_start=dt.date(2025, 9, 1), period_end=dt.date(2026, 2, 28),
                       teaching_amount=Decimal("2800.00"), nights=0, lodging_amount=Decimal("0"), meals=0,
                       meals_amount=Decimal("0"), first_equipment_amount=Decimal("0"),
                       mobility_amount=Decimal("0"), terms_accepted=True)
    before = db_digest()
    with app.test_request_context(), pytest.raises(DelegationError, match="ne peut plus facturer"):
        submit(world["dossier"], data, ("facture.pdf", make_pdf("Facture")), None,
               models.User.get(models.User.email == "admin@cfa-sud.test"), organisation=world["sud"])
    assert db_digest() == before


# --- who is paid ---------------------------------------------------------------------------------------

def test_the_delegate_bills_and_is_paid_on_its_own_approved_rib_on_both_paths(world, factory, make_client):
    approved(world, factory, make_client)
    client, dossier, sud, ouest = world["client"], world["dossier"], world["sud"], world["ouest"]
    sud_bank = factory.approved_bank(sud, iban="FR7630006000011234567890189")
    factory.approved_bank(ouest, iban="FR1420041010050500013M02606")
    installments = list(models.Installment.select().where(models.Installment.dossier == dossier.id)
                        .order_by(models.Installment.number))
    # mass-invoicing path: the first advance
    client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [dossier.id], "action": "next"})
    draft = models.Invoice.get(models.Invoice.state == "brouillon")
    assert draft.organisation_id == sud.id
    client.post_form(f"/portail/facturation/{draft.id}/echeances", {f"inst-{dossier.id}": str(installments[0].id),
                                                                    "action": "next"})
    sent = client.post_form(f"/portail/facturation/{draft.id}/envoi", {
        "cfa_reference": "FAC-2", "cfa_invoice_date": TODAY.strftime("%d/%m/%Y"), "terms": "y", "action": "send",
        "document": (io.BytesIO(make_pdf("Facture")), "facture.pdf")}, content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)
    mass = models.Invoice.get_by_id(draft.id)
    assert (mass.state, mass.organisation_id) == ("en_traitement", sud.id)
    # reimbursement path: the second installment
    response = client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", {
        "period_start": installments[1].period_start.strftime("%d/%m/%Y"),
        "period_end": installments[1].period_end.strftime("%d/%m/%Y"),
        "teaching_amount": str(installments[1].amount).replace(".", ","), "terms": "y",
        "invoice_pdf": (io.BytesIO(make_pdf("Facture")), "facture.pdf"),
        "certificate_pdf": (io.BytesIO(make_pdf("Certificat")), "certificat.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    reimbursement = models.Invoice.get(models.Invoice.kind == "reimbursement", models.Invoice.number.is_null(False),
                                       models.Invoice.id != world["own_invoice"].id)
    assert (reimbursement.organisation_id, reimbursement.dossier_id) == (sud.id, dossier.id)
    assert {d.organisation_id for d in models.Document.select().where(models.Document.invoice == reimbursement.id)} \
        == {sud.id}
    for invoice in (reimbursement, mass):
        invoice_workflow.validate(invoice, comptable())
    staff = opco(factory, make_client, "comptable")
    assert reimbursement.display_number not in staff.get(
        f"/admin/payment/enregistrer/?organisation={ouest.id}").get_data(as_text=True)
    paid = pay_in_back_office(staff, sud, [reimbursement, mass], date=TODAY.strftime("%d/%m/%Y"))
    assert paid.status_code == 302, paid.get_data(as_text=True)
    payment = models.Payment.get()
    assert (payment.organisation_id, payment.bank_details_id) == (sud.id, sud_bank.id)
    assert {line.dossier_id for line in payment.lines} == {dossier.id}


def test_a_payment_of_a_delegated_invoice_is_refused_once_the_delegation_has_ended(world, factory, make_client):
    row = approved(world, factory, make_client)
    sud, dossier = world["sud"], world["dossier"]
    factory.approved_bank(sud)
    invoice = invoice_workflow.create_invoice(sud, [dict(dossier=dossier, nature="meals", quantity=1,
                                                         amount="30.00")], dossier=dossier)
    invoice_workflow.validate(invoice, comptable())
    world["client"].post_form(f"/portail/delegations/{row.id}/terminer")
    staff = opco(factory, make_client, "comptable")
    before = db_digest()
    response = pay_in_back_office(staff, sud, [invoice], date=TODAY.strftime("%d/%m/%Y"))
    assert response.status_code == 400 and "ne peut plus facturer" in response.get_data(as_text=True)
    assert db_digest() == before


# --- only an admin OF asks and decides -------------------------------------------------------------------

def test_a_non_admin_cannot_request_nor_decide(world, factory, make_client):
    manager = factory.cfa_user(world["sud"], role="gestionnaire_of",
                               rights=["right_contracts", "right_contracts_billing"])
    manager_client = make_client(manager.email)
    before = db_digest()
    response = manager_client.post_form("/portail/delegations", {"siret": world["ouest"].siret,
                                                                 "name": world["ouest"].name})
    assert response.status_code == 403 and db_digest() == before
    factory.cfa_user(world["ouest"], email="admin@cfa-ouest.test")
    ask(world["client"], world["ouest"])
    row = delegation()
    clerk = factory.cfa_user(world["ouest"], role="gestionnaire_of", rights=["right_contracts"])
    clerk_client = make_client(clerk.email)
    before = db_digest()
    for action in ("accepter", "refuser", "terminer"):
        assert clerk_client.post_form(f"/portail/delegations/{row.id}/{action}",
                                      {"reason": "Non"}).status_code == 403
    assert db_digest() == before and delegation().state == "demandee"
