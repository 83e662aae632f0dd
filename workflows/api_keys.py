"""API keys of the CFAs' software: generated once, stored as a hash, recognisable by their prefix.

A key is `pcfa_` followed by 43 URL-safe random characters (32 bytes), so secret scanners can spot a leaked
one; only its sha256 is stored, with the first characters (`prefix`) to name it in lists and in the audit.
A key is valid 365 days from its creation.
"""
import datetime as dt
import hashlib
import secrets

from access.permissions import can
from infrastructure.formatting import date_fr
from infrastructure.mail import render_email
from models import ApiKey, IdempotencyRecord, Membership, Notification, Organisation, db
from models.states import OrganisationStatus
from workflows.audit import record, snapshot
from workflows.notify import recipients, send_email
from workflows.webhooks import emit_key_expiring

KEY_PREFIX = "pcfa_"
SHOWN_PREFIX_LENGTH = 12  # "pcfa_" and 7 random characters: enough to tell keys apart in a list
VALIDITY_DAYS = 365
IDEMPOTENCY_KEPT = dt.timedelta(hours=24)  # an API POST repeated with its Idempotency-Key within this gets its answer


def hash_key(raw):
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_raw_key():
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_key(organisation, name, created_by=None, now=None):
    """Create a key for `organisation`; return (ApiKey, raw key). The raw key is never stored."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    raw = new_raw_key()
    key = ApiKey.create(organisation=organisation, name=name.strip(), prefix=raw[:SHOWN_PREFIX_LENGTH],
                        key_hash=hash_key(raw), created_by=created_by, created_at=now,
                        expires_at=now + dt.timedelta(days=VALIDITY_DAYS))
    return key, raw


def find_key(raw):
    """The ApiKey a raw key from a request names, or None (whatever is wrong with it)."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    return ApiKey.get_or_none(ApiKey.key_hash == hash_key(raw))


def is_usable(key, now=None):
    now = now or dt.datetime.now()
    return key is not None and key.revoked_at is None and key.expires_at > now


# --- the portal screen, the back office and the CLI ------------------------------------------------------

NAME_MAX_LENGTH = 100
WARNING_DAYS = 30  # the administrators are told this long before a key expires
WARNING_SUBJECT = "Portail CFA – votre clé API expire dans 30 jours"


class ApiKeyRefused(Exception):
    """A key request refused for a reason the administrator can read (French)."""


class OutOfScope(ApiKeyRefused):
    """An establishment or a key outside the actor's administered establishments: the view answers 403/404."""

    def __init__(self, message="Action non autorisée."):
        super().__init__(message)


def state_of(key, now=None):
    """'revoquee', 'expiree' or 'active' (a revoked key stays revoked once expired)."""
    now = now or dt.datetime.now()
    if key.revoked_at is not None:
        return "revoquee"
    return "expiree" if key.expires_at <= now else "active"


STATE_LABELS = {"active": "Active", "expiree": "Expirée", "revoquee": "Révoquée"}


def may_manage(scope):
    """An administrator OF signed in on the portal (an API key never manages keys)."""
    return scope.kind == "cfa" and scope.user is not None and can(scope, "api_key.manage")


def establishments(scope):
    """The active organisations the scope's user administers (admin OF membership), by name; none otherwise."""
    if not may_manage(scope):
        return []
    return list(Organisation.select().join(Membership)
                .where((Membership.user == scope.user.id) & (Membership.role == "admin_of")
                       & (Organisation.status == OrganisationStatus.ACTIVE))
                .order_by(Organisation.name, Organisation.id))


def keys_for(scope, organisations=None):
    """The keys of the establishments the scope administers, newest first (their organisation joined)."""
    organisations = establishments(scope) if organisations is None else organisations
    ids = [o.id for o in organisations]
    if not ids:
        return ApiKey.select().where(ApiKey.id == -1)
    return (ApiKey.select(ApiKey, Organisation).join(Organisation)
            .where(ApiKey.organisation.in_(ids)).order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))


def clean_name(name):
    """The key's name as stored; ApiKeyRefused with a French message when it is empty or too long."""
    name = (name or "").strip()
    if not name:
        raise ApiKeyRefused("Donnez un nom à la clé (le logiciel qui l'utilisera, par exemple).")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiKeyRefused(f"{NAME_MAX_LENGTH} caractères au maximum.")
    return name


