"""*Mon compte* in the portal (/portail/compte): identity, newsletter, digest switch and password change."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from infrastructure.passwords import verify_password
from workflows.notify import notify_organisation

URL = "/portail/compte"
OLD = "Portail-Demo-2026"
NEW = "Chaton-Bleu-Volant-7"
FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)


@pytest.fixture
def user(factory):
    org = factory.organisation(name="CFA Sud")
    return factory.cfa_user(org, email="camille@cfa-sud.test", first_name="Camille", last_name="Martin")


def profile(**overrides):
    data = {"form_name": "profil", "last_name": "Martin", "first_name": "Camille", "newsletter": "non",
            "daily_digest": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def password_change(current=OLD, new=NEW, confirmation=None):
    return {"form_name": "mot_de_passe", "current_password": current, "new_password": new,
            "confirmation": new if confirmation is None else confirmation}


def audit(action):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == "user")
                                                  & (models.AuditEntry.action == action)))


def test_the_page_shows_the_account_and_the_password_rule(make_client, user):
    page = make_client(user.email).get(URL).get_data(as_text=True)
    assert "Mon compte" in page and "camille@cfa-sud.test" in page and 'value="Martin"' in page
    assert "Au moins 8 caractères, dont une lettre minuscule et une lettre majuscule" in page
    assert "Gérer mes notifications" in page


def test_the_header_profile_menu_names_the_user_role_and_organisation(make_client, user):
    page = make_client(user.email).get("/portail/").get_data(as_text=True)
    menu = page[page.index('id="profile-menu"'):]
    assert "Camille Martin" in menu and "Administrateur OF" in menu and "CFA Sud" in menu
    assert 'href="/portail/compte"' in menu and "Déconnexion" in menu and 'action="/deconnexion"' in menu
    assert 'name="csrf_token"' in menu


def test_a_gestionnaire_is_shown_as_such(factory, make_client):
    org = factory.organisation(name="CFA Nord")
    gestionnaire = factory.cfa_user(org, role="gestionnaire_of", first_name="Léa", last_name="Roux")
    page = make_client(gestionnaire.email).get("/portail/").get_data(as_text=True)
    assert "Gestionnaire OF" in page[page.index('id="profile-menu"'):]


def test_changing_the_name_and_newsletter_is_saved_and_audited(make_client, user):
    client = make_client(user.email)
    response = client.post_form(URL, profile(last_name="Durand", first_name="Camille-Anne", newsletter="oui"))
    assert response.status_code == 302
    saved = models.User.get_by_id(user.id)
    assert (saved.last_name, saved.first_name, saved.newsletter, saved.daily_digest) == (
        "Durand", "Camille-Anne", True, True)
    entry, = audit("update_account")
    assert entry.before["last_name"] == "Martin" and entry.after["last_name"] == "Durand"
    assert "Vos informations ont été enregistrées." in client.get(URL).get_data(as_text=True)


def test_an_empty_name_is_refused_and_what_was_typed_is_shown_again(make_client, user):
    response = make_client(user.email).post_form(URL, profile(last_name="  ", first_name="Zoé<b>"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Saisissez votre nom." in page
    assert 'value="Zoé&lt;b&gt;"' in page
    assert models.User.get_by_id(user.id).first_name == "Camille" and not audit("update_account")


def test_a_post_without_csrf_token_changes_nothing(app, user):
    from tests.conftest import PortalClient
    client = PortalClient(app)
    client.login(user.email)
    response = client.post(URL, data=profile(last_name="Pirate"))
    assert response.status_code == 400
    assert models.User.get_by_id(user.id).last_name == "Martin"


def test_a_wrong_current_password_is_refused_and_nothing_changes(make_client, user):
    client = make_client(user.email)
    before = models.User.get_by_id(user.id)
    response = client.post_form(URL, password_change(current="Pas-Le-Bon-1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Le mot de passe actuel est incorrect." in page
    assert "Pas-Le-Bon-1" not in page and NEW not in page  # passwords are never shown again
    after = models.User.get_by_id(user.id)
    assert (after.password_hash, after.session_token) == (before.password_hash, before.session_token)
    assert not audit("change_password")


@pytest.mark.parametrize("weak,reason", [
    ("Court1", "au moins 8 caractères"),
    ("toutminuscule", "une lettre majuscule"),
    ("TOUTMAJUSCULE", "une lettre minuscule"),
    ("Azerty123!", "fait partie des plus courants"),
])
def test_a_weak_new_password_is_refused_with_the_reason(make_client, user, weak, reason):
    response = make_client(user.email).post_form(URL, password_change(new=weak))
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert verify_password(models.User.get_by_id(user.id).password_hash, OLD)


def test_a_confirmation_that_differs_is_refused(make_client, user):
    response = make_client(user.email).post_form(URL, password_change(confirmation="Autre-Chose-99"))
    assert "La confirmation ne correspond pas" in response.get_data(as_text=True)
    assert verify_password(models.User.get_by_id(user.id).password_hash, OLD)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(make_client, user):
    here, elsewhere = make_client(user.email), make_client(user.email)
    assert elsewhere.get("/portail/").status_code == 200
    response = here.post_form(URL, password_change())
    assert response.status_code == 302
    saved = models.User.get_by_id(user.id)
    assert saved.password_hash.startswith("$argon2id$") and verify_password(saved.password_hash, NEW)
    assert "Vos autres sessions ont été fermées" in here.get(URL).get_data(as_text=True)
    assert here.get("/portail/").status_code == 200
    signed_out = elsewhere.get("/portail/")
    assert signed_out.status_code == 302 and "/connexion" in signed_out.headers["Location"]
    entry, = audit("change_password")
    assert entry.entity_id == str(user.id) and "password_hash" not in (entry.after or {})
    make_client().login(user.email, NEW)  # the new password signs in


def test_the_digest_switch_turned_off_means_no_digest(app, make_client, user):
    org = models.Membership.get(models.Membership.user == user.id).organisation
    client = make_client(user.email)
    assert client.post_form(URL, profile(daily_digest=None)).status_code == 302
    assert models.User.get_by_id(user.id).daily_digest is False
    notify_organisation(org, "Facture validée", category="billing")
    result = app.test_cli_runner().invoke(args=["digest"])
    assert result.exit_code == 0 and models.OutboxEmail.select().where(
        models.OutboxEmail.recipient == user.email).count() == 0

    assert client.post_form(URL, profile(daily_digest="y")).status_code == 302  # switched back on: it comes
    app.test_cli_runner().invoke(args=["digest"])
    assert models.OutboxEmail.select().where(models.OutboxEmail.recipient == user.email).count() == 1


def test_an_employer_user_has_an_account_page_too(factory, make_client):
    employer_user = factory.employer_user(first_name="Claire", last_name="Rh")
    client = make_client(employer_user.email)
    assert client.get(URL).status_code == 200
    assert client.post_form(URL, profile(last_name="Dupont", first_name="Claire")).status_code == 302
    assert models.User.get_by_id(employer_user.id).last_name == "Dupont"


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@FUZZ
@given(last_name=odd_text, first_name=odd_text, newsletter=odd_text, digest=st.sampled_from(["y", "", None, "n"]),
       form_name=st.sampled_from(["profil", "", "autre", None]))
def test_fuzzing_the_account_form_never_fails(make_client, user, last_name, first_name, newsletter, digest,
                                              form_name):
    client = make_client(user.email) if not hasattr(user, "_client") else user._client
    user._client = client
    data = {"last_name": last_name, "first_name": first_name, "newsletter": newsletter, "daily_digest": digest,
            "form_name": form_name}
    response = client.post_form(URL, {k: v for k, v in data.items() if v is not None})
    assert response.status_code in (302, 400)
    saved = models.User.get_by_id(user.id)
    if response.status_code == 302:
        assert (saved.last_name, saved.first_name) == (last_name.strip(), first_name.strip())
    user.last_name, user.first_name = saved.last_name, saved.first_name


@FUZZ
@given(current=odd_text, new=odd_text, confirmation=odd_text)
def test_fuzzing_the_password_form_never_fails(make_client, user, current, new, confirmation):
    client = make_client(user.email) if not hasattr(user, "_client") else user._client
    user._client = client
    response = client.post_form(URL, {"form_name": "mot_de_passe", "current_password": current,
                                      "new_password": new, "confirmation": confirmation})
    assert response.status_code == 400  # the current password is never guessed
    assert verify_password(models.User.get_by_id(user.id).password_hash, OLD)


def test_a_notification_email_receives_the_digest_and_an_empty_one_means_the_login_email(app, make_client, user):
    client = make_client(user.email)
    saved = client.post_form(URL, profile(notification_email="  Secretariat@CFA-Sud.test "))
    assert saved.status_code == 302
    assert models.User.get_by_id(user.id).notification_email == "secretariat@cfa-sud.test"
    [entry] = audit("update_account")
    assert entry.before["notification_email"] == "" and entry.after["notification_email"] == "secretariat@cfa-sud.test"
    assert 'value="secretariat@cfa-sud.test"' in client.get(URL).get_data(as_text=True)

    notify_organisation(user.memberships[0].organisation, "Pièces demandées : convention signée")
    assert app.test_cli_runner().invoke(args=["digest"]).exit_code == 0
    [mail] = models.OutboxEmail.select()
    assert mail.recipient == "secretariat@cfa-sud.test"  # not the login email
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"  # the login does not change

    assert client.post_form(URL, profile(notification_email="")).status_code == 302
    assert models.User.get_by_id(user.id).notification_email == ""


def test_a_malformed_notification_email_is_refused_and_shown_again(make_client, user):
    response = make_client(user.email).post_form(URL, profile(notification_email="secretariat@", last_name="Durand"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="secretariat@"' in page and 'value="Durand"' in page
    assert models.User.get_by_id(user.id).notification_email == "" and models.User.get_by_id(user.id).last_name == "Martin"
