"""*Mon compte* of OPCO staff (/admin/compte/): the portal's forms and workflow in the back office."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

import models
from infrastructure.passwords import verify_password
from tests.portal.test_account import FUZZ, NEW, OLD, odd_text, password_change, profile

URL = "/admin/compte/"


@pytest.fixture
def agent(factory):
    return factory.staff("comptable", email="agent@opco.test", first_name="Paul", last_name="Bernard")


def test_every_staff_role_reaches_its_account_from_the_header(factory, make_client):
    for role in ("conseiller", "comptable", "admin"):
        client = make_client(factory.staff(role).email)
        assert 'href="/admin/compte/"' in client.get("/admin/").get_data(as_text=True)
        page = client.get(URL).get_data(as_text=True)
        assert "Mon compte" in page and "Changer mon mot de passe" in page


def test_portal_users_and_anonymous_are_kept_out(factory, make_client, client):
    assert make_client(factory.cfa_user().email).get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_staff_change_their_name_audited(make_client, agent):
    response = make_client(agent.email).post_form(URL, profile(last_name="Bernard-Roy", first_name="Paul"))
    assert response.status_code == 302
    assert models.User.get_by_id(agent.id).last_name == "Bernard-Roy"
    entry = models.AuditEntry.get((models.AuditEntry.entity == "user") & (models.AuditEntry.action == "update_account"))
    assert entry.entity_id == str(agent.id) and entry.actor == "agent@opco.test"


def test_a_wrong_current_password_changes_nothing(make_client, agent):
    response = make_client(agent.email).post_form(URL, password_change(current="Mauvais-Mot-9"))
    assert response.status_code == 400 and "Le mot de passe actuel est incorrect." in response.get_data(as_text=True)
    assert verify_password(models.User.get_by_id(agent.id).password_hash, OLD)


def test_a_weak_password_is_refused_with_the_reason(make_client, agent):
    response = make_client(agent.email).post_form(URL, password_change(new="motdepasse"))
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "une lettre majuscule" in text and "plus courants" in text


def test_a_password_change_signs_out_the_other_staff_sessions_only(make_client, agent):
    here, elsewhere = make_client(agent.email), make_client(agent.email)
    assert here.post_form(URL, password_change()).status_code == 302
    assert here.get("/admin/").status_code == 200
    response = elsewhere.get("/admin/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert models.AuditEntry.select().where(models.AuditEntry.action == "change_password").count() == 1
    make_client().login(agent.email, NEW)


@FUZZ
@given(last_name=odd_text, first_name=odd_text, newsletter=odd_text, current=odd_text, new=odd_text,
       form_name=st.sampled_from(["profil", "mot_de_passe", "", None]))
def test_fuzzing_the_staff_account_forms_never_fails(make_client, agent, last_name, first_name, newsletter,
                                                     current, new, form_name):
    client = getattr(agent, "_client", None) or make_client(agent.email)
    agent._client = client
    data = {"last_name": last_name, "first_name": first_name, "newsletter": newsletter, "form_name": form_name,
            "current_password": current, "new_password": new, "confirmation": new}
    response = client.post_form(URL, {k: v for k, v in data.items() if v is not None})
    assert response.status_code in (302, 400)
    assert verify_password(models.User.get_by_id(agent.id).password_hash, OLD)
