"""Every GET route of /api/v1, generated from `app.url_map`, filled with CFA Sud's numbers: 401 for each
unusable key, 404 for another organisation's key, 200 for Sud's own."""
import re

import pytest

from models import Dossier, Invoice, Letter, Organisation
from models.states import InvoiceState

from .conftest import past

PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs"}


def api_get_rules():
    import shutil
    import tempfile

    from app import create_app

    folder = tempfile.mkdtemp(prefix="portail-api-urlmap-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/urlmap.db", "DATA_DIR": folder,
                      "UPLOAD_DIR": f"{folder}/files", "SECRET_KEY": "x", "TESTING": True})
    found = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/api/v1/") and "GET" in rule.methods and rule.rule not in PUBLIC
                   and not rule.rule.startswith("/api/v1/docs"))
    app.extensions["database"].close()
    shutil.rmtree(folder, ignore_errors=True)
    return found


def sud_url(rule):
    """The rule with CFA Sud's numbers in its parameters."""
    sud = Organisation.get(Organisation.name == "CFA Sud")
    letter = Letter.select().join(Dossier).where(Dossier.organisation == sud.id).order_by(Letter.id).first()
    invoice = (Invoice.select().where((Invoice.organisation == sud.id) & (Invoice.state != InvoiceState.DRAFT))
               .order_by(Invoice.id).first())
    values = {"numero": letter.dossier.number, "courrier_id": str(letter.id)}
    if rule.startswith("/api/v1/factures/"):
        values["numero"] = invoice.display_number
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule)


RULES = api_get_rules()


def test_the_read_routes_are_crawled():
    assert {"/api/v1/dossiers", "/api/v1/dossiers/<numero>", "/api/v1/dossiers/<numero>/courriers/<int:courrier_id>",
            "/api/v1/factures", "/api/v1/factures/<numero>", "/api/v1/reglements"} <= set(RULES)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("who", ["sans_cle", "revoquee", "expiree", "cfa_nord", "cfa_sud"])
def test_every_read_route_refuses_outside_the_keys_scope(demo, make_key, api_client, rule, who):
    raw = {"sans_cle": None}.get(who)
    if who == "revoquee":
        raw = make_key("CFA Sud", revoked_at=past())[1]
    elif who == "expiree":
        raw = make_key("CFA Sud", expires_at=past())[1]
    elif who in ("cfa_nord", "cfa_sud"):
        raw = make_key("CFA Nord" if who == "cfa_nord" else "CFA Sud")[1]
    url = sud_url(rule)
    response = api_client(raw).get(url)
    if who == "cfa_sud":
        assert response.status_code == 200, url
        return
    if who == "cfa_nord":
        if "<" in rule:  # a single record of Sud's
            assert response.status_code == 404 and response.mimetype == "application/problem+json", url
        else:  # a list: answered, without Sud's records
            assert response.status_code == 200
            text = response.get_data(as_text=True)
            assert "CFA Sud" not in text and Organisation.get(Organisation.name == "CFA Sud").siret not in text
        return
    assert response.status_code == 401 and response.get_json()["code"] == "cle_invalide", url
