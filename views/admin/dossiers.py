"""Back-office views of apprentices, dossiers, installments and the NPEC referential.

Money and state columns are never in a form: they change through actions only.
"""
from wtforms.validators import Optional, ValidationError

from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike

from forms import validators as v
from models import Apprentice, Dossier, Employer, IdccCpne, Installment, NpecReference, Organisation
from rules.identifiers import mask_nir

from .base import ReadOnlyModelView, StaffModelView, date_formatter, money_formatter

DOSSIER_MONEY_AND_STATE = [
    "state", "regime", "npec", "disability_uplift", "total_financed", "employer_share", "cap_nights", "cap_meals",
    "cap_first_equipment", "cap_mobility", "rupture_date", "agreement_date", "closing_date", "advisor",
    "refusal_reason", "missing_pieces", "apprentice_name", "created_at", "updated_at", "completion_certificate",
    "teaching_cost",
]


class ApprenticeView(StaffModelView):
    manage_roles = {"admin", "conseiller"}
    column_list = ["birth_name", "first_name", "birth_date", "nir", "rqth", "city"]
    column_searchable_list = ["birth_name", "usage_name", "first_name", "email"]
    column_filters = ["rqth", "sex", "city"]
    column_sortable_list = ["birth_name", "first_name", "birth_date"]
    column_default_sort = "birth_name"
    column_formatters = {"nir": lambda view, ctx, model, name: mask_nir(model.nir) if model.nir else "",
                         "birth_date": date_formatter}
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


def _state_label(view, ctx, model, name):
    return dict(Dossier.state.choices).get(model.state, model.state)


class DossierView(StaffModelView):
    manage_roles = {"admin", "conseiller"}
    deletable = False  # dossiers are "supprimé" through an action, never erased
    simple_list_pager = True  # no COUNT(*) over a million rows
    column_list = ["number", "apprentice_name", "organisation", "employer", "scheme", "state", "regime",
                   "contract_start", "contract_end", "total_financed", "advisor"]
    column_searchable_list = ["number", "deca_number", "apprentice_name"]
    column_filters = ["state", "scheme", "regime", "is_stock", "subrogated", "contract_start", "conclusion_date",
                      
                      FilterLike(Organisation.name, "Nom du CFA"), FilterEqual(Organisation.siret, "SIRET du CFA"),
                      FilterEqual(Employer.siret, "SIRET de l'employeur")]
    joined_models = (Organisation, Employer)
    column_sortable_list = ["number", "apprentice_name", "scheme", "state", "regime", "contract_start",
                            "contract_end", "total_financed", ("organisation", Organisation.name)]
    column_default_sort = ("id", True)
    column_formatters = {"total_financed": money_formatter, "npec": money_formatter,
                         "contract_start": date_formatter, "contract_end": date_formatter, "state": _state_label}
    column_formatters_export = {"state": _state_label}
    column_labels = {
        "number": "N° de dossier", "deca_number": "N° DECA", "scheme": "Dispositif", "state": "État",
        "organisation": "CFA", "employer": "Employeur", "apprentice": "Apprenti", "apprentice_name": "Apprenti",
        "subrogated": "Subrogé", "is_stock": "Reprise de stock", "without_contract": "Apprenti sans contrat",
        "diploma_title": "Diplôme", "diploma_code": "Code diplôme", "rncp_code": "Code RNCP", "level": "Niveau",
        "training_start": "Début de formation", "training_end": "Fin de formation", "training_hours": "Heures",
        "distance_percent": "Part à distance (%)", "contract_type": "Type de contrat",
        "conclusion_date": "Date de conclusion", "contract_start": "Début du contrat", "contract_end": "Fin du contrat",
        "job_title": "Emploi occupé", "reduced_duration": "Durée réduite", "regime": "Régime", "npec": "NPEC annuel",
        "disability_uplift": "Majoration RQTH", "teaching_cost": "Coût pédagogique du CFA",
        "total_financed": "Montant engagé", "employer_share": "Reste à charge employeur",
        "rupture_date": "Date de rupture", "completion_certificate": "Certificat de réalisation reçu",
        "deposit_date": "Date de dépôt", "complete_date": "Dossier complet le", "agreement_date": "Date d'accord",
        "closing_date": "Date de clôture", "advisor": "Conseiller", "missing_pieces": "Pièces manquantes",
        "refusal_reason": "Motif de refus", "created_at": "Créé le", "updated_at": "Mis à jour le",
        "cap_nights": "Nuitées engagées", "cap_meals": "Repas engagés", "cap_first_equipment": "Premier équipement",
        "cap_mobility": "Mobilité internationale",
    }
    form_excluded_columns = DOSSIER_MONEY_AND_STATE + ["installments", "invoices", "invoice_lines", "credit_notes",
                                                       "payment_lines", "documents", "letters", "notifications",
                                                       "ruptures", "amendments", "expired_settlements"]
    form_args = {"diploma_code": {"validators": [Optional(), v.diploma_code]},
                 "rncp_code": {"validators": [Optional(), v.rncp]}}

    def get_query(self):
        # Join what the list shows so a page costs one query, not one per row and foreign key.
        return (Dossier.select(Dossier, Organisation, Employer)
                .join(Organisation, on=(Dossier.organisation == Organisation.id))
                .switch(Dossier).join(Employer, on=(Dossier.employer == Employer.id)))

    def on_model_change(self, form, model, is_created):
        if model.contract_end and model.contract_start and model.contract_end < model.contract_start:
            raise ValidationError("La fin du contrat doit être postérieure à son début.")
        model.apprentice_name = f"{model.apprentice.birth_name.upper()} {model.apprentice.first_name}"


