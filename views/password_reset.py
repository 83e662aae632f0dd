"""Forgotten password: ask for a link by email, then choose a new password through it."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from forms.password_reset import ForgotPasswordForm, ResetPasswordForm
from infrastructure import signed_links
from views.extensions import limiter
from workflows import tokens
from workflows.password_reset import PasswordRefused, request_reset, reset_password

bp = Blueprint("password_reset", __name__)

# The same words whether an account exists or not: the form tells nobody which emails are registered.
SENT = ("Si un compte actif correspond à cette adresse, un e-mail vient de lui être envoyé avec un lien "
        "pour choisir un nouveau mot de passe. Ce lien est valable 60 minutes et ne sert qu'une fois. "
        "Pensez à vérifier vos courriers indésirables.")

INVALID = {
    "unknown": (404, "Ce lien de réinitialisation n'est pas valide. Vérifiez qu'il a été copié en entier."),
    "expired": (410, "Ce lien de réinitialisation a expiré : il n'est valable que 60 minutes."),
    "used": (410, "Ce lien de réinitialisation a déjà été utilisé ou remplacé par un lien plus récent."),
}


def _invalid(reason):
    code, text = INVALID[reason]
    return render_template("auth/reset_invalid.html", text=text), code, {"Referrer-Policy": "no-referrer"}


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data,
                      lambda secret: url_for("password_reset.reset", token=signed_links.sign(secret, "reset"),
                                             _external=True))
        return render_template("auth/forgot_password.html", form=form, sent=SENT)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form, sent=None), status


@bp.route("/reinitialiser/<token>", methods=["GET", "POST"])
def reset(token):
    secret = signed_links.unsign(token, "reset")
    if secret is None:
        return _invalid("unknown")
    try:
        tokens.check(secret, "reset")
    except tokens.TokenInvalid as refused:
        return _invalid(refused.reason)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = reset_password(secret, form.password.data)
        except tokens.TokenInvalid as refused:
            return _invalid(refused.reason)
        except PasswordRefused as refused:
            form.password.errors = list(refused.problems)
        else:
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()
            flash("Votre mot de passe a été modifié. Connectez-vous avec le nouveau mot de passe ; "
                  "vos autres sessions ont été fermées.", "success")
            return redirect(url_for("auth.login"))
    if form.is_submitted():
        status = 400
    return render_template("auth/reset_password.html", form=form), status, {"Referrer-Policy": "no-referrer"}
