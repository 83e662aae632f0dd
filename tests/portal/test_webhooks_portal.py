"""/portail/webhooks (admin OF): register a URL and read its secret, the delivery log, replay, deactivate —
for the organisation's own endpoints only, each action in the audit log."""
import json

import pytest

import models
from tests.webhook_receiver import Receiver, verifies
from workflows import webhooks
from workflows.state_machines import DOSSIER
from workflows.transitions import apply


@pytest.fixture
def allow_private(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def audit(entity, entity_id, action):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == entity)
                                                 & (models.AuditEntry.entity_id == str(entity_id))
                                                 & (models.AuditEntry.action == action)))


def register(client, url, description="Ypareo production"):
    return client.post_form("/portail/webhooks", {"url": url, "description": description})


def test_the_admin_registers_a_url_and_is_shown_its_secret(sud_client, org, allow_private, receiver):
    response = register(sud_client, receiver.url)
    assert response.status_code == 302
    endpoint = models.WebhookEndpoint.get()
    assert (endpoint.organisation_id, endpoint.url, endpoint.description, endpoint.active) == (
        org.id, receiver.url, "Ypareo production", True)
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= 40
    page = sud_client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in page and "Copiez son secret" in page
    assert "Vérifier une signature" in page and "hmac.compare_digest" in page
    listing = sud_client.get("/portail/webhooks").get_data(as_text=True)
    assert receiver.url in listing and "Ypareo production" in listing and 'id="nav-webhooks"' in listing
    [entry] = audit("webhook_endpoint", endpoint.id, "create")
    assert entry.actor == "admin@cfa-sud.test" and entry.note == receiver.url
    assert endpoint.secret not in json.dumps(entry.after) and "secret" not in entry.after


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://[::1]/hook",
                                 "https://169.254.169.254/latest/meta-data/"])
def test_a_private_url_is_refused_in_french_with_the_typed_values_kept(sud_client, url):
    response = register(sud_client, url, "Essai interne")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "réseau privé, local ou réservé" in page
    assert f'value="{url}"' in page and 'value="Essai interne"' in page
    assert models.WebhookEndpoint.select().count() == 0


def test_a_plain_http_url_is_refused_when_the_setting_is_off(sud_client):
    response = register(sud_client, "http://93.184.216.34/hook")
    assert response.status_code == 400 and "https://" in response.get_data(as_text=True)
    assert models.WebhookEndpoint.select().count() == 0


def test_only_an_admin_of_has_the_screens_and_the_menu_entry(make_client, factory, org, sud_client, allow_private):
    register(sud_client, "http://127.0.0.1:9/hook")
    endpoint = models.WebhookEndpoint.get()
    factory.cfa_user(org, email="gestion@cfa-sud.test", role="gestionnaire_of")
    gestion = make_client("gestion@cfa-sud.test")
    assert 'id="nav-webhooks"' not in gestion.get("/portail/").get_data(as_text=True)
    for url in ("/portail/webhooks", f"/portail/webhooks/{endpoint.id}"):
        assert gestion.get(url).status_code == 403
    assert gestion.post_form(f"/portail/webhooks/{endpoint.id}/desactiver").status_code == 403
    assert models.WebhookEndpoint.get().active


def test_the_log_shows_each_delivery_and_attempt_and_a_replay_sends_the_same_payload_again(
        sud_client, org, factory, allow_private):
    with Receiver(status=503) as flaky:
        register(sud_client, flaky.url)
        endpoint = models.WebhookEndpoint.get()
        dossier = factory.dossier(organisation=org)
        apply(DOSSIER, "instruire", dossier, factory.staff("conseiller"))
        webhooks.deliver_due(allow_private=True)
        delivery = models.WebhookDelivery.get()
        log = sud_client.get(f"/portail/webhooks/{endpoint.id}").get_data(as_text=True)
        assert "dossier.etat" in log and "En attente d&#39;envoi" in log and "HTTP 503" in log
        detail = sud_client.get(f"/portail/webhooks/{endpoint.id}/envois/{delivery.id}").get_data(as_text=True)
        assert "HTTP 503" in detail and dossier.number in detail and "ms" in detail

        flaky.status = 200
        response = sud_client.post_form(f"/portail/webhooks/{endpoint.id}/envois/{delivery.id}/rejouer")
        assert response.status_code == 302
        copy = models.WebhookDelivery.select().where(models.WebhookDelivery.replay_of == delivery.id).get()
        assert copy.payload == delivery.payload and copy.state == "pending" and copy.attempts == 0
        [entry] = audit("webhook_delivery", copy.id, "replay")
        assert entry.actor == "admin@cfa-sud.test" and f"n° {delivery.id}" in entry.note
        webhooks.deliver_due(allow_private=True)  # the original is not due yet (back-off): only the copy goes
        first, second = flaky.requests
        assert first["body"] == second["body"]
        assert first["headers"]["X-Portail-Delivery"] != second["headers"]["X-Portail-Delivery"]
        assert verifies(endpoint.secret, second["headers"], second["body"])
        assert models.WebhookDelivery.get_by_id(copy.id).state == "delivered"
        page = sud_client.get(f"/portail/webhooks/{endpoint.id}/envois/{copy.id}").get_data(as_text=True)
        assert "Remis" in page and f"rejeu du n° {delivery.id}" in sud_client.get(
            f"/portail/webhooks/{endpoint.id}").get_data(as_text=True)


