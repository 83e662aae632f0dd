"""`POST /api/v1/dossiers/{numero}/documents` and `/ruptures`: a typed PDF stored and downloadable from the
portal, a rupture declared as on the portal; another organisation's numbers answer 404 and change nothing."""
import datetime as dt
import io

import pytest

import models
from tests.factories import make_pdf

PROBLEM = "application/problem+json"


def counts():
    return {m.__name__: m.select().count() for m in (models.Document, models.Rupture, models.AuditEntry,
                                                      models.Invoice, models.InvoiceLine, models.Notification,
                                                      models.ContractProposal, models.Dossier,
                                                      models.IdempotencyRecord)}


def engaged(name):
    return (models.Dossier.select().join(models.Organisation)
            .where((models.Organisation.name == name) & (models.Dossier.state == "engage")
                   & models.Dossier.rupture_date.is_null())
            .order_by(models.Dossier.number).first())


def upload(client, number, data=None, doc_type="convention", name="convention signée.pdf", **kwargs):
    body = {"typeDocument": doc_type, "fichier": (io.BytesIO(make_pdf("Convention") if data is None else data), name)}
    return client.post(f"/api/v1/dossiers/{number}/documents", data=body, content_type="multipart/form-data", **kwargs)


# --- documents ----------------------------------------------------------------------------------------------

def test_a_document_is_stored_audited_with_the_key_and_downloadable_from_the_portal(demo, make_key, api_client,
                                                                                    make_client):
    key, raw = make_key("CFA Sud", "SC Form")
    dossier = engaged("CFA Sud")
    response = upload(api_client(raw), dossier.number)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    document = models.Document.get_by_id(body["identifiant"])
    assert body == {"identifiant": document.id, "typeDocument": "convention", "libelleType": "Convention de formation",
                    "nomFichier": "convention signée.pdf", "taille": document.size,
                    "numeroInterneDossier": dossier.number}
    assert document.dossier_id == dossier.id and document.uploaded_by_id is None
    audit = models.AuditEntry.get((models.AuditEntry.entity == "document") & (models.AuditEntry.entity_id == str(document.id)))
    assert audit.actor == f"clé API {key.prefix} « SC Form »"

    portal = make_client("admin@cfa-sud.test")
    assert f"/portail/documents/{document.id}" in portal.get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    download = portal.get(response.headers["Location"])
    assert download.status_code == 200 and download.data == make_pdf("Convention")


def test_a_document_on_a_delegating_organisations_dossier_is_accepted(sud_api):
    assert upload(sud_api, engaged("CFA Ouest").number).status_code == 201


@pytest.mark.parametrize("case", ["not_pdf", "html_polyglot", "unknown_type", "missing_file"])
def test_a_refused_document_is_a_422_in_french_and_stores_nothing(sud_api, case):
    number = engaged("CFA Sud").number
    before = counts()
    if case == "missing_file":
        response = sud_api.post(f"/api/v1/dossiers/{number}/documents", data={"typeDocument": "convention"},
                                content_type="multipart/form-data")
    elif case == "unknown_type":
        response = upload(sud_api, number, doc_type="recepisse")
    else:
        data = b"PK\x03\x04 un zip" if case == "not_pdf" else b"%PDF-1.4\n<html><script>alert(1)</script>"
        response = upload(sud_api, number, data=data)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    errors = response.get_json()["erreurs"]
    assert errors and all(e["message"] and not e["message"].startswith(("Not", "Missing", "Must")) for e in errors)
    assert errors[0]["champ"] == ("typeDocument" if case == "unknown_type" else "fichier")
    assert counts() == before


def test_an_11_mb_file_is_refused_with_413(sud_api):
    number = engaged("CFA Sud").number
    before = counts()
    big = make_pdf("Gros") + b"%" + b"0" * (11 * 1024 * 1024)
    response = upload(sud_api, number, data=big)
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert "10 Mo" in response.get_json()["detail"]
    assert counts() == before


# --- ruptures -----------------------------------------------------------------------------------------------

