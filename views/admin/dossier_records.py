"""Back-office views of the records around a dossier: apprentices, installments and the NPEC referential."""
from flask import abort, make_response, request
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.validators import Optional

from forms import validators as v
from models import Dossier, Installment
from rules.identifiers import mask_nir
from workflows.npec_import import ReferentialError, import_referential

from .base import ReadOnlyModelView, StaffModelView


class ApprenticeView(StaffModelView):
    manage_permission = "apprentice.manage"
    column_list = ["birth_name", "first_name", "birth_date", "nir", "rqth", "city"]
    column_searchable_list = ["birth_name", "usage_name", "first_name", "email"]
    column_filters = ["rqth", "sex", "city"]
    column_sortable_list = ["birth_name", "first_name", "birth_date"]
    column_default_sort = "birth_name"
    column_formatters = {"nir": lambda view, ctx, model, name: mask_nir(model.nir) if model.nir else ""}
    column_formatters_export = {"nir": lambda view, ctx, model, name: mask_nir(model.nir) if model.nir else ""}
    column_labels = {"birth_name": "Nom de naissance", "usage_name": "Nom d'usage", "first_name": "Prénom",
                     "birth_date": "Date de naissance", "nir": "NIR", "sex": "Sexe", "rqth": "RQTH",
                     "birth_department": "Département de naissance", "birth_city": "Commune de naissance",
                     "nationality": "Nationalité", "street": "Adresse", "postal_code": "Code postal", "city": "Ville",
                     "phone": "Téléphone", "email": "E-mail", "legal_representative": "Représentant légal",
                     "created_at": "Créé le"}
    form_excluded_columns = ["created_at", "dossiers"]
    form_args = {"nir": {"validators": [Optional(), v.nir]}, "email": {"validators": [Optional(), v.email]}}

    def on_model_change(self, form, model, is_created):
        model.nir = (model.nir or "").replace(" ", "")


class InstallmentView(ReadOnlyModelView):
    simple_list_pager = True
    column_list = ["dossier", "number", "year", "kind", "billable_from", "period_start", "period_end", "amount",
                   "status"]
    column_filters = ["status", "kind", "billable_from", FilterEqual(Dossier.number, "N° de dossier")]
    joined_models = (Dossier,)
    column_sortable_list = ["status"]  # (status, billable_from): the only order an index serves over 4 M rows
    column_labels = {"dossier": "Dossier", "number": "N°", "year": "Année", "kind": "Nature",
                     "billable_from": "Facturable à partir du", "period_start": "Début de période",
                     "period_end": "Fin de période", "amount": "Montant", "status": "Statut"}

    def get_query(self):
        return Installment.select(Installment, Dossier).join(Dossier)


class NpecImportForm(FlaskForm):
    file = FileField("Fichier du référentiel (CSV ou XLSX)")


class NpecReferenceView(StaffModelView):
    """The referential: imported from France compétences' file by an administrator (admin only)."""

    manage_permission = "referential.manage"
    list_template = "admin/npec_list.html"

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        if not self.allowed(self.manage_permission):
            abort(403)
        form = NpecImportForm()
        report, error = None, None
        if request.method == "POST" and form.validate():
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                error = "Choisissez le fichier CSV ou XLSX du référentiel."
            else:
                try:
                    report = import_referential(upload.filename, upload.read(),
                                                user=current_user._get_current_object())
                except ReferentialError as exc:
                    error = str(exc)
        html = self.render("admin/npec_import.html", form=form, report=report, error=error)
        return make_response(html, 400) if error else html

    column_list = ["rncp_code", "cpne_code", "training_label", "npec", "status", "applicable_from"]
    column_searchable_list = ["rncp_code", "cpne_code", "training_label"]
    column_filters = ["cpne_code", "status", "applicable_from"]
    column_sortable_list = ["rncp_code", "cpne_code", "npec", "applicable_from"]
    column_labels = {"rncp_code": "Code RNCP", "cpne_code": "Code CPNE", "cpne_label": "CPNE",
                     "training_label": "Formation", "diploma_label": "Diplôme", "certifier": "Certificateur",
                     "npec": "NPEC annuel", "status": "Statut", "applicable_from": "Applicable à partir du",
                     "imported_at": "Importé le"}
    form_excluded_columns = ["imported_at"]
    form_args = {"rncp_code": {"validators": [v.rncp]}}


class IdccCpneView(StaffModelView):
    manage_permission = "referential.manage"
    column_list = ["idcc", "idcc_label", "cpne_code", "cpne_label"]
    column_searchable_list = ["idcc", "idcc_label", "cpne_code"]
    column_labels = {"idcc": "Code IDCC", "idcc_label": "Convention collective", "cpne_code": "Code CPNE",
                     "cpne_label": "CPNE"}
    form_args = {"idcc": {"validators": [v.idcc]}}
