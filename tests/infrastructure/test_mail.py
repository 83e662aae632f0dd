"""Emails that leave: the outbox sent to a real SMTP server (aiosmtpd on 127.0.0.1), retried, sent once."""
import datetime as dt
import email
import email.policy
import socket
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Response

import models
from infrastructure import mail
from workflows.notify import notify_organisation, send_email


from tests.smtp import Mailbox, _body, _free_port, smtp_server  # noqa: F401  (smtp_server: the fixture)


def test_the_daily_digest_arrives_by_smtp_with_recipient_subject_and_both_bodies(app, db, factory, smtp_server):
    org = factory.organisation(name="CFA Étoile")
    factory.cfa_user(organisation=org, email="lea@cfa.test", first_name="Léa")
    notify_organisation(org, "Pièces demandées : convention signée")

    result = app.test_cli_runner().invoke(args=["digest"])

    assert result.exit_code == 0, result.output
    assert "1 email(s) envoyé(s)" in result.output
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["lea@cfa.test"] and message["To"] == "lea@cfa.test"
    assert message["From"] == "portail@opco.test"
    assert message["Subject"] == "Portail CFA – 1 nouvelle(s) notification(s)"
    text, html = _body(message, "plain"), _body(message, "html")
    assert "Bonjour Léa," in text and "Pièces demandées : convention signée" in text and "CFA Étoile" in text
    assert "<li>" in html and "Pièces demandées : convention signée" in html
    link = app.config["SITE_URL"] + "/portail/notifications"  # absolute: it opens from a mail client
    assert link.startswith("http") and link in text and f'href="{link}"' in html
    row = models.OutboxEmail.get()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None


def test_html_in_a_notification_is_escaped_in_the_html_body(app, db, factory, smtp_server):
    org = factory.organisation()
    factory.cfa_user(organisation=org, email="a@cfa.test")
    notify_organisation(org, "<script>alert(1)</script>")
    app.test_cli_runner().invoke(args=["digest"])
    [(_, message)] = smtp_server.messages
    assert "<script>" not in _body(message, "html") and "&lt;script&gt;" in _body(message, "html")


def test_a_refusing_server_leaves_the_row_unsent_and_the_next_drain_sends_it(app, db, smtp_server):
    send_email("refus@cfa.test", "Votre inscription – décision", "Votre demande a été refusée.")
    smtp_server.refuse = True

    assert mail.drain_outbox(app.config) == (0, 1)
    row = models.OutboxEmail.get()
    assert row.sent_at is None and row.attempts == 1 and "451" in row.last_error
    assert smtp_server.messages == []

    smtp_server.refuse = False
    result = app.test_cli_runner().invoke(args=["send-emails"])
    assert "1 email(s) envoyé(s), 0 en échec" in result.output
    row = models.OutboxEmail.get()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error is None
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["refus@cfa.test"] and message["Subject"] == "Votre inscription – décision"
    assert _body(message, "plain").strip() == "Votre demande a été refusée."
    assert mail.drain_outbox(app.config) == (0, 0)  # sent once, never again


def test_an_unreachable_server_is_recorded_and_the_rows_wait(app, db):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens there
    send_email("a@cfa.test", "Un", "1")
    send_email("b@cfa.test", "Deux", "2")
    assert mail.drain_outbox(app.config) == (0, 1)  # the drain stops at the first connection failure
    first, second = models.OutboxEmail.select().order_by(models.OutboxEmail.id)
    assert first.attempts == 1 and "ConnectionRefused" in first.last_error and first.sent_at is None
    assert second.attempts == 0 and second.sent_at is None


