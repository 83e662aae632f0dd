"""Webhooks: events queued with the change they report, delivered signed to a local receiver, retried with
back-off for 24 hours, each attempt logged; URLs to private networks refused unless the setting allows them."""
import datetime as dt
import json
from decimal import Decimal

import pytest

import models
from access.scope import Scope
from infrastructure.webhook_http import WebhookUrlError, check_url
from tests.webhook_receiver import Receiver, verifies
from workflows import webhooks
from workflows.state_machines import DOSSIER
from workflows.transitions import apply


def admin_scope(factory, organisation):
    user = factory.cfa_user(organisation)
    return Scope.of_membership(models.Membership.get(models.Membership.user == user.id))


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def cfa(factory):
    org = factory.organisation(name="CFA Ouest")
    return org, admin_scope(factory, org)


def register(scope, url):
    return webhooks.register(scope, url, "Logiciel de gestion", allow_private=True)


def test_a_dossier_state_change_reaches_the_receiver_signed_with_the_endpoints_secret(cfa, factory, receiver):
    org, scope = cfa
    endpoint = register(scope, receiver.url)
    dossier = factory.dossier(organisation=org, state="recu")
    apply(DOSSIER, "instruire", dossier, factory.staff("conseiller"))
    assert models.WebhookDelivery.select().count() == 1

    assert webhooks.deliver_due(allow_private=True) == {"delivered": 1, "retried": 0, "failed": 0}

    [got] = receiver.requests
    assert got["path"] == "/portail-cfa/webhooks"
    headers, body = got["headers"], got["body"]
    assert verifies(endpoint.secret, headers, body)
    assert not verifies("whsec_un-autre-secret", headers, body)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Portail-Event"] == "dossier.etat"
    delivery = models.WebhookDelivery.get()
    assert headers["X-Portail-Delivery"] == str(delivery.id)
    envelope = json.loads(body)
    assert envelope["type"] == "dossier.etat" and len(envelope["id"]) == 36
    assert dt.datetime.fromisoformat(envelope["creeLe"]).tzinfo is not None
    data = envelope["donnees"]
    assert {k: data[k] for k in ("numeroInterneDossier", "etat", "etatLibelle", "ancienEtat")} == {
        "numeroInterneDossier": dossier.number, "etat": "en_instruction", "etatLibelle": "En instruction",
        "ancienEtat": "recu"}
    dt.datetime.fromisoformat(data["date"])
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    [attempt] = delivery.attempt_log
    assert attempt.status == 200 and attempt.error is None and attempt.duration_ms >= 0
    assert webhooks.deliver_due(allow_private=True) == {"delivered": 0, "retried": 0, "failed": 0}  # sent once


