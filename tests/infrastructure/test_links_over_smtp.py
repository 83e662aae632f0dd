"""The emailed links work end to end: asked through the real URL, received by a real SMTP server (aiosmtpd on
127.0.0.1) as UTF-8 text + HTML, and the link read from the received message used through the real URL."""
import re
from urllib.parse import urlsplit

import models
from infrastructure.passwords import verify_password
from tests.infrastructure.test_mail import smtp_server  # noqa: F401 - the fixture

NEW_PASSWORD = "Nouveau-Secret-42"


def received(app, box, address):
    """The one message the server received for `address`, once `send-emails` has drained the outbox."""
    result = app.test_cli_runner().invoke(args=["send-emails"])
    assert result.exit_code == 0, result.output
    messages = [message for recipients, message in box.messages if recipients == [address]]
    assert len(messages) == 1, [m["Subject"] for _, m in box.messages]
    return messages[0]


def parts(message):
    """(text, html) of a multipart/alternative message, both declared UTF-8."""
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(preferencelist=("plain",)), message.get_body(preferencelist=("html",))
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    return text.get_content(), html.get_content()


def link_path(text, route):
    url = re.search(rf"https?://\S+/{route}/\S+", text).group(0)
    return urlsplit(url).path


def test_a_reset_link_received_by_smtp_sets_the_new_password(app, client, factory, db, smtp_server):  # noqa: F811
    user = factory.cfa_user(email="lea@cfa.test", first_name="Léa", last_name="Bérénger")
    assert client.post_form("/mot-de-passe-oublie", {"email": "Lea@CFA.test"}).status_code == 200
    message = received(app, smtp_server, "lea@cfa.test")
    assert message["Subject"] == "Réinitialisation de votre mot de passe — Portail CFA"
    assert message["To"] == "lea@cfa.test" and message["From"] == "portail@opco.test"
    text, html = parts(message)
    assert "Bonjour Léa Bérénger," in text and "L'équipe Portail CFA" in text
    path = link_path(text, "reinitialiser")
    assert f'href="http://localhost{path}"' in html  # the same link in both parts
    assert models.OutboxEmail.get().sent_at is not None

    assert client.get(path).status_code == 200
    done = client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/connexion")
    assert verify_password(models.User.get_by_id(user.id).password_hash, NEW_PASSWORD)
    client.login("lea@cfa.test", NEW_PASSWORD)


def test_an_email_change_link_received_by_smtp_changes_the_login(app, make_client, factory, db,
                                                                  smtp_server):  # noqa: F811
    user = factory.cfa_user(email="lea@cfa.test", first_name="Léa", last_name="Bérénger")
    client = make_client(user.email)
    response = client.post_form("/portail/compte", {
        "form_name": "email", "new_email": "lea.berenger@nouveau-cfa.test",
        "new_email_confirmation": "lea.berenger@nouveau-cfa.test", "email_password": "Portail-Demo-2026"})
    assert response.status_code == 302
    message = received(app, smtp_server, "lea.berenger@nouveau-cfa.test")
    notice = received(app, smtp_server, "lea@cfa.test")
    assert notice["Subject"] == "Changement de votre adresse e-mail de connexion — Portail CFA"
    assert "lea.berenger@nouveau-cfa.test" in parts(notice)[0]
    assert message["Subject"] == "Confirmez votre nouvelle adresse e-mail — Portail CFA"
    text, html = parts(message)
    assert "Bonjour Léa Bérénger," in text and "valable 24 heures" in text and "L'équipe Portail CFA" in html
    path = link_path(text, "confirmer-email")

    browser = make_client()  # opened from the new mailbox, on another device
    assert browser.get(path).status_code == 200
    assert browser.post_form(path).status_code == 302
    assert models.User.get_by_id(user.id).email == "lea.berenger@nouveau-cfa.test"
    ended = client.get("/portail/")
    assert ended.status_code == 302 and "/connexion" in ended.headers["Location"]
    make_client().login("lea.berenger@nouveau-cfa.test")
