"""Back-office view of users, with their memberships and the six rights inline.

A new password or a deactivation gives the user a new session token: every session opened with the old
one ends at once (the token is what Flask-Login keeps in the cookie, so it is never listed or exported).
"""
from flask_login import current_user, login_user
from wtforms import PasswordField
from wtforms.validators import Optional, ValidationError

from forms import validators as v
from models import Membership, User, new_session_token
from workflows.deactivation import USER_ACTIVITY
from infrastructure.passwords import hash_password, password_problems
from workflows.tokens import revoke_open_tokens

from .base import DeactivationMixin, StaffModelView

RIGHT_LABELS = {
    "right_contracts": "Gérer les contrats",
    "right_contracts_billing": "… et leur facturation",
    "right_stock": "Gérer les contrats de stock",
    "right_stock_billing": "… et leur facturation (stock)",
    "right_no_contract": "Gérer les apprentis sans contrat",
    "right_no_contract_billing": "… et leur facturation (sans contrat)",
}


ACTIVE = User.active.name  # the activity column, moved by USER_ACTIVITY only


class UserView(DeactivationMixin, StaffModelView):
    manage_permission = "user.manage"
    activity = USER_ACTIVITY
    column_list = ["email", "last_name", "first_name", "kind", "staff_role", ACTIVE, "locked_until", "last_login_at"]
    column_searchable_list = ["email", "last_name", "first_name"]
    column_filters = ["kind", "staff_role", ACTIVE]
    column_sortable_list = ["email", "last_name", "first_name", "kind", "last_login_at"]
    column_default_sort = "email"
    column_exclude_list = ["password_hash", "session_token", "list_columns"]
    column_details_exclude_list = ["password_hash", "session_token", "list_columns"]
    column_export_exclude_list = ["password_hash", "session_token", "list_columns"]
    column_labels = {"email": "E-mail", "last_name": "Nom", "first_name": "Prénom", "kind": "Type",
                     "staff_role": "Rôle OPCO", ACTIVE: "Actif", "locked_until": "Verrouillé jusqu'au",
                     "last_login_at": "Dernière connexion", "employer": "Employeur", "newsletter": "Newsletter",
                     "daily_digest": "Récapitulatif quotidien", "failed_logins": "Échecs de connexion",
                     "email_confirmed_at": "E-mail confirmé le", "created_at": "Créé le",
                     "pending_email": "Nouvel e-mail en attente de confirmation",
                     "new_password": "Nouveau mot de passe", "registered_for": "Inscrit par SIRET pour"}
    # `active` moves through USER_ACTIVITY (Désactiver / Réactiver), which also ends the user's sessions
    form_excluded_columns = [ACTIVE, "password_hash", "session_token", "failed_logins", "last_login_at", "created_at",
                             "pending_email", "audit_entries", "notifications", "dossiers_advised",
                             "bank_details_entered", "bank_details_reviewed", "registered_for", "list_columns"]
    form_extra_fields = {"new_password": PasswordField("Nouveau mot de passe", validators=[Optional()])}
    form_args = {"email": {"validators": [v.email]}}
    inline_models = [(Membership, {
        "form_columns": ["id", "organisation", "role", *RIGHT_LABELS],
        "form_args": {"id": {"validators": [Optional()]}},
        "column_labels": {"organisation": "Organisme", "role": "Rôle", **RIGHT_LABELS},
    })]

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip().lower()
        password = form.new_password.data if hasattr(form, "new_password") else None
        if password:
            problems = password_problems(password)
            if problems:
                raise ValidationError(" ".join(problems))
            model.password_hash = hash_password(password)
            model.session_token = new_session_token()
            if not is_created:
                revoke_open_tokens(model.id)  # emailed reset and activation links die with the old password
        elif is_created:
            raise ValidationError("Indiquez un mot de passe pour le nouvel utilisateur.")
        if model.kind == "staff" and not model.staff_role:
            raise ValidationError("Un membre du personnel OPCO doit avoir un rôle (conseiller, comptable, administrateur).")
        if model.kind != "staff":
            model.staff_role = None

    def audit_note(self, form, model):
        if getattr(form, "new_password", None) is not None and form.new_password.data:
            return "Nouveau mot de passe défini : les sessions ouvertes de l'utilisateur sont fermées."
        return ""

    def update_model(self, form, model):
        """An administrator who sets their own password stays signed in, on the new token."""
        password_set = bool(getattr(form, "new_password", None) is not None and form.new_password.data)
        saved = super().update_model(form, model)
        if saved and password_set and model.id == current_user.id:
            login_user(User.get_by_id(model.id))
        return saved

    def validate_saved(self, model):
        for membership in Membership.select().where(Membership.user == model.id):
            if membership.rights == set():
                raise ValidationError("Chaque rattachement doit porter au moins un des six droits.")


VIEWS = [(UserView, User, "Utilisateurs", "Utilisateurs")]
