"""Back-office views of invoices, credit notes, payments and bank details (read and export here;
their state changes come as actions)."""
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike

from models import BankDetails, CreditNote, Invoice, Organisation, Payment
from rules.identifiers import mask_iban

from .base import ReadOnlyModelView, date_formatter, money_formatter


def _choice_label(view, ctx, model, name):
    field = getattr(type(model), name)
    return dict(field.choices or []).get(getattr(model, name), getattr(model, name))


class InvoiceView(ReadOnlyModelView):
    column_list = ["number", "organisation", "dossier", "kind", "state", "period_start", "period_end", "total_ttc",
                   "submitted_at"]
    column_searchable_list = ["cfa_reference", "receipt_number"]
    column_filters = ["state", "kind", "submitted_at", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["number", "state", "total_ttc", "submitted_at", "period_start"]
    column_default_sort = ("id", True)
    column_exclude_list = ["draft", "submission_key"]
    column_details_exclude_list = ["draft", "submission_key"]
    column_export_exclude_list = ["draft", "submission_key"]
    column_formatters = {"total_ttc": money_formatter, "total_ht": money_formatter, "state": _choice_label,
                         "kind": _choice_label, "period_start": date_formatter, "period_end": date_formatter,
                         "number": lambda v, c, m, n: m.display_number}
    column_formatters_export = {"state": _choice_label, "kind": _choice_label}
    column_labels = {"number": "N° de facture", "organisation": "CFA", "dossier": "Dossier", "kind": "Type",
                     "state": "État", "period_start": "Début de période", "period_end": "Fin de période",
                     "total_ht": "Total HT", "total_ttc": "Total TTC", "submitted_at": "Déposée le",
                     "cfa_reference": "Référence CFA", "cfa_invoice_date": "Date de la facture CFA",
                     "hold_reason": "Motif de mise en attente", "rejection_reason": "Motif de rejet",
                     "receipt_number": "N° de récépissé", "validated_at": "Validée le", "paid_at": "Payée le",
                     "terms_accepted_at": "CGU acceptées le", "created_by": "Déposée par", "created_at": "Créée le"}

    def get_query(self):
        return Invoice.select(Invoice, Organisation).join(Organisation)


class CreditNoteView(ReadOnlyModelView):
    column_list = ["number", "organisation", "dossier", "amount", "amount_settled", "reason", "settlement_mode",
                   "state", "issued_on", "due_date"]
    column_filters = ["state", "reason", "settlement_mode", "issued_on", FilterEqual(Organisation.siret, "SIRET de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["number", "amount", "state", "issued_on", "due_date"]
    column_default_sort = ("number", True)
    column_formatters = {"amount": money_formatter, "amount_settled": money_formatter, "state": _choice_label,
                         "reason": _choice_label, "issued_on": date_formatter, "due_date": date_formatter,
                         "number": lambda v, c, m, n: m.display_number}
    column_labels = {"number": "N° pro forma", "organisation": "CFA", "dossier": "Dossier", "amount": "Montant",
                     "amount_settled": "Montant réglé", "reason": "Motif", "settlement_mode": "Mode de règlement",
                     "state": "État", "issued_on": "Émis le", "due_date": "Échéance", "settled_at": "Réglé le"}

    def get_query(self):
        return CreditNote.select(CreditNote, Organisation).join(Organisation)


class PaymentView(ReadOnlyModelView):
    column_list = ["reference", "organisation", "date", "gross", "deductions", "net", "mode"]
    column_searchable_list = ["reference"]
    column_filters = ["date", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["reference", "date", "gross", "net"]
    column_default_sort = ("date", True)
    column_exclude_list = ["submission_key"]
    column_details_exclude_list = ["submission_key"]
    column_export_exclude_list = ["submission_key"]
    column_formatters = {"gross": money_formatter, "deductions": money_formatter, "net": money_formatter,
                         "date": date_formatter}
    column_labels = {"reference": "Référence", "organisation": "Bénéficiaire", "bank_details": "RIB",
                     "date": "Date", "mode": "Mode", "gross": "Montant brut", "deductions": "Avoirs déduits",
                     "net": "Montant versé", "created_by": "Enregistré par", "created_at": "Enregistré le"}

    def get_query(self):
        return Payment.select(Payment, Organisation).join(Organisation)


class BankDetailsView(ReadOnlyModelView):
    column_list = ["organisation", "iban", "bic", "holder", "third_party", "status", "entered_at", "reviewed_at"]
    column_filters = ["status", "third_party", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["status", "entered_at", "reviewed_at"]
    column_default_sort = ("entered_at", True)
    column_formatters = {"iban": lambda v, c, m, n: mask_iban(m.iban), "status": _choice_label}
    column_formatters_export = {"iban": lambda v, c, m, n: mask_iban(m.iban), "status": _choice_label}
    column_labels = {"organisation": "Organisme", "iban": "IBAN", "bic": "BIC", "holder": "Titulaire",
                     "third_party": "Tiers payeur", "status": "Statut", "refusal_reason": "Motif de refus",
                     "entered_by": "Saisi par", "entered_at": "Saisi le", "reviewed_by": "Examiné par",
                     "reviewed_at": "Examiné le"}

    def get_query(self):
        return BankDetails.select(BankDetails, Organisation).join(Organisation)


VIEWS = [
    (InvoiceView, Invoice, "Factures", "Facturation"),
    (CreditNoteView, CreditNote, "Avoirs", "Facturation"),
    (PaymentView, Payment, "Règlements", "Facturation"),
    (BankDetailsView, BankDetails, "Coordonnées bancaires", "Facturation"),
]
