"""Back-office role checks on every /admin POST route, generated from `app.url_map`.

The expectations are written here, from the spec, not read from the views: invoices, bank details, payments,
refunds and credit notes are decided by the comptable (and admin); dossier state actions, ruptures and
amendments by the conseiller (and admin); users, organisations, delegations and referentials by the admin only;
money and audit records are never written through the generic forms. A refused role gets 403 (or is sent away)
and the database is unchanged.
"""
import io
import re

import pytest

from tests.portal.world import two_cfas
from tests.security.test_csrf import POST_RULES, counts
from tests.test_access import db_digest

ADMIN_RULES = [rule for rule in POST_RULES if rule.startswith("/admin/")]
# Who may write through the generic forms (new/edit/delete/ajax/list actions) of each model view.
MODEL_WRITERS = {
    "apprentice": {"admin", "conseiller"}, "dossier": {"admin", "conseiller"}, "employer": {"admin", "conseiller"},
    "organisation": {"admin"}, "user": {"admin"}, "delegation": {"admin"}, "npecreference": {"admin"},
    "idcccpne": {"admin"}, "opconews": {"admin", "conseiller"}, "helpdeskcontact": {"admin"},
}
DECIDERS = {"admin", "comptable"}
DOSSIER_ACTORS = {"admin", "conseiller"}
DECISION_VIEWS = {"invoice", "creditnote", "payment", "bankdetails"}


def allowed_roles(rule):
    """The staff roles allowed to POST to `rule`, from the spec."""
    parts = rule.strip("/").split("/")
    view = parts[1]
    if view == "compte":  # one's own account (/admin/compte/): every staff role
        return {"admin", "conseiller", "comptable"}
    if view == "dossier" and parts[2] == "export":  # a background export: any staff role exports the list
        return {"admin", "conseiller", "comptable"}
    if view in ("rupture", "avenant"):
        return DOSSIER_ACTORS
    if view == "dossier" and parts[2] == "action":
        return DOSSIER_ACTORS
    if view == "npecreference" and parts[2] == "import":
        return {"admin"}
    if view in DECISION_VIEWS and parts[2] in ("action", "motif", "emettre", "enregistrer"):
        return DECIDERS
    return MODEL_WRITERS.get(view, set())


def test_every_admin_post_route_has_an_expectation():
    assert {"/admin/invoice/action/", "/admin/rupture/<int:dossier_id>/confirmer", "/admin/npecreference/import/",
            "/admin/payment/enregistrer/", "/admin/creditnote/emettre/", "/admin/user/new/"} <= set(ADMIN_RULES)


def _cases():
    return [pytest.param(rule, role, id=f"{rule} {role}") for rule in ADMIN_RULES
            for role in ("conseiller", "comptable") if role not in allowed_roles(rule)]


def _requests(app, rule, sud):
    """(url, body) pairs a user of the right role could legitimately send to `rule`."""
    view_name = rule.strip("/").split("/")[1]
    view = next((v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == view_name), None)
    model = getattr(view, "model", None)
    ids = [str(i) for (i,) in model.select(model.id).tuples()][:3] if model is not None else ["1"]
    first = ids[0] if ids else "1"
    body = {"reason": "Motif de test", "ids": ",".join(ids) or "1", "amount": "10,00", "date": "01/10/2026",
            "new_end": "31/12/2027", "confirm": "y", "dossier": str(sud.dossier.id), "organisation":
            str(sud.organisation.id), "name": "Nom", "email": "nouveau@opco.test", "siret": "12345678901234"}
    if rule.endswith("/action/"):
        return [(rule, {"action": name, "rowid": ids}) for name in (view._actions_data if view else {})] or \
            [(rule, {"action": "delete", "rowid": ids})]
    if "<decision>" in rule:
        return [(rule.replace("<decision>", name), body) for name in getattr(view, "decisions", {})]
    if "<action_name>" in rule:
        from workflows.dossier_workflow import ACTIONS
        return [(rule.replace("<action_name>", name), {**body, "ids": str(sud.dossier.id)}) for name in ACTIONS]
    if "<int:dossier_id>" in rule:
        return [(rule.replace("<int:dossier_id>", str(sud.dossier.id)), body)]
    if rule.endswith("/edit/"):
        return [(f"{rule}?id={first}", body)]
    if rule.endswith("/delete/"):
        return [(rule, {"id": first})]
    if rule.endswith("/ajax/update/"):
        return [(rule, {"list_form_pk": first, "name": "Changé"})]
    if rule.endswith("/import/"):
        return [(rule, {"file": (io.BytesIO(b"code;libelle\n"), "npec.csv")})]
    assert not re.search(r"<[^>]+>", rule), f"no request recipe for {rule}"
    return [(rule, body)]


@pytest.mark.parametrize("rule,role", _cases())
def test_staff_role_without_the_right_cannot_post(app, factory, make_client, rule, role):
    sud, nord, employer, staff = two_cfas(app, factory)
    client = make_client(factory.staff(role).email)
    for url, body in _requests(app, rule, sud):
        before, before_counts = db_digest(), counts()
        response = client.post_form(url, body, content_type="multipart/form-data")
        assert response.status_code in (302, 403, 404), f"{role} POST {url}: {response.status_code}"
        if response.status_code == 302:
            assert "/connexion" not in response.headers["Location"]
        after_counts = counts()
        # signing in leaves an audit line; nothing else may move
        assert {k: v for k, v in after_counts.items()} == before_counts, f"{role} POST {url} wrote rows"
        assert db_digest() == before, f"{role} POST {url} changed data"
