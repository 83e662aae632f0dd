"""Back-office bank details: approval by a comptable other than the author, the whole IBAN only for those
who pay (masked for a conseiller)."""

from flask import abort
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike

from models import (BankDetails, Document, Organisation)
from rules.identifiers import format_iban, mask_iban
from workflows import bank_details as bank_service
from views.downloads import document_response
from workflows.state_machines import BANK_DETAILS

from .base import ReadOnlyModelView

from .decisions import DecisionMixin


def _bank_status(view, ctx, model, name):
    """The status with its date ("Remplacé le jj/mm/aaaa"): more than the status label alone."""
    return model.get_status_display()


IBAN_PERMISSION = "bank_details.read_iban"  # who pays needs the whole number; a conseiller sees it masked


def _iban_for_role(view, ctx, model, name):
    return format_iban(model.iban) if view.allowed(IBAN_PERMISSION) else mask_iban(model.iban)


def _iban_for_role_export(view, ctx, model, name):
    return model.iban if view.allowed(IBAN_PERMISSION) else mask_iban(model.iban)


class BankDetailsView(DecisionMixin, ReadOnlyModelView):
    decision_permission = "bank_details.review"
    column_list = ["organisation", "iban", "bic", "holder", "third_party", "status", "entered_at", "reviewed_at"]
    column_filters = ["status", "third_party", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["status", "entered_at", "reviewed_at"]
    column_default_sort = ("entered_at", True)
    column_formatters = {"iban": _iban_for_role, "status": _bank_status}
    column_formatters_export = {"iban": _iban_for_role_export, "status": _bank_status}
    column_labels = {"organisation": "Organisme", "iban": "IBAN", "bic": "BIC", "holder": "Titulaire",
                     "third_party": "Tiers payeur", "status": "Statut", "refusal_reason": "Motif de refus",
                     "entered_by": "Saisi par", "entered_at": "Saisi le", "reviewed_by": "Examiné par",
                     "reviewed_at": "Examiné le", "replaced_at": "Remplacé le"}
    errors = (bank_service.BankDetailsError,)
    decisions = {
        "approuver": ("Approuver le RIB", False, lambda bd, reason, user: bank_service.approve(bd, user)),
        "refuser": ("Refuser le RIB", True, lambda bd, reason, user: bank_service.refuse(bd, reason, user)),
    }

    def get_query(self):
        return BankDetails.select(BankDetails, Organisation).join(Organisation)

    def decision_offered(self, name, model):
        return model.status in BANK_DETAILS.transitions[name].from_states

    @action("approuver", "Approuver", "Approuver les RIB sélectionnés ? Les règlements iront sur ces comptes.")
    def action_approuver(self, ids):
        return self._run_action("approuver", ids)

    @action("refuser", "Refuser")
    def action_refuser(self, ids):
        return self._run_action("refuser", ids)

    def extras(self, model):
        docs = list(Document.select().where(Document.bank_details == model).order_by(Document.id))
        return {"documents": docs, "iban_full": model.iban if self.allowed(IBAN_PERMISSION) else None,
                "rib_url": self.get_url(".rib_view", id=model.id) if docs and self.allowed(IBAN_PERMISSION) else None,
                "bank_history": [(b, mask_iban(b.iban)) for b in bank_service.history(model.organisation_id)]}

    @expose("/rib/<int:id>.pdf")
    def rib_view(self, id):
        if not self.allowed(IBAN_PERMISSION):  # the scanned RIB shows the whole IBAN
            abort(403)
        doc = (Document.select().where(Document.bank_details == id).order_by(Document.id.desc()).first()
               or abort(404))
        return document_response(doc)
