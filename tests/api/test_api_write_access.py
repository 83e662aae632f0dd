"""Every write route of the API × every unusable key and another organisation's key with CFA Sud's numbers:
401 or 404, and not one row of any table changed."""
import datetime as dt
import io

import pytest

import models
from tests.factories import make_pdf

from .conftest import past
from .test_api_contracts import cerfa_of, payload
from .test_api_dossier_writes import engaged

WRITE_RULES = {"/api/v1/contrats", "/api/v1/factures", "/api/v1/dossiers/<numero>/documents",
               "/api/v1/dossiers/<numero>/ruptures"}


def every_row_count():
    return {m.__name__: m.select().count() for m in models.MODELS}


def request_for(rule):
    """A request CFA Sud's own key would see accepted, on CFA Sud's dossier."""
    number = engaged("CFA Sud").number
    if rule == "/api/v1/contrats":
        return {"json": payload(cerfa_of())}
    if rule.endswith("/ruptures"):
        return {"json": {"dateRupture": (engaged("CFA Sud").contract_start + dt.timedelta(days=60)).isoformat(),
                         "motif": "Essai"}}
    if rule.endswith("/documents"):
        return {"data": {"typeDocument": "autre", "fichier": (io.BytesIO(make_pdf("X")), "x.pdf")},
                "content_type": "multipart/form-data"}
    return {"data": {"numeroInterneDossier": number, "dateDebutPeriode": "2025-09-01",
                     "dateFinPeriode": "2025-09-30", "montantFraisPedagogiques": "10.00",
                     "acceptationConditions": "true", "facture": (io.BytesIO(make_pdf("F")), "f.pdf")},
            "content_type": "multipart/form-data"}


def test_the_write_routes_are_those_this_crawl_covers(app):
    posts = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1") and "POST" in r.methods}
    assert WRITE_RULES <= posts


@pytest.mark.parametrize("rule", sorted(WRITE_RULES))
@pytest.mark.parametrize("actor", ["no_key", "unknown", "revoked", "expired", "other_organisation"])
def test_an_unusable_key_or_another_organisations_key_changes_nothing(demo, make_key, api_client, rule, actor):
    raw = {"no_key": None, "unknown": "pcfa_" + "z" * 43}.get(actor)
    if actor == "revoked":
        raw = make_key("CFA Sud", revoked_at=past())[1]
    elif actor == "expired":
        raw = make_key("CFA Sud", expires_at=past())[1]
    elif actor == "other_organisation":
        raw = make_key("CFA Nord")[1]
    url = rule.replace("<numero>", engaged("CFA Sud").number)
    kwargs = request_for(rule)
    before = every_row_count()
    response = api_client(raw).post(url, headers={"Idempotency-Key": f"crawl-{actor}"}, **kwargs)
    expected = 404 if actor == "other_organisation" else 401
    if actor == "other_organisation" and rule == "/api/v1/contrats":
        expected = 201  # a CERFA names no dossier: CFA Nord deposits its own proposal (checked below)
    assert response.status_code == expected, response.get_json()
    assert response.mimetype == ("application/json" if expected == 201 else "application/problem+json")
    after = every_row_count()
    if expected == 201:
        proposal = models.ContractProposal.get_by_id(response.get_json()["numeroProposition"])
        assert proposal.organisation.name == "CFA Nord"
        return
    kept = after.pop("IdempotencyRecord") - before.pop("IdempotencyRecord")
    assert kept == (1 if expected == 404 else 0)  # the refusal itself, replayed to a repeat; nothing else
    assert after == before
