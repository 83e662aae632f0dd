"""Write audit entries: who, when, what, before and after (NIR and IBAN masked)."""
import datetime as dt
from decimal import Decimal

from playhouse.shortcuts import model_to_dict

from models import MODELS, AuditEntry
from rules.identifiers import mask_iban, mask_nir

MASKED = {"nir": mask_nir, "iban": mask_iban}
SECRET = {"password_hash", "session_token", "key_hash", "secret"}


def snapshot(instance):
    """A JSON-ready dict of a model's own columns, with sensitive values masked."""
    if instance is None:
        return None
    data = model_to_dict(instance, recurse=False)
    return clean(data)


def clean(data):
    out = {}
    for key, value in data.items():
        if key in SECRET:
            continue
        if key in MASKED and value:
            value = MASKED[key](value)
        elif isinstance(value, Decimal):
            value = f"{value:.2f}"
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        out[key] = value
    return out


def actor_user(actor):
    """The User behind an actor: a User, a Scope (its user; None for an API key) or None (the system)."""
    if actor is None:
        return None
    return actor.audit_user if hasattr(actor, "audit_user") else actor


def actor_label(actor):
    """How the log names who acted: the user's email, the API key (prefix and name), or « système »."""
    user = actor_user(actor)
    if user is not None:
        return user.email
    key = getattr(actor, "api_key", None)
    if key is not None:
        name = (getattr(key, "name", "") or "").strip()
        return (f"clé API {key.prefix} « {name} »" if name else f"clé API {key.prefix}")[:254]
    return "système"


def entity_name(entity):
    """One audit name per model, its table's: 'BankDetails', 'bank_details' or the model itself → 'bank_details'."""
    if isinstance(entity, type) or hasattr(entity, "_meta"):
        return entity._meta.table_name
    key = (entity or "").replace("_", "").lower()
    return _TABLE_NAMES.get(key, entity)


_TABLE_NAMES = {m.__name__.lower(): m._meta.table_name for m in MODELS}


def record(entity, entity_id, action, before=None, after=None, user=None, note=""):
    """Write one entry; call inside the transaction of the change it describes.

    `user` is the actor passed down by the caller (a User or a Scope); None writes « système ».
    """
    label = actor_label(user)
    user = actor_user(user)
    if before is not None and not isinstance(before, dict):
        before = snapshot(before)
    if after is not None and not isinstance(after, dict):
        after = snapshot(after)
    if isinstance(before, dict):
        before = clean(before)
    if isinstance(after, dict):
        after = clean(after)
    return AuditEntry.create(
        user=user.id if user else None,
        actor=label,
        entity=entity_name(entity),
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
        note=note or "",
    )
