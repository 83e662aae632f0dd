"""Change of login email in *Mon compte* (portal /portail/compte, back office /admin/compte/): the current
password, a link to the new address (24 h, single use, hashed), a notice to the old one, and the login that
changes only when the link is opened — then every other session ends."""
import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import models
from tests.conftest import PortalClient

PORTAL = "/portail/compte"
STAFF = "/admin/compte/"
PASSWORD = "Portail-Demo-2026"
NEW = "camille.martin@nouveau-cfa.test"
FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def user(factory):
    org = factory.organisation(name="CFA Sud")
    return factory.cfa_user(org, email="camille@cfa-sud.test", first_name="Camille", last_name="Martin")


def change(new=NEW, confirmation=None, password=PASSWORD):
    return {"form_name": "email", "new_email": new, "new_email_confirmation": new if confirmation is None
            else confirmation, "email_password": password}


def emails_to(address):
    return list(models.OutboxEmail.select().where(models.OutboxEmail.recipient == address)
                .order_by(models.OutboxEmail.id))


def link(address=NEW):
    """The path of the confirmation link in the last email sent to `address`."""
    mail = emails_to(address)[-1]
    return urlsplit(re.search(r"https?://\S+/confirmer-email/\S+", mail.body).group(0)).path


def audit(action):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == "user")
                                                  & (models.AuditEntry.action == action)))


def confirm(client, path):
    return client.post_form(path)


def test_the_account_page_offers_the_change_of_login_email(make_client, user):
    page = make_client(user.email).get(PORTAL).get_data(as_text=True)
    assert "Changer mon adresse e-mail de connexion" in page
    assert "Nouvelle adresse e-mail de connexion" in page and "Confirmation de la nouvelle adresse" in page


def test_the_link_goes_to_the_new_address_and_the_login_changes_only_once_it_is_opened(make_client, user):
    client = make_client(user.email)
    response = client.post_form(PORTAL, change(new="  Camille.Martin@Nouveau-CFA.test "))
    assert response.status_code == 302
    assert "Un lien de confirmation a été envoyé à camille.martin@nouveau-cfa.test" in client.get(
        PORTAL).get_data(as_text=True)
    saved = models.User.get_by_id(user.id)
    assert saved.email == "camille@cfa-sud.test" and saved.pending_email == NEW  # nothing changed yet

    [confirmation] = emails_to(NEW)
    assert confirmation.subject == "Confirmez votre nouvelle adresse e-mail — Portail CFA"
    assert "valable 24 heures" in confirmation.body and "L'équipe Portail CFA" in confirmation.body
    assert confirmation.html_body and "Confirmer ma nouvelle adresse" in confirmation.html_body
    secret = link().rsplit("/", 1)[1]
    token = models.OneTimeToken.get(models.OneTimeToken.user == user.id)
    assert token.purpose == "email_change" and secret not in token.token_hash and len(secret) >= 43
    assert token.expires_at - token.created_at == dt.timedelta(hours=24)
    [request_entry] = audit("request_email_change")
    assert request_entry.before == {"email": "camille@cfa-sud.test"} and request_entry.after == {"pending_email": NEW}
    page = client.get(PORTAL).get_data(as_text=True)
    assert 'id="pending-email"' in page and NEW in page

    opened = client.get(link())
    assert opened.status_code == 200 and NEW in opened.get_data(as_text=True)
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"  # opening the page is not confirming

    done = confirm(client, link())
    assert done.status_code == 302 and done.headers["Location"].endswith(PORTAL)
    assert f"Votre adresse de connexion est désormais {NEW}" in client.get(PORTAL).get_data(as_text=True)
    saved = models.User.get_by_id(user.id)
    assert saved.email == NEW and saved.pending_email is None and saved.email_confirmed_at is not None
    [entry] = audit("change_email")
    assert entry.before == {"email": "camille@cfa-sud.test"} and entry.after == {"email": NEW}
    assert entry.user_id == user.id
    assert client.get("/portail/").status_code == 200  # the session that confirmed stays signed in
    make_client().login(NEW)
    old = make_client().post_form("/connexion", {"email": "camille@cfa-sud.test", "password": PASSWORD})
    assert old.status_code == 401


def test_the_old_address_is_told_at_once_with_what_to_do_if_it_was_not_them(make_client, user):
    make_client(user.email).post_form(PORTAL, change())
    [notice] = emails_to("camille@cfa-sud.test")
    assert notice.subject == "Changement de votre adresse e-mail de connexion — Portail CFA"
    assert NEW in notice.body and "changez tout de suite votre mot de passe" in notice.body
    assert "/confirmer-email/" not in notice.body and "/confirmer-email/" not in notice.html_body  # no link there
    assert "L'équipe Portail CFA" in notice.html_body


