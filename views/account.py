"""*Mon compte* for whoever is signed in: the portal and the back office render the same two forms."""
from flask import flash, redirect, request
from flask_login import login_user

from forms.account import AccountForm, PasswordChangeForm
from workflows.account import AccountError, change_password, update_account


def handle_account(user, page_url, render):
    """GET shows both forms; POST handles the one named by `form_name`. `render(profile, password)` → response."""
    posted = request.form.get("form_name") if request.method == "POST" else None
    profile = AccountForm(formdata=None if posted == "mot_de_passe" else request.form or None,
                          data=None if posted == "profil" else _initial(user))
    password = PasswordChangeForm(formdata=request.form if posted == "mot_de_passe" else None)
    if posted == "mot_de_passe":
        if password.validate():
            try:
                change_password(user, password.current_password.data, password.new_password.data)
            except AccountError as refused:
                getattr(password, refused.field).errors = list(refused.messages)
            else:
                login_user(user)  # this session carries the new token; the others no longer match
                flash("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.", "success")
                return redirect(page_url)
        return render(profile, password), 400
    if request.method == "POST":
        if profile.validate():
            changed = update_account(user, profile.last_name.data, profile.first_name.data,
                                     profile.newsletter.data == "oui", profile.daily_digest.data)
            flash("Vos informations ont été enregistrées." if changed else "Aucune modification.", "success")
            return redirect(page_url)
        return render(profile, password), 400
    return render(profile, password)


def _initial(user):
    return {"form_name": "profil", "last_name": user.last_name, "first_name": user.first_name,
            "newsletter": "oui" if user.newsletter else "non", "daily_digest": bool(user.daily_digest)}