def test_deactivation_stops_the_events_and_is_audited_reactivation_too(sud_client, org, factory, allow_private):
    register(sud_client, "http://127.0.0.1:9/hook")
    endpoint = models.WebhookEndpoint.get()
    assert sud_client.post_form(f"/portail/webhooks/{endpoint.id}/desactiver").status_code == 302
    assert not models.WebhookEndpoint.get().active
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    assert models.WebhookDelivery.select().count() == 0
    assert audit("webhook_endpoint", endpoint.id, "deactivate")
    again = sud_client.post_form(f"/portail/webhooks/{endpoint.id}/desactiver", follow_redirects=True)
    assert "déjà désactivé" in again.get_data(as_text=True)
    assert len(audit("webhook_endpoint", endpoint.id, "deactivate")) == 1
    assert sud_client.post_form(f"/portail/webhooks/{endpoint.id}/reactiver").status_code == 302
    assert models.WebhookEndpoint.get().active and audit("webhook_endpoint", endpoint.id, "reactivate")


def test_a_replay_on_a_deactivated_endpoint_is_refused_in_french(sud_client, org, factory, allow_private):
    register(sud_client, "http://127.0.0.1:9/hook")
    endpoint = models.WebhookEndpoint.get()
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    delivery = models.WebhookDelivery.get()
    sud_client.post_form(f"/portail/webhooks/{endpoint.id}/desactiver")
    page = sud_client.post_form(f"/portail/webhooks/{endpoint.id}/envois/{delivery.id}/rejouer",
                                follow_redirects=True).get_data(as_text=True)
    assert "réactivez-le avant de rejouer" in page
    assert models.WebhookDelivery.select().count() == 1


def test_another_cfa_can_neither_see_nor_replay_nor_deactivate_the_endpoints_or_deliveries(
        sud_client, org, factory, make_client, allow_private):
    register(sud_client, "http://127.0.0.1:9/secret-de-sud")
    endpoint = models.WebhookEndpoint.get()
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    delivery = models.WebhookDelivery.get()
    nord = factory.organisation(name="CFA Nord")
    factory.cfa_user(nord, email="admin@cfa-nord.test")
    other = make_client("admin@cfa-nord.test")
    assert "secret-de-sud" not in other.get("/portail/webhooks").get_data(as_text=True)
    for url in (f"/portail/webhooks/{endpoint.id}", f"/portail/webhooks/{endpoint.id}/envois/{delivery.id}"):
        assert other.get(url).status_code == 404
    for url in (f"/portail/webhooks/{endpoint.id}/desactiver",
                f"/portail/webhooks/{endpoint.id}/envois/{delivery.id}/rejouer"):
        assert other.post_form(url).status_code == 404
    # its own endpoint with the other's delivery id: still 404
    register(other, "http://127.0.0.1:9/nord")
    own = models.WebhookEndpoint.get(models.WebhookEndpoint.organisation == nord.id)
    assert other.get(f"/portail/webhooks/{own.id}/envois/{delivery.id}").status_code == 404
    assert other.post_form(f"/portail/webhooks/{own.id}/envois/{delivery.id}/rejouer").status_code == 404
    assert models.WebhookDelivery.select().count() == 1 and models.WebhookEndpoint.get_by_id(endpoint.id).active
