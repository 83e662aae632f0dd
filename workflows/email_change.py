"""Change of login email (*Mon compte*): asked with the current password, effective when the link is opened.

The new address is kept on the user (`pending_email`) and receives a link valid EMAIL_CHANGE_LIFETIME, single
use; the old address is told at once, so a stolen session cannot move the account silently (changing the
password revokes the link). Opening the link re-checks that no other account uses the address, changes the
login, rotates the session token (every other session ends) and closes the user's open links (they were sent
to the old address). Addresses are compared case-insensitively.
"""
import datetime as dt

from peewee import IntegrityError, fn

from infrastructure.mail import render_email
from infrastructure.numbering import immediate_transaction
from infrastructure.passwords import verify_password
from models import OneTimeToken, User, db, new_session_token, now as db_now
from rules.identifiers import check_email
from workflows import tokens
from workflows.account import AccountError
from workflows.audit import record
from workflows.notify import send_email

EMAIL_CHANGE_LIFETIME = dt.timedelta(hours=24)
CONFIRM_SUBJECT = "Confirmez votre nouvelle adresse e-mail — Portail CFA"
NOTICE_SUBJECT = "Changement de votre adresse e-mail de connexion — Portail CFA"
# One answer whether another account has the address or it is refused for another reason: nothing is revealed.
UNUSABLE = "Cette adresse ne peut pas être utilisée pour votre compte."


class EmailTaken(Exception):
    """The confirmed address was taken by another account meanwhile: the link is spent, the login unchanged."""


def _normalise(email):
    return (email or "").strip().lower()


def _taken(email, user_id):
    return User.select().where((fn.LOWER(User.email) == email) & (User.id != user_id)).exists()


def request_email_change(user, new_email, current_password, link_for, now=None):
    """Check the password and the address, then email the confirmation link to `new_email` and a notice to the
    current address; return the normalised new address. Raise AccountError (nothing written) when refused.

    `link_for(secret)` builds the absolute URL of the confirmation page.
    """
    if not verify_password(user.password_hash, current_password or ""):
        raise AccountError("current_password", ["Le mot de passe actuel est incorrect."])
    new_email = _normalise(new_email)
    if check_email(new_email):
        raise AccountError("new_email", ["Adresse électronique invalide."])
    if new_email == _normalise(user.email):
        raise AccountError("new_email", ["C'est déjà votre adresse de connexion."])
    if _taken(new_email, user.id):
        raise AccountError("new_email", [UNUSABLE])
    now = (now or db_now()).replace(microsecond=0)
    until = now + EMAIL_CHANGE_LIFETIME
    with immediate_transaction():
        secret = tokens.issue(user, "email_change", EMAIL_CHANGE_LIFETIME, now=now)
        User.update(pending_email=new_email).where(User.id == user.id).execute()
        send_email(new_email, CONFIRM_SUBJECT, *render_email(
            "email_change_confirm", full_name=user.full_name, new_email=new_email, link=link_for(secret),
            until_date=f"{until:%d/%m/%Y}", until_time=f"{until:%H:%M}"))
        send_email(user.email, NOTICE_SUBJECT, *render_email(
            "email_change_notice", full_name=user.full_name, new_email=new_email, old_email=user.email,
            asked_date=f"{now:%d/%m/%Y}", asked_time=f"{now:%H:%M}"))
        record("user", user.id, "request_email_change", {"email": user.email}, {"pending_email": new_email},
               user=user, note="Lien de confirmation envoyé à la nouvelle adresse, avis envoyé à l'ancienne.")
    user.pending_email = new_email
    return new_email


def pending_email_change(user, now=None):
    """(new address, link expiry) of the user's change still waiting for its link, or None."""
    if not user.pending_email:
        return None
    token = (OneTimeToken.select().where(
        (OneTimeToken.user == user.id) & (OneTimeToken.purpose == "email_change") & OneTimeToken.used_at.is_null()
        & (OneTimeToken.expires_at > (now or db_now()))).order_by(OneTimeToken.id.desc()).first())
    return (user.pending_email, token.expires_at) if token else None


def confirm_email_change(secret, now=None):
    """Make the pending address of the link's owner their login; return the user (with the new session token).

    Raise tokens.TokenInvalid for an unknown, expired or used link, EmailTaken when another account took the
    address since the request (the link is then spent and the pending address dropped).
    """
    tokens.check(secret, "email_change", now)
    now = (now or db_now()).replace(microsecond=0)
    with immediate_transaction():
        token = tokens.consume(secret, "email_change", now)
        user = User.get_by_id(token.user_id)
        new_email = _normalise(user.pending_email)
        if not user.active or not new_email:
            raise tokens.TokenInvalid("unknown")
        old_email = user.email
        changed = not _taken(new_email, user.id)
        if changed:
            try:
                with db.atomic():  # a savepoint: a concurrent insert of the address fails here, not the whole change
                    User.update(email=new_email, pending_email=None, session_token=new_session_token(),
                                email_confirmed_at=now).where(User.id == user.id).execute()
            except IntegrityError:
                changed = False
        if changed:
            tokens.revoke_open_tokens(user.id, now=now)
            record("user", user.id, "change_email", {"email": old_email}, {"email": new_email}, user=user,
                   note="Adresse de connexion confirmée par lien : les autres sessions sont fermées.")
        else:
            User.update(pending_email=None).where(User.id == user.id).execute()
            record("user", user.id, "refuse_email_change", {"email": old_email}, {"pending_email": new_email},
                   user=user, note="Adresse prise par un autre compte entre la demande et la confirmation.")
    if not changed:
        raise EmailTaken(new_email)
    return User.get_by_id(user.id)