def _audited_create(organisation, name, actor, created_by, now, note=""):
    with db.atomic():
        key, raw = create_key(organisation, name, created_by=created_by, now=now)
        record(ApiKey, key.id, "create", None, snapshot(key), user=actor, note=note)
    return key, raw


def create_for(scope, organisation_id, name, now=None):
    """Create a key for one of the establishments the scope's user administers; return (ApiKey, raw key).

    The raw key is returned once, to be shown once; the audit entry names the key by its prefix only.
    """
    if not may_manage(scope):
        raise OutOfScope()
    organisation = next((o for o in establishments(scope) if o.id == organisation_id), None)
    if organisation is None:
        raise OutOfScope()
    return _audited_create(organisation, clean_name(name), scope, scope.user, now)


def create_by_operator(organisation, name, now=None):
    """An OPCO operator's key (CLI): audited as « système », noted as made from the command line."""
    return _audited_create(organisation, clean_name(name), None, None, now, note="ligne de commande")


def revoke(key, actor, now=None, note=""):
    """Revoke `key` once: a guarded UPDATE, audited only by the call that revoked it; False if it already was."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with db.atomic():
        changed = (ApiKey.update(revoked_at=now)
                   .where((ApiKey.id == key.id) & ApiKey.revoked_at.is_null()).execute())
        if changed:
            record(ApiKey, key.id, "revoke", {"revoked_at": None}, {"revoked_at": now}, user=actor,
                   note=note or f"{key.prefix} ({key.name})")
    return bool(changed)


def revoke_for(scope, key_id, now=None):
    """Revoke a key of an establishment the scope administers; OutOfScope for any other key (a 404)."""
    key = keys_for(scope).where(ApiKey.id == key_id).first()
    if key is None:
        raise OutOfScope()
    return key, revoke(key, scope, now)


def expiring_keys(now):
    """Keys not yet warned that expire within WARNING_DAYS, still active, of an active organisation."""
    return (ApiKey.select(ApiKey, Organisation).join(Organisation)
            .where(ApiKey.revoked_at.is_null() & ApiKey.expiry_warned_at.is_null()
                   & (ApiKey.expires_at > now) & (ApiKey.expires_at <= now + dt.timedelta(days=WARNING_DAYS))
                   & (Organisation.status == OrganisationStatus.ACTIVE))
            .order_by(ApiKey.expires_at, ApiKey.id))


def warn_expiring_keys(now=None, site_url=""):
    """Tell the administrators OF of each key expiring within 30 days, once per key; return how many keys.

    The key is claimed by a guarded UPDATE of `expiry_warned_at` in the transaction that writes the
    notifications and the emails, so two runs (or two cron hosts) never warn twice.
    """
    now = (now or dt.datetime.now()).replace(microsecond=0)
    warned = 0
    for key in list(expiring_keys(now)):
        with db.atomic():
            claimed = (ApiKey.update(expiry_warned_at=now)
                       .where((ApiKey.id == key.id) & ApiKey.expiry_warned_at.is_null()).execute())
            if not claimed:
                continue
            organisation = key.organisation
            expires = date_fr(key.expires_at)
            message = (f"La clé API « {key.name} » ({key.prefix}…) de {organisation.name} expire le {expires} : "
                       f"générez-en une nouvelle et reportez-la dans votre logiciel avant cette date.")
            for user in recipients(organisation.id, "api_key.manage"):
                Notification.create(organisation=organisation.id, user=user.id, message=message, category="compte")
                send_email(user.notices_address, WARNING_SUBJECT, *render_email(
                    "api_key_expiring", full_name=user.full_name, key_name=key.name, prefix=key.prefix,
                    organisation=organisation.name, siret=organisation.siret, expires=expires,
                    link=f"{site_url}/portail/cles-api"))
            emit_key_expiring(key)  # the CFA's software is told too (webhook `cle.expiration`)
        warned += 1
    return warned


def purge_idempotency_records(now=None):
    """Forget the API's idempotent answers older than 24 hours (hourly on the worker); return how many."""
    limit = (now or dt.datetime.now()) - IDEMPOTENCY_KEPT
    return IdempotencyRecord.delete().where(IdempotencyRecord.created_at < limit).execute()
