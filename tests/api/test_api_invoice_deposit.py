"""`POST /api/v1/factures`: a reimbursement request accepted and refused exactly as the portal's form would for
the same dossier, with the same French reasons; a refusal writes nothing."""
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

import models
from infrastructure import clock
from tests.factories import make_pdf
from workflows.api_keys import create_key

from .conftest import ApiClient

PROBLEM = "application/problem+json"
# The API's fields and the portal form's, one for one.
PORTAL_NAME = {"dateDebutPeriode": "period_start", "dateFinPeriode": "period_end",
               "montantFraisPedagogiques": "teaching_amount", "nombreNuitees": "nights",
               "montantHebergement": "lodging_amount", "nombreRepas": "meals", "montantRestauration": "meals_amount",
               "montantPremierEquipement": "first_equipment_amount",
               "montantMobiliteInternationale": "mobility_amount", "referenceFactureCFA": "cfa_reference",
               "acceptationConditions": "terms", "dateFacture": "cfa_invoice_date", "montantHT": "amount_ht",
               "montantTTC": "amount_ttc", "commentaire": "comment"}
FIRST_ADVANCE = {"dateDebutPeriode": "2025-09-01", "dateFinPeriode": "2026-02-28",
                 "montantFraisPedagogiques": "2800.00", "acceptationConditions": "true",
                 "referenceFactureCFA": "FAC-2025-09"}


@pytest.fixture
def billing(factory, app):
    """A CFA with an engaged, subrogated dossier (as tests/portal/test_reimbursement.py), its user and its key."""
    org = factory.organisation(name="CFA Sud Formation")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(org)
    key, raw = create_key(org, "Ypareo")
    return dossier, key, ApiClient(app.test_client(), raw)


def api_send(client, dossier, values=None, invoice=True, certificate=False, **kwargs):
    body = {"numeroInterneDossier": dossier.number, **(FIRST_ADVANCE if values is None else values)}
    if invoice:
        body["facture"] = (io.BytesIO(make_pdf("Facture")), "facture-2025-09.pdf")
    if certificate:
        body["certificatRealisation"] = (io.BytesIO(make_pdf("Certificat")), "certificat.pdf")
    return client.post("/api/v1/factures", data=body, content_type="multipart/form-data", **kwargs)


def portal_send(client, dossier, values, invoice=True, certificate=False):
    body = {}
    for name, value in values.items():
        if name == "acceptationConditions":
            if value == "true":
                body["terms"] = "y"
        elif name.startswith("date"):
            body[PORTAL_NAME[name]] = dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        else:
            body[PORTAL_NAME[name]] = value
    if invoice:
        body["invoice_pdf"] = (io.BytesIO(make_pdf("Facture")), "facture.pdf")
    if certificate:
        body["certificate_pdf"] = (io.BytesIO(make_pdf("Certificat")), "certificat.pdf")
    return client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", body,
                            content_type="multipart/form-data")


