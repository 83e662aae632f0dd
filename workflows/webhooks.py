"""Webhooks: CFA software told of its dossiers, invoices, payments and keys instead of polling the API.

`emit()` queues one delivery per active endpoint, inside the transaction of the change it reports (a
rollback takes the delivery away with the change) and a job for the worker once it commits; `deliver_due()`
(that job, the worker's sweep every minute, command `deliver-webhooks`) sends the
due ones, signed, and retries with an exponential back-off for 24 hours. An event goes to the
organisation owning the record AND to the organisations holding an approved delegation from it: their
software manages those contracts (the same rule as the portal's notifications of a dossier).

Events and their `donnees` (the inter-OPCO norm's French camelCase where it has a name):
- `dossier.etat`: numeroInterneDossier, etat, etatLibelle, ancienEtat, date;
- `facture.etat`: numeroInterneFacture, referenceFactureCFA, numeroInterneDossier, etatFacture,
  etatFactureLibelle, ancienEtat, montantFacture ("1234.50"), motif (on hold or rejected), date;
- `reglement.cree`: referenceVirement, dateReglement, montant (net paid), factures [numeroInterneFacture…];
- `cle.expiration`: prefix, nom, dateExpiration (to the key's organisation only).
The envelope: {"id": uuid, "type": event, "creeLe": ISO 8601, "donnees": payload}; a replay sends the same
envelope again (same "id", so the receiver can tell it has seen it) under a new delivery id.
"""
import datetime as dt
import json
import secrets
import uuid

from access.permissions import can
from infrastructure import webhook_http
from infrastructure.jobs import enqueue_after_commit
from infrastructure.webhook_http import WebhookUrlError
from models import (Delegation, Dossier, Invoice, PaymentLine, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
                    db, now as db_now)
from models.states import DelegationState, DossierState, InvoiceState
from workflows import audit

EVENTS = {
    "dossier.etat": "Changement d'état d'un dossier",
    "facture.etat": "Changement d'état d'une facture",
    "reglement.cree": "Règlement émis",
    "cle.expiration": "Clé API bientôt expirée",
}
STATE_LABELS = {"pending": "En attente d'envoi", "delivered": "Remis", "failed": "Échec définitif"}
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=1)
GIVE_UP_AFTER = dt.timedelta(hours=24)
LEASE = dt.timedelta(minutes=5)  # a claimed delivery is due again after this if its worker died
MAX_ENDPOINTS = 10
BATCH = 100

__all__ = ["WebhookError", "WebhookUrlError", "emit", "deliver_due", "emit_key_expiring"]


class WebhookError(ValueError):
    """A webhook action refused; the French message says why."""


# --- events ---------------------------------------------------------------------------------------------

def _iso(moment=None):
    """ISO 8601 with the server's UTC offset (stored datetimes are the server's local time)."""
    return (moment or db_now()).astimezone().isoformat()


def _receiving(organisation_id, delegates=True):
    """Active endpoints of the organisation and, with `delegates`, of the organisations holding an approved
    delegation from it (one query: a transition pays nothing more when nobody listens)."""
    owners = WebhookEndpoint.organisation == organisation_id
    if delegates:
        owners |= WebhookEndpoint.organisation.in_(Delegation.select(Delegation.delegate).where(
            (Delegation.delegator == organisation_id) & (Delegation.state == DelegationState.APPROVED)))
    return (WebhookEndpoint.select(WebhookEndpoint.id).where(owners & WebhookEndpoint.active)
            .order_by(WebhookEndpoint.id))


def emit(organisation_id, event, payload, *, delegates=True, now=None):
    """Queue `event` for every active endpoint of the organisation (and of its approved delegates);
    call it inside the transaction of the change. Returns the deliveries written."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    moment = now or db_now()
    endpoints = list(_receiving(organisation_id, delegates))
    if not endpoints:
        return []
    envelope = {"id": str(uuid.uuid4()), "type": event, "creeLe": _iso(moment), "donnees": payload}
    with db.atomic():
        written = [WebhookDelivery.create(endpoint=e.id, event=event, payload=envelope, created_at=moment,
                                          next_attempt_at=moment) for e in endpoints]
        enqueue_after_commit("deliver_webhooks")  # sent within seconds; the worker's minute sweep is the net
    return written


def invoice_number(invoice):
    """The invoice's number as the CFA reads it (PDF, portal): F0000012."""
    return invoice.display_number if invoice.number else None


def dossier_state_changed(dossier, state_before):
    """`dossier.etat` for a transition of the dossier machine (workflows/state_machines.py)."""
    emit(dossier.organisation_id, "dossier.etat", {
        "numeroInterneDossier": dossier.number, "etat": str(dossier.state),
        "etatLibelle": DossierState.label_of(dossier.state), "ancienEtat": str(state_before) if state_before else None,
        "date": _iso(getattr(dossier, "updated_at", None))})


