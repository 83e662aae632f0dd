"""Forgotten password: the emailed link (hashed, single use, 60 minutes), the new password and its rule,
the sessions that end, and the same answer for every email."""
import datetime as dt
import re
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from infrastructure.passwords import verify_password
from workflows import tokens
from workflows.password_reset import change_password

NEW = "Nouveau-Secret-42"
SENT = "Si un compte actif correspond à cette adresse"


def _ask(client, email):
    return client.post_form("/mot-de-passe-oublie", {"email": email})


def _link(email):
    """The path of the reset link in the last email sent to `email`."""
    mail = (models.OutboxEmail.select().where(models.OutboxEmail.recipient == email)
            .order_by(models.OutboxEmail.id.desc()).first())
    assert mail is not None, f"no email to {email}"
    url = re.search(r"https?://\S+/reinitialiser/\S+", mail.body).group(0)
    return urlsplit(url).path


def _reset(client, path, password=NEW, confirm=None):
    return client.post_form(path, {"password": password, "confirm": password if confirm is None else confirm})


def test_the_sign_in_page_links_to_the_forgotten_password_form(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'href="/mot-de-passe-oublie"' in html and "Mot de passe oublié" in html


def test_the_emailed_link_sets_a_new_password_and_the_user_signs_in_with_it(client, factory, db):
    user = factory.cfa_user()
    response = _ask(client, user.email.upper())
    assert response.status_code == 200 and SENT in response.get_data(as_text=True)
    mail = models.OutboxEmail.get(models.OutboxEmail.recipient == user.email)
    assert mail.subject.startswith("Réinitialisation") and "60 minutes" in mail.body
    path = _link(user.email)
    secret = path.rsplit("/", 1)[1]
    assert len(secret) >= 43
    token = models.OneTimeToken.get(models.OneTimeToken.user == user.id)
    assert token.purpose == "reset" and secret not in token.token_hash  # only a hash is kept
    assert token.expires_at - token.created_at == dt.timedelta(minutes=60)

    form = client.get(path)
    assert form.status_code == 200 and "Nouveau mot de passe" in form.get_data(as_text=True)
    done = _reset(client, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/connexion")
    page = client.get("/connexion").get_data(as_text=True)
    assert "Votre mot de passe a été modifié" in page
    assert verify_password(models.User.get_by_id(user.id).password_hash, NEW)
    entry = models.AuditEntry.get((models.AuditEntry.entity == "user") & (models.AuditEntry.action == "reset_password"))
    assert entry.entity_id == str(user.id) and "password_hash" not in (entry.after or {})
    assert client.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"}).status_code == 401
    client.login(user.email, NEW)


def test_the_link_used_twice_is_refused_with_a_way_to_ask_for_a_new_one(client, factory, db):
    user = factory.cfa_user()
    _ask(client, user.email)
    path = _link(user.email)
    assert _reset(client, path).status_code == 302
    for again in (client.get(path), _reset(client, path, "Autre-Secret-43")):
        assert again.status_code == 410
        html = again.get_data(as_text=True)
        assert "déjà été utilisé" in html and 'href="/mot-de-passe-oublie"' in html
    assert verify_password(models.User.get_by_id(user.id).password_hash, NEW)


def test_a_link_older_than_60_minutes_is_refused(client, factory, db):
    user = factory.cfa_user()
    _ask(client, user.email)
    path = _link(user.email)
    # The link was sent 61 minutes ago.
    token = models.OneTimeToken.get(models.OneTimeToken.user == user.id)
    models.OneTimeToken.update(created_at=token.created_at - dt.timedelta(minutes=61),
                               expires_at=token.expires_at - dt.timedelta(minutes=61)).execute()
    for response in (client.get(path), _reset(client, path)):
        assert response.status_code == 410
        assert "a expiré" in response.get_data(as_text=True)
    assert verify_password(models.User.get_by_id(user.id).password_hash, "Portail-Demo-2026")


def test_a_forged_link_gets_a_clear_page_not_an_error(client, factory, db):
    factory.cfa_user()
    for path in ("/reinitialiser/abc", "/reinitialiser/" + "x" * 500, "/reinitialiser/%C3%A9%F0%9F%98%80"):
        response = client.get(path)
        assert response.status_code == 404
        assert "pas valide" in response.get_data(as_text=True)
        assert _reset(client, path).status_code == 404


def test_an_unknown_or_inactive_email_gets_the_same_answer_and_no_email(client, factory, db):
    known = factory.cfa_user()
    inactive = factory.cfa_user(active=False)
    answers = [_ask(client, email) for email in (known.email, "personne@nulle.part", inactive.email)]
    bodies = [re.sub(r'(name="csrf_token"|nonce=)[^>]*>', "", a.get_data(as_text=True)) for a in answers]
    assert {a.status_code for a in answers} == {200}
    assert bodies[0] == bodies[1] == bodies[2]
    assert [m.recipient for m in models.OutboxEmail.select()] == [known.email]


def test_a_new_link_replaces_the_previous_one(client, factory, db):
    user = factory.cfa_user()
    _ask(client, user.email)
    first = _link(user.email)
    _ask(client, user.email)
    second = _link(user.email)
    assert first != second
    assert client.get(first).status_code == 410
    assert _reset(client, second).status_code == 302


def test_a_weak_password_is_refused_with_its_reason_and_nothing_changes(client, factory, db):
    user = factory.cfa_user()
    before = models.User.get_by_id(user.id)
    _ask(client, user.email)
    path = _link(user.email)
    cases = {"Password1": "trop courant", "Azerty123": "trop courant", "court": "au moins 8 caractères",
             "toutenminuscule": "lettre majuscule"}
    for password, reason in cases.items():
        response = _reset(client, path, password)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert reason in html and password not in html  # passwords are never shown back
    mismatch = _reset(client, path, NEW, "Nouveau-Secret-43")
    assert "ne sont pas identiques" in mismatch.get_data(as_text=True)
    after = models.User.get_by_id(user.id)
    assert after.password_hash == before.password_hash and after.session_token == before.session_token
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "reset_password").exists()
    assert _reset(client, path).status_code == 302  # the link still works after refusals


def test_after_a_reset_every_open_session_of_the_user_ends(make_client, factory, db):
    user = factory.cfa_user()
    signed_in = make_client(user.email)
    assert signed_in.get("/portail/").status_code == 200
    other = make_client()
    _ask(other, user.email)
    assert _reset(other, _link(user.email)).status_code == 302
    response = signed_in.get("/portail/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_password_change_invalidates_an_unused_link(client, factory, db):
    user = factory.cfa_user()
    _ask(client, user.email)
    path = _link(user.email)
    change_password(user, "Change-Ailleurs-7")
    assert client.get(path).status_code == 410
    assert _reset(client, path).status_code == 410
    assert verify_password(models.User.get_by_id(user.id).password_hash, "Change-Ailleurs-7")


def test_a_password_set_in_the_back_office_invalidates_an_unused_link(make_client, factory, db):
    user = factory.staff("conseiller")
    admin = make_client(factory.staff("admin").email)
    anonymous = make_client()
    _ask(anonymous, user.email)
    path = _link(user.email)
    response = admin.post_form(f"/admin/user/edit/?id={user.id}", {
        "email": user.email, "kind": "staff", "staff_role": "conseiller", "active": "y",
        "last_name": user.last_name, "first_name": user.first_name, "new_password": "Chaton-Bleu-2026"})
    assert response.status_code == 302
    assert anonymous.get(path).status_code == 410


def test_consuming_a_token_is_single_use_even_for_the_service(factory, db):
    user = factory.cfa_user()
    secret = tokens.issue(user, "activation", dt.timedelta(hours=24))
    assert tokens.consume(secret, "activation").user_id == user.id
    for purpose in ("activation", "reset"):
        try:
            tokens.consume(secret, purpose)
        except tokens.TokenInvalid as refused:
            assert refused.reason == ("used" if purpose == "activation" else "unknown")
        else:
            raise AssertionError("a used token was accepted")


def test_the_forgotten_password_form_is_rate_limited_per_address(client, app, factory, db):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "3 per minute"
    statuses = [_ask(client, "personne@nulle.part").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_posts_without_the_csrf_token_are_refused(client, factory, db):
    user = factory.cfa_user()
    assert client.post("/mot-de-passe-oublie", data={"email": user.email}).status_code == 400
    assert not models.OutboxEmail.select().exists()
    _ask(client, user.email)
    path = _link(user.email)
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 400
    assert verify_password(models.User.get_by_id(user.id).password_hash, "Portail-Demo-2026")


odd_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "a@b", "x" * 300 + "@cfa.test", "<script>alert(1)</script>@x.fr", "' OR 1=1 --",
                     "é" * 300, "Password1", "Azerty123", NEW, "\x00"]),
)


def test_both_forms_never_answer_5xx_whatever_is_typed(client, app, factory, db):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "100000 per minute"
    user = factory.cfa_user()
    _ask(client, user.email)
    path = _link(user.email)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({"email": odd_text}))
    def forgot(data):
        response = client.post_form("/mot-de-passe-oublie", data)
        assert response.status_code in (200, 400), (data, response.status_code)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({"password": odd_text, "confirm": odd_text}))
    def reset(data):
        response = client.post_form(path, data)
        assert response.status_code < 500, (data, response.status_code)

    forgot()
    reset()


def test_the_link_is_signed_an_unsigned_or_altered_token_opens_nothing(client, factory):
    user = factory.cfa_user(email="signe@cfa.test")
    _ask(client, user.email)
    path = _link(user.email)
    raw_secret = tokens.issue(user, "reset", dt.timedelta(hours=1))  # an open token, but not signed by the app
    assert client.get(f"/reinitialiser/{raw_secret}").status_code == 404
    altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(altered).status_code == 404
    assert _reset(client, altered).status_code == 404
    assert verify_password(models.User.get_by_id(user.id).password_hash, NEW) is False