class InstallmentView(ReadOnlyModelView):
    simple_list_pager = True
    column_list = ["dossier", "number", "year", "kind", "billable_from", "period_start", "period_end", "amount",
                   "status"]
    column_filters = ["status", "kind", "billable_from", FilterEqual(Dossier.number, "N° de dossier")]
    joined_models = (Dossier,)
    column_sortable_list = ["number", "year", "billable_from", "amount", "status"]
    column_formatters = {"amount": money_formatter, "billable_from": date_formatter,
                         "period_start": date_formatter, "period_end": date_formatter}
    column_labels = {"dossier": "Dossier", "number": "N°", "year": "Année", "kind": "Nature",
                     "billable_from": "Facturable à partir du", "period_start": "Début de période",
                     "period_end": "Fin de période", "amount": "Montant", "status": "Statut"}

    def get_query(self):
        return Installment.select(Installment, Dossier).join(Dossier)


class NpecReferenceView(StaffModelView):
    column_list = ["rncp_code", "cpne_code", "training_label", "npec", "status", "applicable_from"]
    column_searchable_list = ["rncp_code", "cpne_code", "training_label"]
    column_filters = ["cpne_code", "status", "applicable_from"]
    column_sortable_list = ["rncp_code", "cpne_code", "npec", "applicable_from"]
    column_formatters = {"npec": money_formatter, "applicable_from": date_formatter}
    column_labels = {"rncp_code": "Code RNCP", "cpne_code": "Code CPNE", "cpne_label": "CPNE",
                     "training_label": "Formation", "diploma_label": "Diplôme", "certifier": "Certificateur",
                     "npec": "NPEC annuel", "status": "Statut", "applicable_from": "Applicable à partir du",
                     "imported_at": "Importé le"}
    form_excluded_columns = ["imported_at"]
    form_args = {"rncp_code": {"validators": [v.rncp]}}


class IdccCpneView(StaffModelView):
    column_list = ["idcc", "idcc_label", "cpne_code", "cpne_label"]
    column_searchable_list = ["idcc", "idcc_label", "cpne_code"]
    column_labels = {"idcc": "Code IDCC", "idcc_label": "Convention collective", "cpne_code": "Code CPNE",
                     "cpne_label": "CPNE"}
    form_args = {"idcc": {"validators": [v.idcc]}}


VIEWS = [
    (ApprenticeView, Apprentice, "Apprentis", "Dossiers"),
    (DossierView, Dossier, "Dossiers", "Dossiers"),
    (InstallmentView, Installment, "Échéances", "Dossiers"),
    (NpecReferenceView, NpecReference, "Référentiel NPEC", "Référentiels"),
    (IdccCpneView, IdccCpne, "IDCC → CPNE", "Référentiels"),
]
