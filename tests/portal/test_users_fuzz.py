"""The forms of the users screen and of the invitation link fuzzed with Hypothesis through their real URLs:
never a 5xx, and a refused post writes nothing."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import models
from tests.conftest import PortalClient

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)
emailish = st.one_of(odd_text, st.emails().map(str), st.sampled_from(["", "GESTION@cfa-sud.test", "a@b", "x" * 300,
                                                                        "admin@cfa-nord.test", "ok@cfa-sud.test"]))
RIGHTS = ["right_contracts", "right_contracts_billing", "right_stock", "right_stock_billing", "right_no_contract",
          "right_no_contract_billing"]


def table_counts():
    return {m.__name__: m.select().count() for m in models.MODELS}


@pytest.fixture
def setup(factory, make_client):
    sud = factory.organisation(name="CFA Sud")
    nord = factory.organisation(name="CFA Nord")
    factory.cfa_user(sud, email="admin@cfa-sud.test")
    gestion = factory.cfa_user(sud, email="gestion@cfa-sud.test", role="gestionnaire_of", rights=["right_contracts"])
    factory.cfa_user(nord, email="admin@cfa-nord.test")
    return {"client": make_client("admin@cfa-sud.test"), "sud": sud, "nord": nord, "gestion": gestion}


@given(filters=st.fixed_dictionaries({"nom": odd_text, "prenom": odd_text, "email": emailish,
                                      "actif": st.one_of(st.sampled_from(["", "oui", "non"]), odd_text),
                                      "page": st.one_of(st.integers(-10**20, 10**20).map(str), odd_text)}))
@FUZZ
def test_the_list_filters_never_fail(setup, filters):
    response = setup["client"].get("/portail/utilisateurs", query_string=filters)
    assert response.status_code in (200, 400)
    establishments = setup["client"].get("/portail/etablissements", query_string={"q": filters["nom"]})
    assert establishments.status_code == 200


@given(data=st.fixed_dictionaries({"last_name": odd_text, "first_name": odd_text, "email": emailish}))
@example(data={"last_name": "Durand", "first_name": "Inès", "email": "ines@cfa-sud.test"})
@FUZZ
def test_the_identity_step_never_fails_and_creates_nobody(setup, data):
    before = table_counts()
    response = setup["client"].post_form("/portail/utilisateurs/nouveau", data)
    assert response.status_code in (302, 400)
    assert table_counts() == before  # step 1 only remembers what was typed


def _rights_strategy(org_ids):
    role = st.one_of(st.sampled_from(["", "admin_of", "gestionnaire_of", "gestionnaire_of"]), odd_text)
    fields = {}
    for org_id in org_ids:
        fields[f"o{org_id}_role"] = role
        for right in RIGHTS:
            fields[f"o{org_id}_{right}"] = st.sampled_from(["y", "", "on", "false", "0"])
    return st.fixed_dictionaries({}, optional=fields)


@given(data=st.data())
@FUZZ
def test_the_rights_steps_never_fail_and_never_write_half(setup, data):
    sud, nord, gestion, client = setup["sud"], setup["nord"], setup["gestion"], setup["client"]
    # mostly the administrator's own establishment; sometimes another organisation's or an unknown one (forged)
    org_ids = data.draw(st.sampled_from([[sud.id], [sud.id], [sud.id], [sud.id, nord.id], [999999]]))
    body = data.draw(_rights_strategy(org_ids))
    with client.session_transaction() as sess:
        sess["user_invitation"] = {"last_name": "Fuzz", "first_name": "Test",
                                   "email": f"fuzz{data.draw(st.integers(0, 10**9))}@cfa-sud.test"}
    before = table_counts()
    created = client.post_form("/portail/utilisateurs/nouveau/droits", body)
    assert created.status_code in (302, 400, 403)
    after = table_counts()
    if created.status_code != 302:
        assert after == before
    else:  # a whole user: the user, memberships, the link, the email, one audit entry
        assert after["User"] == before["User"] + 1 and after["OutboxEmail"] == before["OutboxEmail"] + 1
        assert after["AuditEntry"] == before["AuditEntry"] + 1 and after["Membership"] > before["Membership"]
    before = table_counts()
    edited = client.post_form(f"/portail/utilisateurs/{gestion.id}/droits", body)
    assert edited.status_code in (302, 400, 403)
    if edited.status_code != 302:
        assert table_counts() == before
    rights = models.Membership.select().where(models.Membership.user == gestion.id)
    assert all(m.organisation_id == sud.id and m.rights for m in rights)


@given(data=st.fixed_dictionaries({"password": odd_text, "confirm": odd_text}),
       token=st.one_of(st.just(None), odd_text.filter(lambda t: "/" not in t and t not in ("", ".", ".."))))
@example(data={"password": "Jardin-Potager-2031", "confirm": "Jardin-Potager-2031"}, token=None)
@FUZZ
def test_the_invitation_page_never_fails(app, setup, data, token):
    from workflows import tokens

    user = models.User.get(models.User.email == "gestion@cfa-sud.test")
    models.User.update(password_hash="").where(models.User.id == user.id).execute()
    if token is None:
        from infrastructure import signed_links

        with app.app_context():
            token = signed_links.sign(tokens.issue(user, "invitation", dt.timedelta(hours=24)), "invitation")
    secret = token
    client = PortalClient(app)
    before = models.User.get_by_id(user.id).password_hash
    response = client.post_form(f"/invitation/{secret}", data)
    assert response.status_code in (200, 400, 404, 410)
    if response.status_code != 200:
        assert models.User.get_by_id(user.id).password_hash == before
    assert client.get(f"/invitation/{secret}").status_code in (200, 404, 410)
