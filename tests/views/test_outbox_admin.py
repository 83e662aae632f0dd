"""The back office's outbox (Administration › Boîte d'envoi): where emails are read when no SMTP is configured."""
import pytest

import models
from workflows.notify import send_email


@pytest.fixture
def written(db):
    sent = send_email("lea@cfa.test", "Activation de votre compte", "Bonjour Léa,\nVotre lien : https://x/activer/abc",
                      "<p>Bonjour Léa,</p>")
    models.OutboxEmail.update(sent_at=models.base.now(), attempts=1).where(models.OutboxEmail.id == sent.id).execute()
    waiting = send_email("paul@cfa.test", "Mot de passe oublié", "Bonjour Paul,\nVotre lien : https://x/reset/def")
    models.OutboxEmail.update(attempts=2, last_error="SMTPDataError: 451 indisponible").where(
        models.OutboxEmail.id == waiting.id).execute()
    return sent, waiting


def test_an_opco_admin_lists_the_outbox_and_reads_a_body(make_client, factory, written):
    sent, waiting = written
    client = make_client(factory.staff("admin").email)

    page = client.get("/admin/outboxemail/").get_data(as_text=True)
    assert "lea@cfa.test" in page and "Activation de votre compte" in page and "Envoyé" in page
    assert "paul@cfa.test" in page and "En échec" in page

    detail = client.get(f"/admin/outboxemail/details/?id={waiting.id}").get_data(as_text=True)
    assert "Votre lien : https://x/reset/def" in detail and "451 indisponible" in detail
    assert "Bonjour Léa" in client.get(f"/admin/outboxemail/details/?id={sent.id}").get_data(as_text=True)


def test_the_outbox_is_read_only_and_not_exported(make_client, factory, written):
    client = make_client(factory.staff("admin").email)
    sent, _ = written
    assert client.get(f"/admin/outboxemail/edit/?id={sent.id}").status_code in (302, 403, 404)
    assert client.get("/admin/outboxemail/new/").status_code in (302, 403, 404)
    assert client.get("/admin/outboxemail/export/csv/").status_code in (302, 403, 404)
    client.post_form("/admin/outboxemail/delete/", {"id": sent.id})
    assert models.OutboxEmail.select().count() == 2


@pytest.mark.parametrize("role", ["conseiller", "comptable"])
def test_other_staff_cannot_read_the_outbox_links(make_client, factory, written, role):
    client = make_client(factory.staff(role).email)
    _, waiting = written
    assert client.get("/admin/outboxemail/").status_code == 403
    assert client.get(f"/admin/outboxemail/details/?id={waiting.id}").status_code == 403


def test_a_cfa_user_never_reaches_the_outbox(make_client, factory, written):
    client = make_client(factory.cfa_user().email)
    response = client.get("/admin/outboxemail/")
    assert response.status_code in (302, 403) and "reset/def" not in response.get_data(as_text=True)


def test_an_html_body_is_shown_as_its_source_never_interpreted(make_client, factory, db):
    row = send_email("x@cfa.test", "Objet", "Texte <b>brut</b>", '<p onclick="alert(1)">Bonjour</p>')
    page = make_client(factory.staff("admin").email).get(f"/admin/outboxemail/details/?id={row.id}")
    html = page.get_data(as_text=True)
    assert "&lt;p onclick=" in html and '<p onclick="alert(1)">' not in html and "&lt;b&gt;brut" in html
