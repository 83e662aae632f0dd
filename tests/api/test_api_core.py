"""The API's frame: the key as the only credential, problem documents, rate limit, OpenAPI document."""
import pytest

from models import ApiKey, Organisation
from models.states import OrganisationStatus

from .conftest import past

PROBLEM = "application/problem+json"


def test_the_key_route_names_the_keys_organisation_and_the_delegations_it_covers(sud_api):
    response = sud_api.get("/api/v1/cle")
    assert response.status_code == 200
    body = response.get_json()
    assert body["organisme"]["denomination"] == "CFA Sud"
    assert body["organisme"]["siret"] == Organisation.get(Organisation.name == "CFA Sud").siret
    assert [o["denomination"] for o in body["organismesDelegants"]] == ["CFA Ouest"]
    assert body["prefixe"].startswith("pcfa_") and body["expireLe"] > body["creeeLe"]


def test_the_key_is_marked_as_used(demo, make_key, api_client):
    key, raw = make_key("CFA Nord")
    assert key.last_used_at is None
    api_client(raw).get("/api/v1/cle")
    assert ApiKey.get_by_id(key.id).last_used_at is not None


@pytest.mark.parametrize("case", ["missing", "unknown", "malformed", "expired", "revoked", "inactive_org"])
def test_every_unusable_key_gets_the_same_401(demo, make_key, api_client, case):
    raw = {"missing": None, "unknown": "pcfa_" + "x" * 43, "malformed": "Bearer abc"}.get(case)
    if case == "expired":
        raw = make_key("CFA Nord", expires_at=past())[1]
    elif case == "revoked":
        raw = make_key("CFA Nord", revoked_at=past())[1]
    elif case == "inactive_org":
        raw = make_key("CFA Nord")[1]
        Organisation.update(status=OrganisationStatus.INACTIVE.value).where(Organisation.name == "CFA Nord").execute()
    response = api_client(raw).get("/api/v1/cle")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body == {"type": "https://portail-cfa.fr/api/problemes/cle_invalide", "status": 401,
                    "title": "Clé d'API absente, inconnue, expirée ou révoquée", "code": "cle_invalide",
                    "detail": "Fournissez une clé d'API valide dans l'en-tête X-API-KEY.", "instance": "/api/v1/cle"}
    assert response.headers["WWW-Authenticate"].startswith("ApiKey")


def test_an_unknown_api_address_answers_a_problem_document_not_an_html_page(sud_api):
    response = sud_api.get("/api/v1/dossiers-inconnus")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert response.get_json()["code"] == "introuvable"


def test_a_wrong_method_answers_405_as_a_problem(sud_api):
    response = sud_api.request("DELETE", "/api/v1/cle")
    assert response.status_code == 405 and response.mimetype == PROBLEM


def test_a_signed_in_portal_session_is_no_credential_for_the_api(demo, make_client):
    signed_in = make_client("admin@cfa-sud.test")
    assert signed_in.get("/portail/").status_code == 200
    assert signed_in.get("/api/v1/cle").status_code == 401


def test_above_the_keys_rate_the_api_answers_429_with_retry_after(demo, make_key, api_client, app):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = api_client(make_key("CFA Nord")[1])
    assert [client.get("/api/v1/cle").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/cle")
    assert response.status_code == 429 and response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["code"] == "trop_de_requetes"
    other = api_client(make_key("CFA Sud")[1])  # each key has its own budget
    assert other.get("/api/v1/cle").status_code == 200


def test_the_openapi_document_describes_the_key_header_and_problem_errors(app, db):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["cleApi"] == {
        "type": "apiKey", "in": "header", "name": "X-API-KEY",
        "description": "Clé d'API de l'organisme (préfixe pcfa_)."}
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    assert "/api/v1/cle" in spec["paths"]


def test_the_documentation_page_is_served_by_the_app_itself(app, db):
    response = app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "X-API-KEY" in html and "/api/v1/cle" in html and "organismesDelegants" in html
    assert "<script src=" not in html  # nothing loaded from elsewhere
