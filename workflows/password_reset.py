"""Password reset by emailed link, and the password change every flow shares.

Whatever the email, the request answers the same (the caller shows one message); only an active user with
that login receives a link, valid RESET_LIFETIME, single use. Setting a password rotates the session token
(every open session ends) and revokes the user's open links.
"""
import datetime as dt

from infrastructure.mail import render_email
from infrastructure.numbering import immediate_transaction
from infrastructure.passwords import hash_password, password_problems
from models import User, new_session_token, now as db_now
from workflows import tokens
from workflows.audit import record
from workflows.notify import send_email

RESET_LIFETIME = dt.timedelta(minutes=60)
RESET_SUBJECT = "Réinitialisation de votre mot de passe — Portail CFA"


class PasswordRefused(Exception):
    """The new password breaks the policy; `problems` are French reasons."""

    def __init__(self, problems):
        super().__init__(" ".join(problems))
        self.problems = problems


def request_reset(email, link_for, now=None):
    """Email a reset link to the active user whose login is `email`; return nothing either way.

    `link_for(secret)` builds the absolute URL of the reset page (the caller knows the site's address).
    """
    email = (email or "").strip().lower()
    user = User.select().where((User.email == email) & (User.active == True)).first()  # noqa: E712
    if user is None:
        return
    now = (now or db_now()).replace(microsecond=0)
    with immediate_transaction():
        secret = tokens.issue(user, "reset", RESET_LIFETIME, now=now)
        until = now + RESET_LIFETIME
        send_email(user.email, RESET_SUBJECT, *render_email(
            "password_reset", full_name=user.full_name, link=link_for(secret),
            until_date=f"{until:%d/%m/%Y}", until_time=f"{until:%H:%M}"))


def _password_hash(password):
    problems = password_problems(password)
    if problems:
        raise PasswordRefused(problems)
    return hash_password(password)  # slow: computed before any lock is taken


def _set_password(user_id, password_hash, now):
    User.update(password_hash=password_hash, session_token=new_session_token(), failed_logins=0,
                locked_until=None).where(User.id == user_id).execute()
    tokens.revoke_open_tokens(user_id, now=now)


def set_password_by_link(secret, purpose, password, then, now=None):
    """Use the emailed link `secret` of `purpose` to set `password` for its active owner; return the user.

    `then(user, now)` writes the flow's own changes and audit entry in the same transaction. Raise
    PasswordRefused (the link stays usable) or tokens.TokenInvalid.
    """
    tokens.check(secret, purpose, now)
    password_hash = _password_hash(password)  # slow: before the lock
    now = (now or db_now()).replace(microsecond=0)
    with immediate_transaction():
        token = tokens.consume(secret, purpose, now)
        user = User.get_by_id(token.user_id)
        if not user.active:
            raise tokens.TokenInvalid("unknown")
        _set_password(user.id, password_hash, now)
        then(user, now)
    return user


def reset_password(secret, password, now=None):
    """Set `password` for the owner of the reset link `secret`; return the user."""
    return set_password_by_link(secret, "reset", password, lambda user, now: record(
        "user", user.id, "reset_password", user=user,
        note="Mot de passe réinitialisé par lien : les sessions ouvertes sont fermées."), now)


def change_password(user, password, actor=None, now=None):
    """Set a new password for `user` (account page, back office): sessions end, open links are revoked."""
    password_hash = _password_hash(password)
    now = (now or db_now()).replace(microsecond=0)
    with immediate_transaction():
        _set_password(user.id, password_hash, now)
        record("user", user.id, "change_password", user=actor if actor is not None else user,
               note="Nouveau mot de passe : les sessions ouvertes et les liens envoyés sont fermés.")
