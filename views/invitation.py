"""The invitation link an administrator OF sends a new user (/invitation/<token>): choose a password, which
confirms the email; nobody is signed in by it. Expired, used or unknown links get a French page (410/404)."""
from flask import Blueprint, render_template, url_for
from flask_login import current_user, logout_user

from forms.password_reset import ResetPasswordForm
from infrastructure import signed_links
from workflows import tokens
from workflows.password_reset import PasswordRefused
from workflows.users import accept_invitation, invited_user

bp = Blueprint("invitation", __name__)

NO_REFERRER = {"Referrer-Policy": "no-referrer"}
INVALID = {
    "unknown": (404, "Ce lien d'invitation n'est pas valide. Vérifiez qu'il a été copié en entier."),
    "expired": (410, "Ce lien d'invitation a expiré : il n'est valable que 24 heures."),
    "used": (410, "Ce lien d'invitation a déjà été utilisé ou remplacé par une invitation plus récente."),
}


def _invalid(reason):
    code, text = INVALID[reason]
    return render_template("auth/invitation_invalid.html", text=text), code, NO_REFERRER


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept(token):
    secret = signed_links.unsign(token, "invitation")
    if secret is None:
        return _invalid("unknown")
    try:
        user = invited_user(secret)
    except tokens.TokenInvalid as refused:
        return _invalid(refused.reason)
    form = ResetPasswordForm()  # the same password rule as everywhere
    if form.validate_on_submit():
        try:
            user = accept_invitation(secret, form.password.data)
        except tokens.TokenInvalid as refused:
            return _invalid(refused.reason)
        except PasswordRefused as refused:
            form.password.errors = list(refused.problems)
        else:
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()
            return render_template("auth/invitation_done.html", user=user, login=url_for("auth.login")), 200, \
                NO_REFERRER
    status = 400 if form.is_submitted() else 200
    return render_template("auth/invitation.html", form=form, user=user), status, NO_REFERRER