def portal_refusals(response):
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text[-1500:]
    found = re.findall(r'<li data-rule="[a-z_]+">([^<]*)</li>', text)
    return sorted(m.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&") for m in found)


def counts():
    return {m.__name__: m.select().count() for m in (models.Invoice, models.InvoiceLine, models.Document,
                                                      models.AuditEntry, models.InvoiceEvent, models.Counter,
                                                      models.IdempotencyRecord)}


def test_the_first_advance_is_accepted_as_on_the_portal_with_its_receipt_and_the_key_in_the_audit(billing):
    dossier, key, api = billing
    response = api_send(api, dossier)
    assert response.status_code == 201, response.get_json()
    invoice = models.Invoice.get()
    assert response.get_json() == {"numeroInterneFacture": "F0000001", "etatFacture": "en_traitement",
                                   "libelleEtat": models.states.InvoiceState.PROCESSING.label,
                                   "montantFacture": "2800.00", "referenceFactureCFA": "FAC-2025-09",
                                   "numeroRecepisse": "R0000001", "numeroInterneDossier": dossier.number,
                                   "montantHT": "2800.00", "dateFacture": clock.today().isoformat()}
    assert response.headers["Location"] == "/api/v1/factures/F0000001"
    assert (invoice.state, invoice.total_ttc, invoice.created_by_id) == ("en_traitement", Decimal("2800.00"), None)
    assert invoice.organisation_id == dossier.organisation_id and invoice.terms_accepted_at is not None
    assert [(line.nature, line.amount) for line in invoice.lines] == [("teaching", Decimal("2800.00"))]
    kinds = sorted(d.doc_type for d in models.Document.select().where(models.Document.invoice == invoice.id))
    assert kinds == ["facture", "recepisse"]
    audit = models.AuditEntry.get((models.AuditEntry.entity == "invoice") & (models.AuditEntry.action == "deposit"))
    assert audit.actor == f"clé API {key.prefix} « Ypareo »" and audit.user_id is None


def test_a_later_request_needs_the_certificate_as_on_the_portal(billing, make_client):
    dossier, key, api = billing
    assert api_send(api, dossier).status_code == 201
    later = {"dateDebutPeriode": "2026-03-01", "dateFinPeriode": "2026-05-31", "montantFraisPedagogiques": "2100",
             "nombreNuitees": "10", "montantHebergement": "60", "acceptationConditions": "true"}
    before = counts()
    refused = api_send(api, dossier, later)
    assert refused.status_code == 422
    errors = refused.get_json()["erreurs"]
    assert [e["champ"] for e in errors] == ["certificatRealisation"]
    portal = portal_refusals(portal_send(make_client("admin@cfa-sud.test"), dossier, later))
    assert sorted(e["message"] for e in errors) == portal
    assert counts() == before
    accepted = api_send(api, dossier, later, certificate=True)
    assert accepted.status_code == 201 and accepted.get_json()["montantFacture"] == "2160.00"


@pytest.mark.parametrize("values", [
    dict(FIRST_ADVANCE, acceptationConditions="false"),
    dict(FIRST_ADVANCE, montantFraisPedagogiques="99999.00"),
    dict(FIRST_ADVANCE, dateDebutPeriode="2020-01-01", dateFinPeriode="2020-02-01"),
    dict(FIRST_ADVANCE, dateDebutPeriode="2026-02-28", dateFinPeriode="2025-09-01"),
    dict(FIRST_ADVANCE, montantFraisPedagogiques="0", montantPremierEquipement="900.00"),
    dict(FIRST_ADVANCE, montantMobiliteInternationale="-10.00"),
    dict(FIRST_ADVANCE, nombreRepas="-3"),
], ids=["terms", "over_billable", "outside_contract", "period_order", "first_equipment", "negative", "quantity"])
def test_a_refused_request_gives_the_portals_reasons_in_french_and_writes_nothing(billing, make_client, values):
    dossier, key, api = billing
    before = counts()
    response = api_send(api, dossier, values)
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_json()
    body = response.get_json()
    assert body["code"] == "demande_refusee"
    assert all(e["champ"] for e in body["erreurs"]), body["erreurs"]
    portal = portal_refusals(portal_send(make_client("admin@cfa-sud.test"), dossier, values))
    assert sorted(e["message"] for e in body["erreurs"]) == portal
    assert counts() == before


def test_a_missing_or_fake_invoice_pdf_is_refused_field_by_field(billing, make_client):
    dossier, key, api = billing
    before = counts()
    missing = api_send(api, dossier, invoice=False)
    assert missing.status_code == 422
    assert [e["champ"] for e in missing.get_json()["erreurs"]] == ["facture"]
    assert [e["message"] for e in missing.get_json()["erreurs"]] == portal_refusals(
        portal_send(make_client("admin@cfa-sud.test"), dossier, FIRST_ADVANCE, invoice=False))
    body = {"numeroInterneDossier": dossier.number, **FIRST_ADVANCE,
            "facture": (io.BytesIO(b"GIF89a pas une facture"), "facture.pdf")}
    fake = api.post("/api/v1/factures", data=body, content_type="multipart/form-data")
    assert fake.status_code == 422
    assert {e["champ"] for e in fake.get_json()["erreurs"]} == {"facture"}
    assert "PDF" in fake.get_json()["erreurs"][0]["message"]
    assert counts() == before


@pytest.mark.parametrize("field, value", [("montantFraisPedagogiques", "deux mille"),
                                          ("montantHebergement", "1e9"), ("nombreNuitees", "2.5"),
                                          ("dateDebutPeriode", "01/09/2025"), ("referenceFactureCFA", "x" * 61)])
def test_unreadable_fields_are_named_in_french(billing, field, value):
    dossier, key, api = billing
    before = counts()
    response = api_send(api, dossier, dict(FIRST_ADVANCE, **{field: value}))
    assert response.status_code == 422
    errors = response.get_json()["erreurs"]
    assert [e["champ"] for e in errors] == [field]
    assert not errors[0]["message"].startswith(("Not", "Must", "Longer", "Invalid"))
    assert counts() == before


def test_an_11_mb_invoice_is_refused_with_413(billing):
    dossier, key, api = billing
    before = counts()
    body = {"numeroInterneDossier": dossier.number, **FIRST_ADVANCE,
            "facture": (io.BytesIO(make_pdf("Facture") + b"%" + b"0" * (11 * 1024 * 1024)), "facture.pdf")}
    response = api.post("/api/v1/factures", data=body, content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert counts() == before


def test_a_dossier_that_is_not_billable_is_a_409(billing, factory):
    dossier, key, api = billing
    models.Dossier.update(subrogated=False).where(models.Dossier.id == dossier.id).execute()
    before = counts()
    response = api_send(api, dossier)
    assert response.status_code == 409 and response.get_json()["code"] == "dossier_non_facturable"
    assert counts() == before


def test_the_documented_multipart_body_has_every_field_and_every_file(app, db):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/factures"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    properties = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert set(properties) == set(PORTAL_NAME) | {"numeroInterneDossier", "facture", "certificatRealisation",
                                                  "justificatifs"}
    assert properties["facture"]["format"] == "binary"
    assert properties["justificatifs"]["type"] == "array"
    assert properties["justificatifs"]["items"]["format"] == "binary"
    assert all(p.get("description") for p in properties.values())
