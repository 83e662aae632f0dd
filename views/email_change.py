"""The link that confirms a new login email: public, opened signed in or not, from the new mailbox.

The page asks for one click (a POST with its CSRF token) so that a mail scanner fetching the link does not
spend it; the change itself is workflows.email_change.confirm_email_change.
"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm

from infrastructure import signed_links
from workflows import tokens
from workflows.email_change import UNUSABLE, EmailTaken, confirm_email_change

bp = Blueprint("email_change", __name__)

NO_REFERRER = {"Referrer-Policy": "no-referrer"}
INVALID = {
    "unknown": (404, "Ce lien de confirmation n'est pas valide. Vérifiez qu'il a été copié en entier."),
    "expired": (410, "Ce lien de confirmation a expiré : il n'est valable que 24 heures."),
    "used": (410, "Ce lien de confirmation a déjà été utilisé ou remplacé par une demande plus récente."),
}


def _account_url():
    """Where a signed-in user asks for a new link: their own *Mon compte*."""
    if not current_user.is_authenticated:
        return None
    return url_for("staff_account.index") if current_user.is_staff else url_for("portal.account")


def _refused(code, text):
    return render_template("auth/email_change_invalid.html", text=text, account_url=_account_url()), code, NO_REFERRER


@bp.route("/confirmer-email/<token>", methods=["GET", "POST"])
def confirm(token):
    secret = signed_links.unsign(token, "email_change")
    if secret is None:
        return _refused(*INVALID["unknown"])
    try:
        pending = tokens.check(secret, "email_change").user.pending_email
    except tokens.TokenInvalid as refused:
        return _refused(*INVALID[refused.reason])
    form = FlaskForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/email_change_confirm.html", form=form, new_email=pending), status, NO_REFERRER
    signed_in = current_user.id if current_user.is_authenticated else None  # read before the token rotates
    account_url = _account_url()
    try:
        user = confirm_email_change(secret)
    except tokens.TokenInvalid as refused:
        return _refused(*INVALID[refused.reason])
    except EmailTaken:
        return _refused(409, UNUSABLE + " Votre adresse de connexion n'a pas changé ; vous pouvez faire une "
                                       "nouvelle demande depuis Mon compte.")
    if signed_in == user.id:
        login_user(user)  # this session carries the new token; the others no longer match
        flash(f"Votre adresse de connexion est désormais {user.email}. Vos autres sessions ont été fermées.",
              "success")
        return redirect(account_url)
    flash(f"Votre adresse de connexion est désormais {user.email}. Connectez-vous avec cette adresse ; "
          "vos autres sessions ont été fermées.", "success")
    return redirect(url_for("auth.login"))
