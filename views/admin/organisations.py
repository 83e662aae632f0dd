"""Back-office views of organisations and employers (delegations: views/admin/delegations.py).

Registrations by SIRET (workflows/registration.py) arrive as *pending* organisations: the list filtered on
that status is "Inscriptions à valider"; they are validated, or refused with a reason, through the
ORGANISATION transition table, and the requester is emailed either way.
"""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from wtforms.validators import Optional

from forms import validators as v
from forms.registration import RegistrationRefusalForm
from models import ApiKey, Employer, Organisation
from workflows.deactivation import EMPLOYER_ACTIVITY, ORGANISATION_ACTIVITY
from workflows.registration import refuse_registration, validate_registration
from workflows.transitions import TransitionRefused

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
        "registration_comment": "Commentaire de l'inscription",
    }
    # status moves through ORGANISATION_ACTIVITY (validate, deactivate, reactivate), never typed in the form
    form_excluded_columns = ["status", "created_at", "memberships", "dossiers", "invoices", "credit_notes", "payments",
                             "bank_details", "documents", "notifications", "proposals", "api_keys",
                             "delegations_received", "delegations_given", "establishments", "self_registrations"]
    form_args = {
        "siret": {"validators": [v.siret]},
        "uai": {"validators": [Optional(), v.uai]},
        "email": {"validators": [Optional(), v.email]},
        "contact_email": {"validators": [Optional(), v.email]},
    }

    details_template = "admin/organisation_details.html"  # with a link to the organisation's API keys

    def api_keys_url(self, organisation):
        from .dashboard import filtered_list_url
        return filtered_list_url("apikey", Organisation.siret, organisation.siret)

    def api_key_count(self, organisation):
        return ApiKey.select().where(ApiKey.organisation == organisation.id).count()

    def on_model_change(self, form, model, is_created):
        model.siret = (model.siret or "").replace(" ", "")
        model.uai = (model.uai or "").strip().upper()

    decide_permission = "registration.decide"

    def is_action_allowed(self, name):
        if name in ("valider_inscription", "refuser_inscription"):
            return self.allowed(self.decide_permission)
        return super().is_action_allowed(name)

    def _ids(self, ids):
        if not self.allowed(self.decide_permission):
            abort(403)
        try:
            return [int(i) for i in ids][:200]
        except (TypeError, ValueError):
            abort(400)

    def _decide(self, ids, label, decide):
        done = 0
        for org in list(Organisation.select().where(Organisation.id.in_(ids)).order_by(Organisation.id)):
            try:
                decide(org)
                done += 1
            except TransitionRefused as exc:
                flash(f"{org} : {exc}.", "error")
        if done:
            flash(f"{label} : {done} organisme(s) traité(s), demandeur(s) informé(s) par e-mail.", "success")

    @action("valider_inscription", "Valider l'inscription", "Valider l'inscription des organismes sélectionnés ? "
                                                          "Leurs demandeurs seront informés par e-mail.")
    def action_valider_inscription(self, ids):
        login_url = url_for("auth.login", _external=True)
        self._decide(self._ids(ids), "Inscription validée",
                     lambda org: validate_registration(org, self.actor, login_url))

    @action("refuser_inscription", "Refuser l'inscription")
    def action_refuser_inscription(self, ids):
        return redirect(url_for(".refusal_view", ids=",".join(str(i) for i in self._ids(ids)),
                                url=get_redirect_target() or self.get_url(".index_view")))

    @expose("/refus-inscription/", methods=("GET", "POST"))
    def refusal_view(self):
        """The reason of a refusal (required), emailed to the requester."""
        form = RegistrationRefusalForm()
        if request.method == "GET":
            form.ids.data = request.args.get("ids", "")
        ids = self._ids([i for i in (form.ids.data or "").split(",") if i.strip()])
        if not ids:
            abort(400)
        return_url = get_redirect_target() or self.get_url(".index_view")
        if form.validate_on_submit():
            self._decide(ids, "Inscription refusée", lambda org: refuse_registration(org, form.reason.data, self.actor))
            return redirect(return_url)
        objects = list(Organisation.select().where(Organisation.id.in_(ids)).order_by(Organisation.id))
        html = self.render("admin/billing_reason.html", form=form, label="Refuser l'inscription", objects=objects,
                           return_url=return_url)
        return make_response(html, 400 if request.method == "POST" else 200)


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
