"""The token in an emailed link: a one-time secret (workflows/tokens.py) signed with SECRET_KEY (itsdangerous).

The signature, salted per purpose, refuses a forged or altered link before any database look-up and keeps a
reset link from being replayed as an activation link. Validity (expiry, single use, owner) is decided by
workflows/tokens.py alone, from the secret's stored hash: the signature carries no lifetime of its own.
"""
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

MAX_LENGTH = 400  # a signed 32-byte secret is about 100 characters; longer is not one of ours


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portail-link-{purpose}")


def sign(secret, purpose):
    """The URL-safe token that carries `secret` for `purpose`."""
    return _serializer(purpose).dumps(secret)


def unsign(token, purpose):
    """The secret inside `token`, or None when the token is forged, altered or of another purpose."""
    if not token or len(token) > MAX_LENGTH:
        return None
    try:
        secret = _serializer(purpose).loads(token)
    except (BadData, UnicodeError, ValueError):
        return None
    return secret if isinstance(secret, str) else None