def invoice_state_changed(invoice, state_before):
    """`facture.etat` for a transition of the invoice machine."""
    motif = {InvoiceState.ON_HOLD: invoice.hold_reason, InvoiceState.REJECTED: invoice.rejection_reason}
    dossier_number = (Dossier.select(Dossier.number).where(Dossier.id == invoice.dossier_id).scalar()
                      if invoice.dossier_id else None)
    payload = {"numeroInterneFacture": invoice_number(invoice), "referenceFactureCFA": invoice.cfa_reference or None,
               "numeroInterneDossier": dossier_number, "etatFacture": str(invoice.state),
               "etatFactureLibelle": InvoiceState.label_of(invoice.state),
               "ancienEtat": str(state_before) if state_before else None,
               "montantFacture": f"{invoice.total_ttc:.2f}", "date": _iso()}
    if motif.get(invoice.state):
        payload["motif"] = motif[invoice.state]
    emit(invoice.organisation_id, "facture.etat", payload)


def payment_recorded(payment):
    """`reglement.cree` when a payment is recorded (workflows/payments.py), inside its transaction."""
    invoices = (Invoice.select(Invoice.id, Invoice.number).join(PaymentLine)
                .where(PaymentLine.payment == payment.id).distinct().order_by(Invoice.number))
    emit(payment.organisation_id, "reglement.cree", {
        "referenceVirement": payment.reference, "dateReglement": payment.date.isoformat(),
        "montant": f"{payment.net:.2f}", "factures": [invoice_number(i) for i in invoices]})


def emit_key_expiring(key):
    """`cle.expiration`: an API key expires soon (called by the expiry warning); its organisation only."""
    expires = key.expires_at.date() if isinstance(key.expires_at, dt.datetime) else key.expires_at
    return emit(key.organisation_id, "cle.expiration", {
        "prefix": key.prefix, "nom": key.name, "dateExpiration": expires.isoformat()}, delegates=False)


# --- delivery -------------------------------------------------------------------------------------------

def body_of(delivery):
    """The exact bytes sent (and signed): the envelope as compact JSON, keys sorted, UTF-8."""
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def headers_for(delivery, secret, timestamp, body):
    return {"Content-Type": "application/json", "User-Agent": "PortailCFA-Webhooks/1",
            "X-Portail-Event": delivery.event, "X-Portail-Delivery": str(delivery.id),
            "X-Portail-Timestamp": str(timestamp),
            "X-Portail-Signature": webhook_http.signature(secret, timestamp, body)}


def retry_delay(attempts):
    """After the n-th failed attempt: 1 min, 2, 4, 8 … capped at one hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def _claim(delivery_id, now):
    """Take one due delivery for this worker: the guarded UPDATE moves its next attempt past the lease, so a
    second worker's identical UPDATE finds it no longer due (0 rows) and never sends it too."""
    return WebhookDelivery.update(next_attempt_at=now + LEASE).where(
        (WebhookDelivery.id == delivery_id) & (WebhookDelivery.state == "pending")
        & (WebhookDelivery.next_attempt_at <= now)).execute() == 1


