"""Every /api/v1 route × method × {no key, revoked key, expired key, CFA Sud's key, CFA Nord's key}, with the
OTHER organisation's numbers.

Generated from `app.url_map` like tests/test_access.py, so an API route added later is crawled too: each URL
variable is filled through `API_VARIABLES` (a value of the other organisation; an unknown name fails the suite).
Expectations: an unusable key → 401 and nothing changed; a usable key → 404 on a URL carrying another
organisation's number (the database unchanged after a POST); a list never shows another organisation's data.
"""
import datetime as dt
import io
import re

import pytest

from app import create_app
from tests.api.throwaway import throwaway_app
from tests.factories import make_pdf
import hashlib

import models
from tests.test_access import tenant_snapshot
from tests.portal.world import two_cfas
from workflows.api_keys import create_key

PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs"}
API_VARIABLES = {
    ("/api/v1/dossiers/", "numero"): lambda t: t.dossier.number,
    ("/api/v1/factures/", "numero"): lambda t: t.invoice.number,
    ("/api/v1/dossiers/", "courrier_id"): lambda t: t.letter.id,
    ("/api/v1/dossiers/", "letter_id"): lambda t: t.letter.id,
    ("/api/v1/dossiers/", "document_id"): lambda t: t.document.id,
    ("/api/v1/reglements/", "reference"): lambda t: t.payment.reference,
    ("/api/v1/webhooks/", "webhook_id"): lambda t: -1,
}
PDF = make_pdf("Pièce de test")
KEYS = ["none", "revoked", "expired", "sud", "nord"]


def _api_rules():
    with throwaway_app("portail-api-urlmap-") as app:
        return sorted((rule.rule, method, tuple(sorted(rule.arguments)))
                      for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and rule.rule not in PUBLIC
                      for method in rule.methods - {"HEAD", "OPTIONS"})


API_RULES = _api_rules()


def value_for(rule, name, tenant):
    for (prefix, var), getter in sorted(API_VARIABLES.items(), key=lambda kv: -len(kv[0][0])):
        if var == name and rule.startswith(prefix):
            return getter(tenant)
    pytest.fail(f"Unknown URL variable <{name}> in {rule}: add it to API_VARIABLES in tests/api/test_api_access.py")


def fill(rule, arguments, tenant):
    url = rule
    for name in arguments:
        url = re.sub(r"<(?:[^:>]+:)?" + re.escape(name) + ">", str(value_for(rule, name, tenant)), url)
    return url


def db_digest():
    """Every row of every table, but the keys' `last_used_at` (a read marks its key as used)."""
    digest = hashlib.sha256()
    for model in models.MODELS:
        query = model.select().order_by(*model._meta.get_primary_keys())
        if model is models.ApiKey:
            query = model.select(model.id, model.revoked_at).order_by(model.id)
        for row in query.tuples():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_crawl_covers_every_api_route():
    assert ("/api/v1/cle", "GET", ()) in API_RULES
    assert all(rule.startswith("/api/v1/") for rule, _, _ in API_RULES)


@pytest.fixture(scope="module")
def api_crawl(_schema, tmp_path_factory):
    from tests.conftest import _empty_tables
    from tests.factories import Factory

    folder = tmp_path_factory.mktemp("api-crawl")
    app = create_app({"DATABASE_URL": _schema, "DATA_DIR": str(folder), "UPLOAD_DIR": str(folder / "files"),
                      "SECRET_KEY": "test-secret", "TESTING": True, "API_RATE_LIMIT": "100000 per minute"})
    database = app.extensions["database"]
    database.connect(reuse_if_open=True)
    _empty_tables(database)
    sud, nord, _employer, _staff = two_cfas(app, Factory())
    now = dt.datetime.now()
    keys = {"none": None, "sud": create_key(sud.organisation, "Logiciel Sud")[1],
            "nord": create_key(nord.organisation, "Logiciel Nord")[1]}
    revoked, keys["revoked"] = create_key(sud.organisation, "Ancienne clé")
    type(revoked).update(revoked_at=now - dt.timedelta(hours=1)).where(type(revoked).id == revoked.id).execute()
    expired, keys["expired"] = create_key(sud.organisation, "Clé expirée")
    type(expired).update(expires_at=now - dt.timedelta(minutes=1)).where(type(expired).id == expired.id).execute()
    yield {"app": app, "sud": sud, "nord": nord, "keys": keys}
    _empty_tables(database)
    if not database.is_closed():
        database.close()


def _body(other):
    """What every API POST would accept if the scope let it through: both a form and a JSON version."""
    start = other.dossier.contract_start
    fields = {"numeroInterneDossier": other.dossier.number, "typeDocument": "autre",
              "referenceFactureCFA": "F-CRAWL", "dateFacture": start.isoformat(),
              "dateDebutPeriode": start.isoformat(), "dateFinPeriode": start.isoformat(),
              "montantPedagogie": "10.00", "dateRupture": start.isoformat(), "motif": "Rupture de test"}
    return fields




@pytest.mark.parametrize("rule,method,arguments,key", [
    pytest.param(r, m, a, k, id=f"{m} {r} {k}") for r, m, a in API_RULES for k in KEYS])
def test_api_route_never_serves_or_changes_another_organisations_data(api_crawl, rule, method, arguments, key):
    sud, nord = api_crawl["sud"], api_crawl["nord"]
    own, other = (nord, sud) if key == "nord" else (sud, nord)
    client = api_crawl["app"].test_client()
    headers = {"X-API-KEY": api_crawl["keys"][key]} if api_crawl["keys"][key] else {}
    url = fill(rule, arguments, other)
    before_db, before_other = db_digest(), tenant_snapshot(other)
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        form = {**_body(other), "fichier": (io.BytesIO(PDF), "piece.pdf"), "facture": (io.BytesIO(PDF), "facture.pdf")}
        multipart = client.post(url, headers=headers, content_type="multipart/form-data", data=form)
        json_post = client.post(url, headers=headers, json=_body(other))
        response = multipart if multipart.status_code not in (415, 422) or json_post.status_code >= 500 else json_post
        assert json_post.status_code < 500, f"{method} {url} ({key}, JSON): {json_post.status_code}"
    status = response.status_code
    assert status < 500, f"{method} {url} with key {key}: {status}"
    assert response.mimetype in ("application/json", "application/problem+json"), response.mimetype
    if key in ("none", "revoked", "expired"):
        assert status == 401, f"{method} {url} with key {key}: {status}"
        assert db_digest() == before_db
        return
    if arguments:
        assert status == 404, f"{method} {url} with {key}'s key answered {status}"
    if method == "POST":  # every body names the other organisation's dossier: nothing may be written
        assert status in (404, 422), f"{method} {url} with {key}'s key answered {status}"
        assert db_digest() == before_db, f"{method} {url} with {key}'s key changed the database"
        assert tenant_snapshot(other) == before_other
    text = response.get_data(as_text=True).replace(url, "")  # a problem's `instance` repeats the URL asked
    leaked = [marker for marker in other.markers if str(marker) in text]
    assert not leaked, f"{method} {url} with {key}'s key shows the other organisation's {leaked}"