def test_staff_change_their_login_email_from_the_back_office(make_client, factory):
    agent = factory.staff("comptable", email="agent@opco.test", first_name="Paul", last_name="Durand")
    client = make_client(agent.email)
    page = client.get(STAFF).get_data(as_text=True)
    assert "Changer mon adresse e-mail de connexion" in page
    assert client.post_form(STAFF, change(new="paul.durand@opco.test")).status_code == 302
    assert [m.recipient for m in models.OutboxEmail.select().order_by(models.OutboxEmail.id)] == [
        "paul.durand@opco.test", "agent@opco.test"]
    done = confirm(client, link("paul.durand@opco.test"))
    assert done.status_code == 302 and done.headers["Location"].endswith(STAFF)
    assert models.User.get_by_id(agent.id).email == "paul.durand@opco.test"
    assert client.get("/admin/").status_code == 200
    [entry] = audit("change_email")
    assert entry.after == {"email": "paul.durand@opco.test"}


def test_the_link_works_from_a_browser_that_is_not_signed_in(make_client, user):
    make_client(user.email).post_form(PORTAL, change())
    anonymous = make_client()
    assert anonymous.get(link()).status_code == 200
    done = confirm(anonymous, link())
    assert done.status_code == 302 and done.headers["Location"].endswith("/connexion")
    assert "Connectez-vous avec cette adresse" in anonymous.get("/connexion").get_data(as_text=True)
    assert models.User.get_by_id(user.id).email == NEW


def test_every_other_session_ends_when_the_link_is_opened(make_client, user):
    here, elsewhere = make_client(user.email), make_client(user.email)
    here.post_form(PORTAL, change())
    assert elsewhere.get("/portail/").status_code == 200  # asking changes no session
    assert confirm(here, link()).status_code == 302
    assert here.get("/portail/").status_code == 200
    ended = elsewhere.get("/portail/")
    assert ended.status_code == 302 and "/connexion" in ended.headers["Location"]


def test_another_user_signed_in_keeps_their_session_when_opening_the_link(make_client, factory, user):
    colleague = factory.cfa_user(email="collegue@cfa-sud.test")
    make_client(user.email).post_form(PORTAL, change())
    browser = make_client(colleague.email)
    assert confirm(browser, link()).status_code == 302
    assert models.User.get_by_id(user.id).email == NEW
    assert models.User.get_by_id(colleague.id).email == "collegue@cfa-sud.test"
    assert browser.get("/portail/").status_code == 200


