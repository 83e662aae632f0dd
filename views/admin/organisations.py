"""Back-office views of organisations and employers (delegations: views/admin/delegations.py)."""
from flask_admin.actions import action
from wtforms.validators import Optional

from forms import validators as v
from models import Employer, Organisation
from workflows.deactivation import EMPLOYER_ACTIVITY, ORGANISATION_ACTIVITY

from .base import DeactivationMixin, StaffModelView


class OrganisationView(DeactivationMixin, StaffModelView):
    manage_permission = "organisation.manage"
    activity = ORGANISATION_ACTIVITY
    column_list = ["siret", "name", "city", "uai", "status", "is_cfa", "credit_note_mode", "created_at"]
    column_searchable_list = ["siret", "name", "city", "uai"]
    column_filters = ["status", "is_cfa", "city", "credit_note_mode", "for_profit"]
    column_sortable_list = ["siret", "name", "city", "status", "created_at"]
    column_default_sort = "name"
    column_labels = {
        "siret": "SIRET", "name": "Raison sociale", "name_suite": "Raison sociale (suite)", "street": "Adresse",
        "street_suite": "Complément d'adresse", "postal_code": "Code postal", "city": "Ville", "phone": "Téléphone",
        "email": "E-mail", "uai": "UAI", "da_number": "N° de déclaration d'activité", "is_cfa": "CFA",
        "is_fpc_provider": "Organisme FPC", "for_profit": "Lucratif", "vat_liable": "Assujetti TVA",
        "zone": "Zone d'intervention", "opco_reference": "Référence OPCO", "status": "Statut",
        "credit_note_mode": "Règlement des avoirs", "third_party_billing": "Facturation par un tiers",
        "esignature": "Signature électronique", "parent": "Établissement principal", "created_at": "Créée le",
        "contact_civility": "Civilité du contact", "contact_last_name": "Nom du contact",
        "contact_first_name": "Prénom du contact", "contact_function": "Fonction du contact",
        "contact_phone": "Téléphone du contact", "contact_email": "E-mail du contact",
    }
    # status moves through ORGANISATION_ACTIVITY (validate, deactivate, reactivate), never typed in the form
    form_excluded_columns = ["status", "created_at", "memberships", "dossiers", "invoices", "credit_notes", "payments",
                             "bank_details", "documents", "notifications", "proposals", "api_keys",
                             "delegations_received", "delegations_given", "establishments"]
    form_args = {
        "siret": {"validators": [v.siret]},
        "uai": {"validators": [Optional(), v.uai]},
        "email": {"validators": [Optional(), v.email]},
        "contact_email": {"validators": [Optional(), v.email]},
    }

    def on_model_change(self, form, model, is_created):
        model.siret = (model.siret or "").replace(" ", "")
        model.uai = (model.uai or "").strip().upper()

    @action("valider_inscription", "Valider l'inscription", "Valider l'inscription des organismes sélectionnés ?")
    def action_valider_inscription(self, ids):
        return self._change_activity("valider_inscription", ids)


class EmployerView(DeactivationMixin, StaffModelView):
    activity = EMPLOYER_ACTIVITY
    manage_permission = "employer.manage"
    column_list = ["siret", "name", "city", "naf", "idcc", "headcount", "status"]
    column_searchable_list = ["siret", "name", "city"]
    column_filters = ["idcc", "naf", "city", "status"]
    column_sortable_list = ["siret", "name", "city", "idcc", "headcount", "status"]
    column_default_sort = "name"
    column_labels = {"siret": "SIRET", "name": "Raison sociale", "street": "Adresse", "postal_code": "Code postal",
                     "status": "Statut", "city": "Ville", "naf": "Code NAF", "idcc": "IDCC", "headcount": "Effectif",
                     "employer_type": "Type d'employeur", "collective_agreement": "Convention collective",
                     "email": "E-mail", "phone": "Téléphone", "created_at": "Créé le"}
    form_excluded_columns = ["status", "created_at", "users", "dossiers"]
    form_args = {
        "siret": {"validators": [v.siret]},
        "naf": {"validators": [Optional(), v.naf]},
        "idcc": {"validators": [Optional(), v.idcc]},
        "email": {"validators": [Optional(), v.email]},
    }


VIEWS = [
    (OrganisationView, Organisation, "Organismes", "Organismes"),
    (EmployerView, Employer, "Employeurs", "Organismes"),
]
