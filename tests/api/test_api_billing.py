"""Invoices and payments as the CFA's software reads them: states, reasons, payments, deductions, the scope."""
import datetime as dt
from decimal import Decimal

import pytest

from models import (CreditNote, Dossier, Invoice, InvoiceEvent, Organisation, Payment, PaymentDeduction,
                    PaymentLine)
from models.states import InvoiceState
from tests.querycount import count_queries

from .openapi_check import assert_matches_schema
from .test_api_dossiers import every_page

PROBLEM = "application/problem+json"


@pytest.fixture
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def invoices_of(*names):
    return (Invoice.select().join(Organisation).where(Organisation.name.in_(names))
            .where(Invoice.state != InvoiceState.DRAFT))


def test_an_invoice_reads_its_state_amounts_dossier_and_payment(sud_api, spec):
    invoice = invoices_of("CFA Sud").where(Invoice.state == InvoiceState.PAID).order_by(Invoice.id).first()
    payment = PaymentLine.get(PaymentLine.invoice == invoice.id).payment
    response = sud_api.get(f"/api/v1/factures/{invoice.display_number}")
    assert response.status_code == 200
    assert_matches_schema(spec, f"/api/v1/factures/{invoice.display_number}", response)
    body = response.get_json()
    assert body["numeroInterneFacture"] == invoice.display_number
    assert body["referenceFactureCFA"] == invoice.cfa_reference
    assert body["montantFacture"] == f"{invoice.total_ttc:.2f}" and body["montantHT"] == f"{invoice.total_ht:.2f}"
    assert body["etatFacture"] == "payee" and body["etatLibelle"] == "Payée"
    assert body["numeroInterneDossier"] == invoice.dossier.number
    assert body["dateDepot"] == invoice.submitted_at.astimezone().isoformat()
    assert body["reglement"] == {"referenceVirement": payment.reference, "dateReglement": payment.date.isoformat()}
    assert sud_api.get(f"/api/v1/factures/{invoice.number}").get_json() == body  # the bare number too


def test_rejection_and_hold_reasons_are_given(sud_api):
    rejected, held = invoices_of("CFA Sud").where(Invoice.state == InvoiceState.PROCESSING).order_by(Invoice.id)[:2]
    Invoice.update(state=InvoiceState.REJECTED, rejection_reason="RIB absent").where(Invoice.id == rejected.id).execute()
    Invoice.update(state=InvoiceState.ON_HOLD, hold_reason="Période à corriger").where(Invoice.id == held.id).execute()
    body = sud_api.get(f"/api/v1/factures/{rejected.number}").get_json()
    assert (body["etatFacture"], body["motifRejet"], body["reglement"]) == ("rejetee", "RIB absent", None)
    body = sud_api.get(f"/api/v1/factures/{held.number}").get_json()
    assert (body["etatFacture"], body["etatLibelle"], body["motifSuspension"]) == (
        "en_attente", "En attente de mise en conformité", "Période à corriger")


def test_the_invoice_list_holds_the_scopes_sent_invoices_never_drafts(sud_api, nord_api, spec, factory):
    sud = Organisation.get(Organisation.name == "CFA Sud")
    Invoice.create(organisation=sud, dossier=Dossier.select().where(Dossier.organisation == sud).first(),
                   state=InvoiceState.DRAFT)
    listed = every_page(sud_api, "/api/v1/factures", "factures")
    assert sorted(i["numeroInterneFacture"] for i in listed) == sorted(
        i.display_number for i in invoices_of("CFA Sud", "CFA Ouest"))
    assert not any(i["numeroInterneFacture"].startswith("Brouillon") for i in listed)
    assert_matches_schema(spec, "/api/v1/factures", sud_api.get("/api/v1/factures?parPage=100"))
    nord = {i["numeroInterneFacture"] for i in every_page(nord_api, "/api/v1/factures", "factures")}
    assert nord == {i.display_number for i in invoices_of("CFA Nord")}


def test_another_organisations_or_an_unknown_invoice_is_a_404_problem(sud_api, nord_api):
    sud_invoice = invoices_of("CFA Sud").first()
    for client, number in ((nord_api, sud_invoice.display_number), (nord_api, str(sud_invoice.number)),
                           (sud_api, "F9999999"), (sud_api, "brouillon"), (sud_api, "0")):
        response = client.get(f"/api/v1/factures/{number}")
        assert response.status_code == 404 and response.mimetype == PROBLEM, number
        assert response.get_json()["code"] == "introuvable"
    draft = Invoice.create(organisation=sud_invoice.organisation_id, dossier=sud_invoice.dossier_id,
                           state=InvoiceState.DRAFT)
    assert sud_api.get(f"/api/v1/factures/Brouillon #{draft.id}").status_code == 404