def test_a_wrong_password_is_refused_and_the_typed_email_is_shown_again(make_client, user):
    response = make_client(user.email).post_form(PORTAL, change(password="Pas-Le-Bon-1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Le mot de passe actuel est incorrect." in page
    assert f'value="{NEW}"' in page and "Pas-Le-Bon-1" not in page
    assert not models.OutboxEmail.select().exists() and not models.OneTimeToken.select().exists()
    assert models.User.get_by_id(user.id).pending_email is None and not audit("request_email_change")


def test_an_address_of_another_account_is_refused_whatever_its_case(make_client, factory, user):
    factory.cfa_user(email="deja.pris@cfa-nord.test")
    response = make_client(user.email).post_form(PORTAL, change(new="DEJA.PRIS@CFA-NORD.TEST"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Cette adresse ne peut pas être utilisée" in page
    assert 'value="DEJA.PRIS@CFA-NORD.TEST"' in page
    assert not models.OutboxEmail.select().exists() and not audit("request_email_change")


@pytest.mark.parametrize("data,message", [
    (change(new="camille@cfa-sud.test"), "déjà votre adresse de connexion."),
    (change(confirmation="autre@nouveau-cfa.test"), "La confirmation ne correspond pas à la nouvelle adresse."),
    (change(new="pas-une-adresse"), "Adresse électronique invalide"),
    (change(new=""), "Saisissez la nouvelle adresse e-mail."),
    (change(password=""), "Saisissez votre mot de passe actuel."),
])
def test_bad_input_gets_a_french_message_and_nothing_is_sent(make_client, user, data, message):
    response = make_client(user.email).post_form(PORTAL, data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert not models.OutboxEmail.select().exists()


def test_a_post_without_csrf_token_changes_nothing(app, user):
    client = PortalClient(app)
    client.login(user.email)
    assert client.post(PORTAL, data=change()).status_code == 400
    assert not models.OutboxEmail.select().exists()
    client.post_form(PORTAL, change())
    assert client.post(link(), data={}).status_code == 400
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"


def test_a_link_older_than_24_hours_is_refused(make_client, user):
    client = make_client(user.email)
    client.post_form(PORTAL, change())
    # The link was sent 24 hours and one minute ago.
    late = dt.timedelta(hours=24, minutes=1)
    token = models.OneTimeToken.get()
    models.OneTimeToken.update(created_at=token.created_at - late, expires_at=token.expires_at - late).execute()
    for response in (client.get(link()), confirm(client, link())):
        assert response.status_code == 410
        html = response.get_data(as_text=True)
        assert "a expiré" in html and 'href="/portail/compte"' in html
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"
    assert 'id="pending-email"' not in client.get(PORTAL).get_data(as_text=True)


def test_a_link_used_twice_is_refused(make_client, user):
    client = make_client(user.email)
    client.post_form(PORTAL, change())
    path = link()
    assert confirm(client, path).status_code == 302
    for again in (client.get(path), confirm(client, path)):
        assert again.status_code == 410 and "déjà été utilisé" in again.get_data(as_text=True)
    assert len(audit("change_email")) == 1


def test_a_newer_request_replaces_the_previous_link(make_client, user):
    client = make_client(user.email)
    client.post_form(PORTAL, change())
    first = link()
    client.post_form(PORTAL, change(new="autre@nouveau-cfa.test"))
    assert client.get(first).status_code == 410
    assert confirm(client, link("autre@nouveau-cfa.test")).status_code == 302
    assert models.User.get_by_id(user.id).email == "autre@nouveau-cfa.test"


def test_a_forged_link_gets_a_clear_page(client, user):
    for path in ("/confirmer-email/abc", "/confirmer-email/" + "x" * 500, "/confirmer-email/%C3%A9%F0%9F%98%80"):
        response = client.get(path)
        assert response.status_code == 404 and "pas valide" in response.get_data(as_text=True)
        assert 'href="/connexion"' in response.get_data(as_text=True)
        assert confirm(client, path).status_code == 404


def test_a_reset_link_is_not_an_email_change_link(client, user):
    from workflows import tokens
    secret = tokens.issue(user, "reset", dt.timedelta(hours=1))
    assert client.get(f"/confirmer-email/{secret}").status_code == 404


def test_an_address_taken_between_request_and_link_is_refused_at_confirmation(make_client, factory, user):
    client = make_client(user.email)
    client.post_form(PORTAL, change())
    factory.cfa_user(email=NEW.upper())  # created meanwhile, by the back office
    response = confirm(client, link())
    assert response.status_code == 409 and "ne peut pas être utilisée" in response.get_data(as_text=True)
    saved = models.User.get_by_id(user.id)
    assert saved.email == "camille@cfa-sud.test" and saved.pending_email is None
    assert len(audit("refuse_email_change")) == 1 and not audit("change_email")
    assert client.get("/portail/").status_code == 200


def test_a_password_change_cancels_the_link(make_client, user):
    """What the notice to the old address advises when the request was not theirs."""
    client = make_client(user.email)
    client.post_form(PORTAL, change())
    path = link()
    client.post_form(PORTAL, {"form_name": "mot_de_passe", "current_password": PASSWORD,
                              "new_password": "Chaton-Bleu-Volant-7", "confirmation": "Chaton-Bleu-Volant-7"})
    assert client.get(path).status_code == 410
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"


def test_a_deactivated_user_cannot_confirm(make_client, user):
    make_client(user.email).post_form(PORTAL, change())
    models.User.update(active=False).where(models.User.id == user.id).execute()
    assert confirm(make_client(), link()).status_code == 404
    assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"


odd_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.sampled_from(["", " ", "a@b", "x" * 300 + "@cfa.test", "<script>alert(1)</script>@x.fr", "' OR 1=1 --",
                     "é@é.fr", "camille@cfa-sud.test", "CAMILLE@CFA-SUD.TEST", NEW, PASSWORD, "\x00", "a@b.c\n"]),
)


def test_the_email_change_form_never_answers_5xx(make_client, user):
    client = make_client(user.email)

    @FUZZ
    @given(st.fixed_dictionaries({"form_name": st.sampled_from(["email"]), "new_email": odd_text,
                                  "new_email_confirmation": odd_text, "email_password": odd_text}))
    @example({"form_name": "email", "new_email": "nouvelle@cfa.test", "new_email_confirmation": "nouvelle@cfa.test",
              "email_password": PASSWORD})
    def post(data):
        response = client.post_form(PORTAL, data)
        assert response.status_code in (302, 400), (data, response.status_code)
        assert models.User.get_by_id(user.id).email == "camille@cfa-sud.test"  # only a link changes the login

    post()


def test_the_confirmation_route_never_answers_5xx(client, user):
    @FUZZ
    @given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
                   min_size=1, max_size=250))
    def open_link(secret):
        for response in (client.get(f"/confirmer-email/{secret}"), confirm(client, f"/confirmer-email/{secret}")):
            assert response.status_code in (404, 410), (secret, response.status_code)

    open_link()
