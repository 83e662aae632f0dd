"""The API's actor: the key in `X-API-KEY` becomes a `Scope` (its organisation and the approved delegations
to it, acting as an administrator OF). A missing, unknown, expired or revoked key gets the same 401."""
import datetime as dt
import hashlib

from flask import g, request

from access.scope import scope_for_api_key
from models import ApiKey
from workflows.api_keys import find_key, is_usable

from .problems import ApiProblem

HEADER = "X-API-KEY"
LAST_USED_PRECISION = dt.timedelta(minutes=1)  # one write per key per minute at most, not one per request


def authenticate():
    """Before every API request but the public documentation: set `g.api_scope` or answer 401."""
    now = dt.datetime.now()
    key = find_key(request.headers.get(HEADER, ""))
    if not is_usable(key, now):
        raise ApiProblem(401, headers={"WWW-Authenticate": 'ApiKey header="X-API-KEY"'})
    scope = scope_for_api_key(key, now)
    if not scope.organisation_ids:  # the organisation is no longer active
        raise ApiProblem(401, headers={"WWW-Authenticate": 'ApiKey header="X-API-KEY"'})
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.update(last_used_at=now.replace(microsecond=0)).where(ApiKey.id == key.id).execute()
    g.api_scope = scope


def current_api_scope():
    return g.api_scope


def rate_limit_key():
    """The rate limit's bucket: the key's hash, so each key has its own budget whichever worker answers."""
    raw = request.headers.get(HEADER, "")
    if not raw:
        return "api-ip:" + (request.remote_addr or "")
    return "api:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]
