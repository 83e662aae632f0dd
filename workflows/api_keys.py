"""API keys of the CFAs' software: generated once, stored as a hash, recognisable by their prefix.

A key is `pcfa_` followed by 43 URL-safe random characters (32 bytes), so secret scanners can spot a leaked
one; only its sha256 is stored, with the first characters (`prefix`) to name it in lists and in the audit.
A key is valid 365 days from its creation.
"""
import datetime as dt
import hashlib
import secrets

from models import ApiKey

KEY_PREFIX = "pcfa_"
SHOWN_PREFIX_LENGTH = 12  # "pcfa_" and 7 random characters: enough to tell keys apart in a list
VALIDITY_DAYS = 365


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