def test_the_signature_covers_the_timestamp_so_a_replayed_body_with_another_timestamp_fails(cfa, factory, receiver):
    org, scope = cfa
    endpoint = register(scope, receiver.url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    webhooks.deliver_due(allow_private=True)
    [got] = receiver.requests
    forged = dict(got["headers"], **{"X-Portail-Timestamp": str(int(got["headers"]["X-Portail-Timestamp"]) + 600)})
    assert verifies(endpoint.secret, got["headers"], got["body"])
    assert not verifies(endpoint.secret, forged, got["body"])
    assert not verifies(endpoint.secret, got["headers"], got["body"].replace(b"en_instruction", b"engage"))


def test_a_dossiers_event_goes_to_its_organisation_and_to_the_delegate_managing_it_only(cfa, factory, receiver):
    org, scope = cfa
    delegate, stranger, ended = (factory.organisation(name=n) for n in ("CFA Délégataire", "CFA Tiers", "CFA Ancien"))
    models.Delegation.create(delegate=delegate, delegator=org, state="approuvee")
    models.Delegation.create(delegate=ended, delegator=org, state="terminee")
    own = register(scope, receiver.url)
    theirs = register(admin_scope(factory, delegate), receiver.url + "?cfa=delegataire")
    register(admin_scope(factory, stranger), receiver.url + "?cfa=tiers")
    register(admin_scope(factory, ended), receiver.url + "?cfa=ancien")
    inactive = register(scope, receiver.url + "?inactive=1")
    webhooks.set_active(scope, inactive, False)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    assert sorted(d.endpoint_id for d in models.WebhookDelivery.select()) == sorted([own.id, theirs.id])


def test_a_failing_receiver_is_retried_with_exponential_back_off_then_failed_after_24_hours(cfa, factory):
    org, scope = cfa
    with Receiver(status=500) as failing:
        register(scope, failing.url)
        apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
        delivery = models.WebhookDelivery.get()
        start = delivery.created_at
        moments = []
        for _ in range(100):
            delivery = models.WebhookDelivery.get_by_id(delivery.id)
            if delivery.state != "pending":
                break
            due = delivery.next_attempt_at
            # one second early: nothing is sent
            assert webhooks.deliver_due(due - dt.timedelta(seconds=1), allow_private=True)["retried"] == 0
            webhooks.deliver_due(due, allow_private=True)
            moments.append(due)
        gaps = [int((b - a).total_seconds() // 60) for a, b in zip(moments, moments[1:])]
        assert gaps[:7] == [1, 2, 4, 8, 16, 32, 60]
        assert set(gaps[7:]) == {60}
        assert delivery.state == "failed"
        assert moments[-1] <= start + dt.timedelta(hours=24) < moments[-1] + dt.timedelta(hours=1)
        assert delivery.attempts == len(moments) == len(failing.requests)
        log = list(delivery.attempt_log.order_by(models.WebhookAttempt.id))
        assert [a.at for a in log] == moments
        assert {a.status for a in log} == {500} and delivery.last_status == 500
        assert log[0].error == "Réponse HTTP 500"
        assert webhooks.deliver_due(start + dt.timedelta(days=3), allow_private=True)["retried"] == 0


def test_a_redirect_is_not_followed_it_counts_as_a_failed_attempt(cfa, factory):
    org, scope = cfa
    with Receiver(status=302, location="http://169.254.169.254/latest/meta-data/") as redirecting:
        register(scope, redirecting.url)
        apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
        assert webhooks.deliver_due(allow_private=True)["retried"] == 1
        assert len(redirecting.requests) == 1
        assert models.WebhookDelivery.get().last_status == 302


def test_an_unreachable_receiver_is_logged_in_french_and_retried(cfa, factory):
    org, scope = cfa
    with Receiver() as gone:
        url = gone.url
    register(scope, url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    assert webhooks.deliver_due(allow_private=True)["retried"] == 1
    attempt = models.WebhookAttempt.get()
    assert attempt.status is None and attempt.error == "Connexion refusée par le serveur."


def test_a_rolled_back_transaction_emits_nothing(cfa, factory, db):
    org, scope = cfa
    register(scope, "http://127.0.0.1:9/webhooks")
    dossier = factory.dossier(organisation=org)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with db.atomic():
            apply(DOSSIER, "instruire", dossier, factory.staff("conseiller"))
            assert models.WebhookDelivery.select().count() == 1  # queued with the change…
            raise Abort
    assert models.WebhookDelivery.select().count() == 0  # …and gone with it
    assert models.Dossier.get_by_id(dossier.id).state == "recu"


def test_two_workers_never_send_the_same_delivery(cfa, factory, receiver):
    """While a worker sends, a second one running the same pass finds nothing due (the guarded claim)."""
    org, scope = cfa
    register(scope, receiver.url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    delivery = models.WebhookDelivery.get()
    second = []

    def post_while_another_worker_runs(url, body, headers, allow_private):
        second.append(webhooks.deliver_due(allow_private=True, http_post=post_while_another_worker_runs))
        return 204

    assert webhooks.deliver_due(allow_private=True, http_post=post_while_another_worker_runs)["delivered"] == 1
    assert second == [{"delivered": 0, "retried": 0, "failed": 0}]
    assert webhooks._claim(delivery.id, dt.datetime.now() + dt.timedelta(days=1)) is False  # delivered: never again
    assert models.WebhookAttempt.select().count() == 1


def test_a_dead_workers_claim_expires_and_the_delivery_is_sent_later(cfa, factory, receiver):
    org, scope = cfa
    register(scope, receiver.url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    delivery = models.WebhookDelivery.get()
    now = delivery.next_attempt_at
    assert webhooks._claim(delivery.id, now) and not webhooks._claim(delivery.id, now)  # a worker died here
    assert webhooks.deliver_due(now + dt.timedelta(minutes=1), allow_private=True)["delivered"] == 0
    assert webhooks.deliver_due(now + webhooks.LEASE, allow_private=True)["delivered"] == 1
    assert len(receiver.requests) == 1


def test_invoice_transitions_send_facture_etat_with_amount_and_reason(cfa, factory, receiver):
    org, scope = cfa
    register(scope, receiver.url)
    dossier = factory.engaged_dossier(org)
    invoice = factory.invoice(org, dossier, amount="1234.50", state="en_attente")
    webhooks.deliver_due(allow_private=True)
    [got] = receiver.requests
    data = json.loads(got["body"])["donnees"]
    assert got["headers"]["X-Portail-Event"] == "facture.etat"
    assert {k: data[k] for k in ("numeroInterneFacture", "numeroInterneDossier", "etatFacture", "ancienEtat",
                                 "montantFacture", "motif")} == {
        "numeroInterneFacture": invoice.display_number, "numeroInterneDossier": dossier.number,
        "etatFacture": "en_attente", "ancienEtat": "en_traitement", "montantFacture": "1234.50",
        "motif": "Certificat de réalisation manquant."}


def test_a_payment_sends_reglement_cree_with_its_invoices(cfa, factory, receiver):
    from tests.factories import comptable
    from workflows.payments import record_payment

    org, scope = cfa
    models.BankDetails.create(organisation=org, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                              holder="CFA Ouest", status="approved")
    dossier = factory.engaged_dossier(org)
    first = factory.invoice(org, dossier, amount="1000.00", state="validee")
    second = factory.invoice(org, dossier, amount="234.50", state="validee")
    register(scope, receiver.url)
    payment, created = record_payment(org, [first.id, second.id], "cle-reglement-1", user=comptable(),
                                      date=dt.date(2026, 3, 31))
    assert created
    deliveries = list(models.WebhookDelivery.select().order_by(models.WebhookDelivery.id))
    assert [d.event for d in deliveries] == ["facture.etat", "facture.etat", "reglement.cree"]
    data = deliveries[-1].payload["donnees"]
    assert data == {"referenceVirement": payment.reference, "dateReglement": "2026-03-31", "montant": "1234.50",
                    "factures": [first.display_number, second.display_number]}
    assert Decimal(data["montant"]) == payment.net


def test_emit_key_expiring_tells_the_keys_organisation_only(cfa, factory):
    from workflows.api_keys import create_key

    org, scope = cfa
    delegate = factory.organisation(name="CFA Délégataire")
    models.Delegation.create(delegate=delegate, delegator=org, state="approuvee")
    register(admin_scope(factory, delegate), "http://127.0.0.1:9/delegataire")
    own = register(scope, "http://127.0.0.1:9/ouest")
    key, _ = create_key(org, "Ypareo", now=dt.datetime(2026, 1, 15, 9, 30))
    [delivery] = webhooks.emit_key_expiring(key)
    assert delivery.endpoint_id == own.id and delivery.event == "cle.expiration"
    assert delivery.payload["donnees"] == {"prefix": key.prefix, "nom": "Ypareo", "dateExpiration": "2027-01-15"}


def test_no_endpoint_no_delivery(factory):
    org = factory.organisation()
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    assert models.WebhookDelivery.select().count() == 0


# --- SSRF guard -------------------------------------------------------------------------------------------

REFUSED = ["https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://[::1]/hook", "https://169.254.169.254/latest",
           "https://192.168.1.20/", "https://172.16.0.5/", "https://0.0.0.0/", "https://224.0.0.1/",
           "https://[::ffff:127.0.0.1]/", "https://[fe80::1]/", "https://100.64.0.1/", "https://[fc00::1]/"]


@pytest.mark.parametrize("url", REFUSED)
def test_a_private_loopback_or_link_local_url_is_refused_when_the_setting_is_off(url):
    with pytest.raises(WebhookUrlError, match="réseau privé, local ou réservé"):
        check_url(url, allow_private=False)
    check_url(url.replace("https://", "http://"), allow_private=True)  # tests and a developer's machine


@pytest.mark.parametrize("url,message", [
    ("http://93.184.216.34/hook", "https://"), ("ftp://93.184.216.34/", "https://"), ("", "Indiquez"),
    ("https:///chemin", "URL valide"), ("https://user:mdp@93.184.216.34/", "identifiant"),
    ("https://93.184.216.34:99999/", "URL valide"), ("https://" + "a" * 600 + ".fr/", "500 caractères"),
])
def test_a_malformed_or_plain_http_url_is_refused_in_french(url, message):
    with pytest.raises(WebhookUrlError, match=message):
        check_url(url, allow_private=False)


def test_a_public_address_is_accepted_and_every_resolved_address_is_checked():
    check_url("https://93.184.216.34/hook")

    def resolves_to_one_public_and_one_private(host, port, type=0):
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.1.2.3", port))]

    with pytest.raises(WebhookUrlError, match="10.1.2.3"):
        check_url("https://cfa.example.fr/hook", resolve=resolves_to_one_public_and_one_private)


def test_registration_refuses_a_private_url_when_the_setting_is_off(cfa):
    org, scope = cfa
    with pytest.raises(WebhookUrlError):
        webhooks.register(scope, "https://169.254.169.254/latest/meta-data", allow_private=False)
    assert models.WebhookEndpoint.select().count() == 0


def test_delivery_checks_the_url_again_and_logs_the_refusal(cfa, factory, receiver):
    """Registered while the setting was on (or a DNS answer changed since): refused at sending time too."""
    org, scope = cfa
    register(scope, receiver.url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    assert webhooks.deliver_due(allow_private=False)["retried"] == 1
    assert receiver.requests == []
    attempt = models.WebhookAttempt.get()
    assert attempt.status is None and attempt.error.startswith("Adresse refusée : L'adresse doit commencer par https")


def test_the_deliver_webhooks_command_sends_the_due_deliveries(app, cfa, factory, receiver):
    org, scope = cfa
    register(scope, receiver.url)
    apply(DOSSIER, "instruire", factory.dossier(organisation=org), factory.staff("conseiller"))
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    result = app.test_cli_runner().invoke(args=["deliver-webhooks"])
    assert result.exit_code == 0, result.output
    assert "1 remis" in result.output
    assert len(receiver.requests) == 1
    assert models.WebhookDelivery.get().state == "delivered"


def test_the_expiry_warning_of_a_key_queues_a_cle_expiration_event_for_its_organisation(app, db, factory):
    import datetime as dt

    from workflows.api_keys import create_key, warn_expiring_keys

    org = factory.organisation(name="CFA Clé")
    factory.cfa_user(org, email="admin@cfa-cle.test")
    endpoint = models.WebhookEndpoint.create(organisation=org, url="https://cfa-cle.example.fr/in", secret="s")
    key, _ = create_key(org, "Ypareo", now=dt.datetime(2026, 1, 10, 9, 0))
    assert warn_expiring_keys(now=key.expires_at - dt.timedelta(days=30)) == 1
    assert warn_expiring_keys(now=key.expires_at - dt.timedelta(days=29)) == 0
    [delivery] = models.WebhookDelivery.select().where(models.WebhookDelivery.endpoint == endpoint.id)
    assert delivery.event == "cle.expiration"
    assert delivery.payload["donnees"] == {"prefix": key.prefix, "nom": "Ypareo",
                                           "dateExpiration": key.expires_at.date().isoformat()}
