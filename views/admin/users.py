"""Back-office view of users, with their memberships and the six rights inline."""
from wtforms import PasswordField
from wtforms.validators import Optional, ValidationError

from forms import validators as v
from models import Membership, User
from models.user import STAFF_ROLES, USER_KINDS
from services.passwords import hash_password, password_problems

from .base import StaffModelView

RIGHT_LABELS = {
    "right_contracts": "Gérer les contrats",
    "right_contracts_billing": "… et leur facturation",
    "right_stock": "Gérer les contrats de stock",
    "right_stock_billing": "… et leur facturation (stock)",
    "right_no_contract": "Gérer les apprentis sans contrat",
    "right_no_contract_billing": "… et leur facturation (sans contrat)",
}


class UserView(StaffModelView):
    column_list = ["email", "last_name", "first_name", "kind", "staff_role", "active", "locked_until", "last_login_at"]
    column_searchable_list = ["email", "last_name", "first_name"]
    column_filters = ["kind", "staff_role", "active"]
    column_sortable_list = ["email", "last_name", "first_name", "kind", "last_login_at"]
    column_default_sort = "email"
    column_formatters = {
        "kind": lambda v, c, m, n: dict(USER_KINDS).get(m.kind, m.kind),
        "staff_role": lambda v, c, m, n: dict(STAFF_ROLES).get(m.staff_role, m.staff_role or ""),
    }
    column_exclude_list = ["password_hash", "session_token"]
    column_details_exclude_list = ["password_hash", "session_token"]
    column_export_exclude_list = ["password_hash", "session_token"]
    column_labels = {"email": "E-mail", "last_name": "Nom", "first_name": "Prénom", "kind": "Type",
                     "staff_role": "Rôle OPCO", "active": "Actif", "locked_until": "Verrouillé jusqu'au",
                     "last_login_at": "Dernière connexion", "employer": "Employeur", "newsletter": "Newsletter",
                     "daily_digest": "Récapitulatif quotidien", "failed_logins": "Échecs de connexion",
                     "email_confirmed_at": "E-mail confirmé le", "created_at": "Créé le",
                     "new_password": "Nouveau mot de passe"}
    form_excluded_columns = ["password_hash", "session_token", "failed_logins", "last_login_at", "created_at",
                             "audit_entries", "notifications", "dossiers_advised", "bank_details_entered",
                             "bank_details_reviewed"]
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
        elif is_created:
            raise ValidationError("Indiquez un mot de passe pour le nouvel utilisateur.")
        if model.kind == "staff" and not model.staff_role:
            raise ValidationError("Un membre du personnel OPCO doit avoir un rôle (conseiller, comptable, administrateur).")
        if model.kind != "staff":
            model.staff_role = None

    def validate_saved(self, model):
        for membership in Membership.select().where(Membership.user == model.id):
            if membership.rights == set():
                raise ValidationError("Chaque rattachement doit porter au moins un des six droits.")


VIEWS = [(UserView, User, "Utilisateurs", "Utilisateurs")]
