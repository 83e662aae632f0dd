"""One-time tokens for emailed links: bound to a user and a purpose, stored hashed, expiring, single use.

The link carries a random URL-safe secret (32 bytes); the table keeps its sha256 only. Using a token is one
guarded UPDATE (`used_at IS NULL` and not expired), so two requests racing with the same link cannot both
succeed. A password change revokes every open token of the user (reset and activation links alike).
"""
import hashlib
import secrets

from models import OneTimeToken, now as db_now
from models.token import TOKEN_PURPOSES

PURPOSES = {code for code, _ in TOKEN_PURPOSES}


class TokenInvalid(Exception):
    """A link that cannot be used; `reason` is "unknown", "expired" or "used"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _hash(secret):
    return hashlib.sha256((secret or "").encode("utf-8", "surrogatepass")).hexdigest()


def _now(now):
    return (now or db_now()).replace(microsecond=0)


def issue(user, purpose, lifetime, now=None):
    """Create a token for `user` and `purpose` valid for `lifetime` (a timedelta); return the secret.

    The user's older open tokens of the same purpose are revoked: only the latest link works.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    now = _now(now)
    user_id = getattr(user, "id", user)
    revoke_open_tokens(user_id, purposes=[purpose], now=now)
    secret = secrets.token_urlsafe(32)
    OneTimeToken.create(user=user_id, purpose=purpose, token_hash=_hash(secret), created_at=now,
                        expires_at=now + lifetime)
    return secret


def check(secret, purpose, now=None):
    """The open token behind `secret` for `purpose`, without using it; raise TokenInvalid otherwise."""
    if not secret or len(secret) > 200:
        raise TokenInvalid("unknown")
    token = OneTimeToken.select().where((OneTimeToken.token_hash == _hash(secret))
                                        & (OneTimeToken.purpose == purpose)).first()
    if token is None:
        raise TokenInvalid("unknown")
    if token.used_at is not None:
        raise TokenInvalid("used")
    if token.expires_at <= _now(now):
        raise TokenInvalid("expired")
    return token


def consume(secret, purpose, now=None):
    """Use the token behind `secret` once and return it; raise TokenInvalid if it is not open.

    Call inside the transaction of the change the link allows, so a failed change leaves the link usable.
    """
    token = check(secret, purpose, now)
    now = _now(now)
    used = (OneTimeToken.update(used_at=now)
            .where((OneTimeToken.id == token.id) & OneTimeToken.used_at.is_null() & (OneTimeToken.expires_at > now))
            .execute())
    if used != 1:
        raise TokenInvalid("used")
    return token


def revoke_open_tokens(user, purposes=None, now=None):
    """Close every open token of `user` (of `purposes`, or all); return how many were closed."""
    query = OneTimeToken.update(used_at=_now(now)).where(
        (OneTimeToken.user == getattr(user, "id", user)) & OneTimeToken.used_at.is_null())
    if purposes is not None:
        query = query.where(OneTimeToken.purpose.in_(list(purposes)))
    return query.execute()