def test_invoice_filters_state_and_changes_since(sud_api):
    paid = every_page(sud_api, "/api/v1/factures?etat=payee", "factures")
    assert paid and {i["etatFacture"] for i in paid} == {"payee"}
    assert len(paid) == invoices_of("CFA Sud", "CFA Ouest").where(Invoice.state == InvoiceState.PAID).count()
    invoice = invoices_of("CFA Sud").order_by(Invoice.id).first()
    InvoiceEvent.create(invoice=invoice, state=invoice.state, note="Relance", at=dt.datetime(2030, 3, 1, 12, 0))
    changed = sud_api.get("/api/v1/factures?modifieDepuis=2030-03-01T12:00:00").get_json()["factures"]
    assert [i["numeroInterneFacture"] for i in changed] == [invoice.display_number]
    response = sud_api.get("/api/v1/factures?etat=brouillon")
    assert response.status_code == 422 and response.get_json()["erreurs"][0]["champ"] == "etat"


def test_payments_list_their_invoices_dossiers_and_deductions(sud_api, spec):
    payment = (Payment.select().join(Organisation).where(Organisation.name == "CFA Sud")
               .order_by(Payment.id.desc()).first())
    line = PaymentLine.select().where(PaymentLine.payment == payment.id).first()
    note = CreditNote.create(number=900001, organisation=payment.organisation_id, dossier=line.dossier_id,
                             amount=Decimal("120.00"), reason="rupture", issued_on=dt.date(2026, 4, 1))
    PaymentDeduction.create(payment=payment, credit_note=note, amount=Decimal("120.00"))
    response = sud_api.get("/api/v1/reglements?parPage=100")
    assert response.status_code == 200
    assert_matches_schema(spec, "/api/v1/reglements", response)
    item = next(p for p in response.get_json()["reglements"] if p["referenceVirement"] == payment.reference)
    assert item["dateReglement"] == payment.date.isoformat() and item["montant"] == f"{payment.net:.2f}"
    lines = list(PaymentLine.select().where(PaymentLine.payment == payment.id))
    assert sorted((x["numeroInterneFacture"], x["numeroInterneDossier"], x["montant"]) for x in item["lignes"]) == sorted(
        (x.invoice.display_number, x.dossier.number, f"{x.amount:.2f}") for x in lines)
    assert all(x["referenceFactureCFA"] for x in item["lignes"])
    assert item["deductions"] == [{"numeroAvoir": "PRO-900001", "numeroInterneDossier": line.dossier.number,
                                   "montant": "120.00"}]


def test_payments_are_those_of_the_scope_only(sud_api, nord_api):
    def references(name):
        return {p.reference for p in Payment.select().join(Organisation).where(Organisation.name == name)}

    sud = {p["referenceVirement"] for p in every_page(sud_api, "/api/v1/reglements", "reglements")}
    nord = {p["referenceVirement"] for p in every_page(nord_api, "/api/v1/reglements", "reglements")}
    assert sud == references("CFA Sud") | references("CFA Ouest") and sud
    assert nord == references("CFA Nord") and not sud & nord


def test_payments_recorded_since_a_moment(sud_api):
    payment = Payment.select().join(Organisation).where(Organisation.name == "CFA Sud").first()
    Payment.update(created_at=dt.datetime(2030, 5, 1, 8, 0)).where(Payment.id == payment.id).execute()
    body = sud_api.get("/api/v1/reglements?modifieDepuis=2030-05-01T08:00:00").get_json()
    assert [p["referenceVirement"] for p in body["reglements"]] == [payment.reference]
    response = sud_api.get("/api/v1/reglements?parPage=500")
    assert response.status_code == 422 and response.get_json()["erreurs"] == [
        {"champ": "parPage", "message": "Valeur hors limites (entre 1 et 100)."}]


@pytest.mark.parametrize("url,key", [("/api/v1/factures", "factures"), ("/api/v1/reglements", "reglements")])
def test_a_billing_list_page_costs_the_same_sql_statements_whatever_its_size(sud_api, db, url, key):
    sud_api.get(f"{url}?parPage=1")  # the key's first use writes its date
    with count_queries(db) as few:
        assert len(sud_api.get(f"{url}?parPage=2").get_json()[key]) == 2
    with count_queries(db) as many:
        assert len(sud_api.get(f"{url}?parPage=30").get_json()[key]) == 30
    assert len(many) == len(few), many
