"""Every POST route of the app refuses a form without its CSRF token (400) and writes nothing.

Generated from `app.url_map`: a route added later is covered automatically. The poster is a signed-in user
of the kind the route serves (staff admin for /admin, CFA admin for /portail), so a missing check cannot
hide behind a login redirect. The JSON API (/api/v1) reads no cookie and needs no token: there the signed-in
session's POST must answer 401 (the key is the only credential) and write nothing.
"""
import re

import pytest

import models
from tests.portal.world import two_cfas

VALUES = {"int": "1", "default": "x"}


def _post_rules():
    import shutil
    import tempfile

    from app import create_app

    folder = tempfile.mkdtemp(prefix="portail-csrf-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/urlmap.db", "DATA_DIR": folder,
                      "UPLOAD_DIR": f"{folder}/files", "SECRET_KEY": "x", "TESTING": True})
    rules = sorted({rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods})
    app.extensions["database"].close()
    shutil.rmtree(folder, ignore_errors=True)
    return rules


POST_RULES = _post_rules()


def fill(rule, tenant):
    """Each URL variable from the signed-in user's own records (so only the token is missing)."""
    own = {"number": tenant.dossier.number, "siret": tenant.organisation.siret,
           "invoice_id": tenant.invoice.id, "notification_id": tenant.notification.id,
           "delegation_id": tenant.delegation.id, "dossier_id": tenant.dossier.id,
           "decision": "rejeter", "action_name": "refuser", "key_id": tenant.api_key.id}

    def value(match):
        name = match.group(2)
        if rule.startswith("/portail/avoirs/") and name == "number":
            return str(tenant.credit_note.number)
        return str(own.get(name, 1))

    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", value, rule)


def counts():
    return {model.__name__: model.select().count() for model in models.MODELS}


def test_the_generated_list_covers_portal_admin_and_auth_posts():
    assert "/connexion" in POST_RULES and "/deconnexion" in POST_RULES
    assert "/admin/invoice/action/" in POST_RULES and "/admin/payment/enregistrer/" in POST_RULES
    assert "/portail/facturation" in POST_RULES and "/portail/organisation/banque" in POST_RULES
    assert len(POST_RULES) > 100


@pytest.mark.parametrize("rule", POST_RULES)
def test_post_without_csrf_token_is_refused_and_changes_nothing(app, factory, make_client, rule):
    sud, nord, employer, staff = two_cfas(app, factory)
    if rule.startswith("/admin"):
        client = make_client(staff.email)
    elif rule == "/connexion":
        client = make_client()
    else:
        client = make_client(sud.admin.email)
    url = fill(rule, sud)
    before = counts()
    response = client.post(url, data={"ids": "1", "rowid": "1", "action": "rejeter", "reason": "x",
                                      "email": sud.admin.email, "password": "Portail-Demo-2026",
                                      "confirm": "y", "url": "/admin/"})
    if rule.startswith("/api/"):
        assert response.status_code == 401, f"POST {url} with a session and no key: {response.status_code}"
        assert counts() == before
        return
    assert response.status_code == 400, f"POST {url} without token: {response.status_code}"
    assert "jeton de sécurité" in response.get_data(as_text=True)
    assert counts() == before