def test_a_rupture_is_declared_as_on_the_portal(demo, make_key, api_client, make_client):
    key, raw = make_key("CFA Sud", "Ypareo")
    dossier = engaged("CFA Sud")
    date = dossier.contract_start + dt.timedelta(days=200)
    response = api_client(raw).post(f"/api/v1/dossiers/{dossier.number}/ruptures",
                                    json={"dateRupture": date.isoformat(), "motif": "Rupture d'un commun accord",
                                          "poursuiteCfa": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    rupture = models.Rupture.get_by_id(body["identifiant"])
    assert (rupture.state, rupture.date, rupture.continues_at_cfa, rupture.reason) == (
        "declaree", date, True, "Rupture d'un commun accord")
    assert body["etatRupture"] == "declaree" and body["libelleEtat"] == "Déclarée par le CFA"
    assert body["dateRupture"] == date.isoformat() and body["numeroInterneDossier"] == dossier.number
    assert models.Dossier.get_by_id(dossier.id).rupture_date is None  # the OPCO confirms it later
    audit = models.AuditEntry.get((models.AuditEntry.entity == "rupture") & (models.AuditEntry.entity_id == str(rupture.id)))
    assert audit.actor == f"clé API {key.prefix} « Ypareo »"
    again = api_client(raw).post(f"/api/v1/dossiers/{dossier.number}/ruptures",
                                 json={"dateRupture": date.isoformat(), "motif": "Encore"})
    assert again.status_code == 409 and "attend la confirmation" in again.get_json()["detail"]
    page = make_client("admin@cfa-sud.test").get(f"/portail/dossiers/{dossier.number}/rupture")
    assert "Seul un dossier engagé et sans rupture" in page.get_data(as_text=True)


@pytest.mark.parametrize("body, field", [
    ({"dateRupture": "1990-01-01", "motif": "Hors contrat"}, "dateRupture"),
    ({"dateRupture": "2026-13-01", "motif": "Date fausse"}, "dateRupture"),
    ({"dateRupture": None, "motif": "Pas de date"}, "dateRupture"),
    ({"motif": "Pas de date"}, "dateRupture"),
    ({"dateRupture": "START+30", "motif": "   "}, "motif"),
    ({"dateRupture": "START+30", "motif": "Suite", "poursuiteCfa": False, "dateNouveauContrat": "START+60"},
     "dateNouveauContrat"),
    ({"dateRupture": "START+30", "motif": "Suite", "poursuiteCfa": True, "dateNouveauContrat": "START+10"},
     "dateNouveauContrat"),
])
def test_a_refused_rupture_is_a_422_on_its_field_and_writes_nothing(sud_api, body, field):
    dossier = engaged("CFA Sud")
    for key, value in body.items():
        if isinstance(value, str) and value.startswith("START+"):
            body[key] = (dossier.contract_start + dt.timedelta(days=int(value[6:]))).isoformat()
    before = counts()
    response = sud_api.post(f"/api/v1/dossiers/{dossier.number}/ruptures", json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_json()
    assert [e["champ"] for e in response.get_json()["erreurs"]] == [field]
    assert counts() == before


def test_a_rupture_on_a_dossier_that_is_not_engaged_is_a_409(sud_api):
    dossier = models.Dossier.get(models.Dossier.number == "2023169960")  # CFA Sud, soldé
    response = sud_api.post(f"/api/v1/dossiers/{dossier.number}/ruptures",
                            json={"dateRupture": dossier.contract_start.isoformat(), "motif": "Trop tard"})
    assert response.status_code == 409 and "Seul un dossier engagé" in response.get_json()["detail"]


# --- scope ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ["documents", "ruptures", "factures"])
def test_another_organisations_dossier_number_answers_404_and_changes_nothing(nord_api, route):
    """CFA Nord's key with CFA Sud's (and CFA Ouest's) numbers; also an unknown number: the same 404."""
    for number in (engaged("CFA Sud").number, engaged("CFA Ouest").number, "9999999999", "../../x"):
        before = counts()
        if route == "documents":
            response = upload(nord_api, number)
        elif route == "ruptures":
            response = nord_api.post(f"/api/v1/dossiers/{number}/ruptures",
                                     json={"dateRupture": "2026-01-31", "motif": "Intrusion"})
        else:
            response = nord_api.post("/api/v1/factures", content_type="multipart/form-data", data={
                "numeroInterneDossier": number, "dateDebutPeriode": "2025-09-01", "dateFinPeriode": "2026-02-28",
                "montantFraisPedagogiques": "100.00", "acceptationConditions": "true",
                "facture": (io.BytesIO(make_pdf("Facture")), "facture.pdf")})
        assert response.status_code == 404 and response.mimetype == PROBLEM, (number, response.get_json())
        assert counts() == before