def test_two_drains_in_parallel_send_each_email_once(app, db, smtp_server):
    for n in range(6):
        send_email(f"u{n}@cfa.test", f"Objet {n}", f"Corps {n}")
    smtp_server.delay = 0.05
    results, errors = [], []

    def drain():
        try:
            results.append(mail.drain_outbox(app.config))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            models.db.close()

    workers = [threading.Thread(target=drain) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    assert errors == []
    assert sorted(rcpt for rcpts, _ in smtp_server.messages for rcpt in rcpts) == [f"u{n}@cfa.test" for n in range(6)]
    assert sum(sent for sent, _ in results) == 6
    assert models.OutboxEmail.select().where(models.OutboxEmail.sent_at.is_null()).count() == 0
    assert all(row.attempts == 1 for row in models.OutboxEmail.select())


def test_a_row_claimed_by_another_worker_is_not_taken_until_its_claim_is_stale(app, db, smtp_server):
    row = send_email("a@cfa.test", "Objet", "Corps")
    models.OutboxEmail.update(claimed_at=models.base.now()).execute()  # another worker is sending it
    assert mail.drain_outbox(app.config) == (0, 0) and smtp_server.messages == []
    models.OutboxEmail.update(claimed_at=models.base.now() - mail.CLAIM_TIMEOUT - dt.timedelta(minutes=1)).execute()
    assert mail.drain_outbox(app.config) == (1, 0)
    assert models.OutboxEmail.get_by_id(row.id).sent_at is not None


def test_a_request_that_wrote_an_email_sends_it_once_the_response_is_closed(app, db, smtp_server):
    with app.test_request_context("/"):
        app.preprocess_request()
        with db.atomic():
            send_email("apres@cfa.test", "Après validation", "Écrit dans la transaction de la requête.")
        response = app.process_response(Response("ok"))
        assert smtp_server.messages == []  # nothing leaves before the response is done
    response.close()
    [(recipients, _)] = smtp_server.messages
    assert recipients == ["apres@cfa.test"]
    assert models.OutboxEmail.get().sent_at is not None


def test_a_request_that_wrote_nothing_does_not_connect(app, db, smtp_server):
    send_email("ancien@cfa.test", "Ancien", "Déjà en attente")
    with app.test_request_context("/"):
        app.preprocess_request()  # forgets what was written outside this request
        response = app.process_response(Response("ok"))
    response.close()
    assert smtp_server.connections == 0


def test_without_mail_server_nothing_connects_and_the_outbox_keeps_the_email(app, db, factory, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("no SMTP connection may be opened without MAIL_SERVER")

    monkeypatch.setattr(mail.smtplib, "SMTP", no_connection)
    assert app.config["MAIL_SERVER"] == ""
    org = factory.organisation()
    factory.cfa_user(organisation=org, email="boite@cfa.test")
    notify_organisation(org, "Facture validée")
    with app.test_request_context("/"):
        app.preprocess_request()
        send_email("x@cfa.test", "Objet", "Corps")
        response = app.process_response(Response("ok"))
    response.close()
    assert app.test_cli_runner().invoke(args=["digest"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["send-emails"])
    assert "MAIL_SERVER n'est pas configuré" in result.output
    assert models.OutboxEmail.select().where(models.OutboxEmail.sent_at.is_null()).count() == 2


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (openssl), trusted by the test only."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def test_starttls_then_login_when_the_relay_requires_both(app, db, certificate, monkeypatch):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((session.ssl is not None, auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"portail", b"s3cret"))

    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    trusting = ssl.create_default_context
    monkeypatch.setattr(mail.ssl, "create_default_context", lambda: trusting(cafile=str(cert)))
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=True,
                          MAIL_USERNAME="portail", MAIL_PASSWORD="s3cret")
        send_email("chiffre@cfa.test", "Réinitialisation de votre mot de passe", "Votre lien")
        assert mail.drain_outbox(app.config) == (1, 0)
        assert logins == [(True, b"portail", b"s3cret")]  # credentials only ever sent inside TLS
        [(recipients, message)] = box.messages
        assert recipients == ["chiffre@cfa.test"]
        assert message["Subject"] == "Réinitialisation de votre mot de passe"
    finally:
        controller.stop()


def test_starttls_and_login_are_used_when_configured(app, db):
    """A server that offers neither makes the drain fail visibly rather than send in clear."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=True,
                          MAIL_USERNAME="portail", MAIL_PASSWORD="secret")
        send_email("a@cfa.test", "Objet", "Corps")
        assert mail.drain_outbox(app.config) == (0, 1)
        assert "STARTTLS" in models.OutboxEmail.get().last_error and box.messages == []
    finally:
        controller.stop()
