"""Webhooks: the URLs a CFA's software listens on, the deliveries queued for them and each attempt's log.

Nothing here cascades: a delivery and its attempts are the log the CFA reads (and an auditor too), so
an endpoint is deactivated, never deleted, and its rows stay.
"""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, JSONField, now
from .organisation import Organisation
from .user import User

DELIVERY_STATES = [("pending", "En attente d'envoi"), ("delivered", "Remis"), ("failed", "Échec définitif")]


class WebhookEndpoint(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="webhook_endpoints", on_delete="RESTRICT")
    url = CharField(max_length=500)
    secret = CharField(max_length=80)  # the HMAC key: kept in clear (it signs), shown to the admins OF only
    description = CharField(max_length=200, default="")
    active = BooleanField(default=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("organisation", "active"), False),)

    def __str__(self):
        return self.url


class WebhookDelivery(BaseModel):
    """One event queued for one endpoint: the envelope sent as is at each attempt (a replay copies it)."""

    endpoint = ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="RESTRICT")
    event = CharField(max_length=40)  # dossier.etat, facture.etat, reglement.cree, cle.expiration
    payload = JSONField()  # the envelope {"id", "type", "creeLe", "donnees"}
    created_at = DateTimeField(default=now)
    state = CharField(max_length=10, choices=DELIVERY_STATES, default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=now)
    last_status = IntegerField(null=True)
    last_error = TextField(null=True)
    delivered_at = DateTimeField(null=True)
    replay_of = ForeignKeyField("self", null=True, backref="replays", on_delete="RESTRICT")

    class Meta:
        indexes = ((("state", "next_attempt_at"), False), (("endpoint", "created_at"), False))


class WebhookAttempt(BaseModel):
    """One POST of a delivery: when, the HTTP status or the error, how long it took."""

    delivery = ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="RESTRICT")
    at = DateTimeField(default=now)
    status = IntegerField(null=True)
    error = TextField(null=True)
    duration_ms = IntegerField(default=0)
