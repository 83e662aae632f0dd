"""A user's own account (SPEC §6 *Mon compte*): identity, newsletter, daily digest and password.

The caller passes the signed-in user; every change is audited on entity "user".
"""
from infrastructure.passwords import hash_password, password_problems, verify_password
from models import User, db, new_session_token
from workflows import tokens
from workflows.audit import record

ACCOUNT_FIELDS = ("last_name", "first_name", "notification_email", "newsletter", "daily_digest")


class AccountError(Exception):
    """A refused change, with the French messages to show next to `field`."""

    def __init__(self, field, messages):
        super().__init__(" ".join(messages))
        self.field = field
        self.messages = list(messages)


def update_account(user, last_name, first_name, newsletter, daily_digest, notification_email=None):
    """Save the user's name and mail preferences; return True when something changed.

    `notification_email` (None keeps the current one, "" means the login email) receives the daily digest.
    """
    if notification_email is None:
        notification_email = user.notification_email
    notification_email = notification_email.strip().lower()
    if notification_email == user.email:
        notification_email = ""
    after = {"last_name": last_name.strip(), "first_name": first_name.strip(),
             "notification_email": notification_email,
             "newsletter": bool(newsletter), "daily_digest": bool(daily_digest)}
    before = {name: getattr(user, name) for name in ACCOUNT_FIELDS}
    if after == before:
        return False
    with db.atomic():
        User.update(**after).where(User.id == user.id).execute()
        record("user", user.id, "update_account", before, after, user=user)
    for name, value in after.items():
        setattr(user, name, value)
    return True


def change_password(user, current_password, new_password):
    """Check the current password and the policy, store the argon2id hash and rotate the session token.

    The new token ends every other session of the user at its next request; the caller signs the current
    session in again with it; the user's emailed links still open (reset, email change…) stop working.
    Raises AccountError (nothing written) when refused.
    """
    if not verify_password(user.password_hash, current_password or ""):
        raise AccountError("current_password", ["Le mot de passe actuel est incorrect."])
    problems = password_problems(new_password)
    if not problems and new_password == current_password:
        problems = ["Le nouveau mot de passe doit être différent de l'actuel."]
    if problems:
        raise AccountError("new_password", problems)
    token = new_session_token()
    with db.atomic():
        User.update(password_hash=hash_password(new_password), session_token=token,
                    failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        tokens.revoke_open_tokens(user.id)  # reset, activation and email-change links die with the old password
        record("user", user.id, "change_password", None, {"password": "modifié", "other_sessions": "fermées"},
               user=user)
    user.session_token = token
    return user


def set_list_columns(user, list_name, keys):
    """Keep the columns the user chose for a portal list (`keys`, None: back to the defaults).

    A display preference, not a change of the account: it is not audited.
    """
    chosen = dict(user.list_columns or {})
    if keys is None:
        chosen.pop(list_name, None)
    else:
        chosen[list_name] = list(keys)
    User.update(list_columns=chosen or None).where(User.id == user.id).execute()
    user.list_columns = chosen or None