def deliver_due(now=None, http_post=webhook_http.post, allow_private=False, limit=BATCH):
    """Send the deliveries due at `now` (one pass); return {"delivered", "retried", "failed"} counts."""
    now = (now or db_now()).replace(microsecond=0)
    due = [d for (d,) in WebhookDelivery.select(WebhookDelivery.id).where(
        (WebhookDelivery.state == "pending") & (WebhookDelivery.next_attempt_at <= now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit).tuples()]
    counts = {"delivered": 0, "retried": 0, "failed": 0}
    for delivery_id in due:
        if not _claim(delivery_id, now):
            continue
        counts[_send(WebhookDelivery.get_by_id(delivery_id), now, http_post, allow_private)] += 1
    return counts


def _send(delivery, now, http_post, allow_private):
    endpoint = WebhookEndpoint.get_by_id(delivery.endpoint_id)
    body = body_of(delivery)
    timestamp = int(now.timestamp())
    if not endpoint.active:
        status, error, duration = None, "Point de réception désactivé : envoi abandonné.", 0
    else:
        status, error, duration = webhook_http.timed(http_post, endpoint.url, body,
                                                     headers_for(delivery, endpoint.secret, timestamp, body),
                                                     allow_private=allow_private)
        if error is not None:
            error = _describe(error)
        elif not 200 <= status < 300:
            error = f"Réponse HTTP {status}"
    attempts = delivery.attempts + 1
    values = {"attempts": attempts, "last_status": status, "last_error": error}
    if error is None:
        values.update(state="delivered", delivered_at=now)
        outcome = "delivered"
    else:
        retry_at = now + retry_delay(attempts)
        if not endpoint.active or retry_at > delivery.created_at + GIVE_UP_AFTER:
            values.update(state="failed")
            outcome = "failed"
        else:
            values.update(next_attempt_at=retry_at)
            outcome = "retried"
    with db.atomic():
        WebhookAttempt.create(delivery=delivery.id, at=now, status=status, error=error, duration_ms=duration)
        WebhookDelivery.update(**values).where(WebhookDelivery.id == delivery.id).execute()
    return outcome


def _describe(exc):
    """A failure as the CFA's log shows it (French, short)."""
    if isinstance(exc, WebhookUrlError):
        return f"Adresse refusée : {exc}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "Délai dépassé (5 s) sans réponse."
    if isinstance(exc, ConnectionRefusedError):
        return "Connexion refusée par le serveur."
    return f"Échec de l'envoi : {type(exc).__name__}: {exc}"[:500]


# --- the admin OF's screens -----------------------------------------------------------------------------

def endpoints(scope):
    """The endpoints of the organisation acted for (never a delegator's: each organisation registers its own)."""
    return WebhookEndpoint.select().where(WebhookEndpoint.organisation == scope.organisation_id)


def deliveries(scope):
    return (WebhookDelivery.select(WebhookDelivery, WebhookEndpoint).join(WebhookEndpoint)
            .where(WebhookEndpoint.organisation == scope.organisation_id))


def _check_admin(scope):
    if not can(scope, "organisation.admin") or scope.organisation_id is None:
        raise WebhookError("Seul un administrateur de l'organisme peut gérer ses webhooks.")


def _endpoint_snapshot(endpoint):
    return audit.snapshot(endpoint)  # `secret` is left out by workflows.audit


def register(scope, url, description="", allow_private=False, resolve=None):
    """Register a URL for the organisation acted for; return the endpoint (its secret is shown to the admin)."""
    _check_admin(scope)
    url = (url or "").strip()
    if resolve is None:
        webhook_http.check_url(url, allow_private)
    else:
        webhook_http.check_url(url, allow_private, resolve=resolve)
    description = (description or "").strip()
    if len(description) > 200:
        raise WebhookError("La description ne doit pas dépasser 200 caractères.")
    mine = endpoints(scope).where(WebhookEndpoint.active)
    if mine.where(WebhookEndpoint.url == url).exists():
        raise WebhookError("Cette adresse est déjà enregistrée pour votre organisme.")
    if mine.count() >= MAX_ENDPOINTS:
        raise WebhookError(f"Au plus {MAX_ENDPOINTS} adresses actives par organisme : désactivez-en une d'abord.")
    with db.atomic():
        endpoint = WebhookEndpoint.create(organisation=scope.organisation_id, url=url, description=description,
                                          secret="whsec_" + secrets.token_urlsafe(32),
                                          created_by=scope.user.id if scope.user is not None else None)
        audit.record("webhook_endpoint", endpoint.id, "create", None, _endpoint_snapshot(endpoint), user=scope,
                     note=url)
    return endpoint


def set_active(scope, endpoint, active, allow_private=False):
    """Deactivate (nothing more is queued or sent) or reactivate (the URL checked again) an endpoint."""
    _check_admin(scope)
    if endpoint.organisation_id != scope.organisation_id:
        raise WebhookError("Point de réception introuvable.")
    if active:
        webhook_http.check_url(endpoint.url, allow_private)
    with db.atomic():
        before = _endpoint_snapshot(WebhookEndpoint.get_by_id(endpoint.id))
        changed = WebhookEndpoint.update(active=bool(active)).where(
            (WebhookEndpoint.id == endpoint.id) & (WebhookEndpoint.active == (not active))).execute()
        if changed != 1:
            raise WebhookError("Ce point de réception est déjà " + ("actif." if active else "désactivé."))
        row = WebhookEndpoint.get_by_id(endpoint.id)
        audit.record("webhook_endpoint", row.id, "reactivate" if active else "deactivate", before,
                     _endpoint_snapshot(row), user=scope, note=row.url)
    return row


def replay(scope, delivery, now=None):
    """Queue a copy of a delivery (same envelope, new delivery id, attempts from zero), due at once."""
    _check_admin(scope)
    endpoint = WebhookEndpoint.get_by_id(delivery.endpoint_id)
    if endpoint.organisation_id != scope.organisation_id:
        raise WebhookError("Envoi introuvable.")
    if not endpoint.active:
        raise WebhookError("Ce point de réception est désactivé : réactivez-le avant de rejouer un envoi.")
    moment = now or db_now()
    with db.atomic():
        copy = WebhookDelivery.create(endpoint=endpoint.id, event=delivery.event, payload=delivery.payload,
                                      created_at=moment, next_attempt_at=moment, replay_of=delivery.id)
        audit.record("webhook_delivery", copy.id, "replay", None, {"event": copy.event, "replay_of": delivery.id},
                     user=scope, note=f"{endpoint.url} — envoi n° {delivery.id} rejoué")
    return copy
