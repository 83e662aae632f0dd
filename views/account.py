"""*Mon compte* for whoever is signed in: the portal and the back office render the same three forms."""
from flask import flash, redirect, request, url_for
from flask_login import login_user

from forms.account import AccountForm, EmailChangeForm, PasswordChangeForm
from infrastructure import signed_links
from workflows.account import AccountError, change_password, update_account
from workflows.email_change import pending_email_change, request_email_change

# form_name posted → the form it names; any other value is the profile form.
PASSWORD, EMAIL = "mot_de_passe", "email"


def handle_account(user, page_url, render):
    """GET shows the forms; POST handles the one named by `form_name`.

    `render(profile=, password=, email_change=, pending=)` → response.
    """
    posted = request.form.get("form_name") if request.method == "POST" else None
    profile_posted = request.method == "POST" and posted not in (PASSWORD, EMAIL)
    profile = AccountForm(formdata=request.form if profile_posted else None,
                          data=None if profile_posted else _initial(user))
    password = PasswordChangeForm(formdata=request.form if posted == PASSWORD else None)
    email_change = EmailChangeForm(formdata=request.form if posted == EMAIL else None)

    def page(status=200):
        return render(profile=profile, password=password, email_change=email_change,
                      pending=pending_email_change(user)), status

    if posted == PASSWORD:
        if password.validate():
            try:
                change_password(user, password.current_password.data, password.new_password.data)
            except AccountError as refused:
                getattr(password, refused.field).errors = list(refused.messages)
            else:
                login_user(user)  # this session carries the new token; the others no longer match
                flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
                return redirect(page_url)
        return page(400)
    if posted == EMAIL:
        if email_change.validate():
            try:
                new_email = request_email_change(
                    user, email_change.new_email.data, email_change.email_password.data,
                    lambda secret: url_for("email_change.confirm", token=signed_links.sign(secret, "email_change"),
                                            _external=True))
            except AccountError as refused:
                field = "email_password" if refused.field == "current_password" else refused.field
                getattr(email_change, field).errors = list(refused.messages)
            else:
                flash(f"Un lien de confirmation a été envoyé à {new_email} (valable 24 heures). Votre adresse de "
                      "connexion changera quand vous l'aurez ouvert ; un avis a été envoyé à votre adresse actuelle.",
                      "success")
                return redirect(page_url)
        return page(400)
    if profile_posted:
        if profile.validate():
            changed = update_account(user, profile.last_name.data, profile.first_name.data,
                                     profile.newsletter.data == "oui", profile.daily_digest.data,
                                     profile.notification_email.data or "")
            flash("Vos informations ont été enregistrées." if changed else "Aucune modification.", "success")
            return redirect(page_url)
        return page(400)
    return page()


def _initial(user):
    return {"form_name": "profil", "last_name": user.last_name, "first_name": user.first_name,
            "notification_email": user.notification_email, "newsletter": "oui" if user.newsletter else "non", "daily_digest": bool(user.daily_digest)}
