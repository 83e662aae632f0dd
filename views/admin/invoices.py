"""Back-office invoices: search by displayed number, dossier, apprentice or CFA; decisions through the INVOICE
table; the CFA's pieces downloadable (logged)."""
import re

from flask import abort
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike
from flask_login import current_user
from peewee import JOIN

from models import (Document, Dossier, Invoice, InvoiceEvent, InvoiceLine, Organisation)
from models.billing import INVOICE_STATES, LINE_NATURES
from workflows import invoice_workflow as invoice_service
from views.downloads import document_response
from workflows.state_machines import INVOICE

from .base import ReadOnlyModelView, no_index

from .decisions import DecisionMixin


DISPLAYED_NUMBER = re.compile(r"^F?0*(\d{1,9})$", re.IGNORECASE)


class InvoiceSearch:
    """One search term of the invoice list, as Flask-Admin's peewee search asks it (``field ** term``).

    A term matches the displayed number (``F0000081``, ``81``), the CFA's reference, the receipt number,
    the CFA (name or SIRET), and any dossier the invoice bills (number or apprentice), mass invoices included.
    """

    model = Invoice  # no join to add: get_query() already joins the CFA

    def __pow__(self, pattern):
        raw = pattern.strip("%")
        condition = ((Invoice.cfa_reference ** pattern) | (Invoice.receipt_number ** pattern)
                     | (Organisation.name ** pattern) | (Organisation.siret ** pattern))
        number = DISPLAYED_NUMBER.match(raw)
        if number:
            condition |= Invoice.number == int(number.group(1))
        billed = (InvoiceLine.select(InvoiceLine.invoice).join(Dossier, on=(InvoiceLine.dossier == Dossier.id))
                  .where((Dossier.number ** pattern) | (Dossier.apprentice_name ** pattern)))
        return condition | Invoice.id.in_(billed)


class InvoiceView(DecisionMixin, ReadOnlyModelView):
    simple_list_pager = True  # no COUNT(*) over hundreds of thousands of invoices on every page
    column_list = ["number", "organisation", "dossier", "kind", "state", "period_start", "period_end", "total_ttc",
                   "submitted_at"]
    # Labels of the search box; the search itself is InvoiceSearch (see init_search).
    column_searchable_list = ["number", "dossier", "apprentice", "organisation", "cfa_reference", "receipt_number"]
    column_filters = ["state", "kind", "submitted_at", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["number", "submitted_at"]  # the indexed ones (state: a filter)
    column_default_sort = ("id", True)
    column_exclude_list = ["draft", "submission_key"]
    column_details_exclude_list = ["draft", "submission_key"]
    column_export_exclude_list = ["draft", "submission_key"]
    column_formatters = {"number": lambda v, c, m, n: m.display_number}
    column_labels = {"number": "N° de facture", "organisation": "CFA", "dossier": "Dossier", "kind": "Type",
                     "apprentice": "Apprenti(e)", "state": "État", "period_start": "Début de période",
                     "period_end": "Fin de période",
                     "total_ht": "Total HT", "total_ttc": "Total TTC", "submitted_at": "Déposée le",
                     "cfa_reference": "Référence CFA", "cfa_invoice_date": "Date de la facture CFA",
                     "hold_reason": "Motif de mise en attente", "rejection_reason": "Motif de rejet",
                     "receipt_number": "N° de récépissé", "validated_at": "Validée le", "paid_at": "Payée le",
                     "terms_accepted_at": "CGU acceptées le", "created_by": "Déposée par", "created_at": "Créée le"}
    errors = (invoice_service.InvoiceWorkflowError,)
    decisions = {
        "valider": ("Valider (bon à payer)", False, lambda inv, reason, user: invoice_service.validate(inv, user)),
        "mettre_en_attente": ("Mettre en attente de mise en conformité", True,
                              lambda inv, reason, user: invoice_service.put_on_hold(inv, reason, user)),
        "rejeter": ("Rejeter", True, lambda inv, reason, user: invoice_service.reject(inv, reason, user)),
    }
    offered_from = {name: INVOICE.transitions[name].from_states for name in decisions}

    def get_query(self):
        return (Invoice.select(Invoice, Organisation, Dossier)
                .join(Organisation, on=(no_index(Invoice.organisation) == Organisation.id), attr="organisation")
                .switch(Invoice)
                .join(Dossier, JOIN.LEFT_OUTER, on=(Invoice.dossier == Dossier.id)))

    def init_search(self):
        self._search_fields = [InvoiceSearch()]
        return True

    def decision_offered(self, name, model):
        return model.state in self.offered_from[name]

    def run_decision(self, name, ids, reason, user):
        return [(o.ok, o.line) for o in invoice_service.decide(name, ids, user, reason)]

    @action("valider", "Valider (bon à payer)", "Valider les factures sélectionnées ?")
    def action_valider(self, ids):
        return self._run_action("valider", ids)

    @action("mettre_en_attente", "Mettre en attente")
    def action_mettre_en_attente(self, ids):
        return self._run_action("mettre_en_attente", ids)

    @action("rejeter", "Rejeter")
    def action_rejeter(self, ids):
        return self._run_action("rejeter", ids)

    def extras(self, model):
        return {"lines": list(model.lines.order_by(InvoiceLine.id)),
                "events": list(model.events.order_by(InvoiceEvent.at, InvoiceEvent.id)),
                "natures": dict(LINE_NATURES), "states": dict(INVOICE_STATES),
                "documents": list(Document.select().where(Document.invoice == model).order_by(Document.id)),
                "document_endpoint": ".document_view"}

    @expose("/document/<int:document_id>")
    def document_view(self, document_id):
        """The CFA's invoice, certificate or receipt of an invoice, downloaded by staff (logged)."""
        document = Document.get_or_none((Document.id == document_id) & Document.invoice.is_null(False)) or abort(404)
        return document_response(document, user=current_user._get_current_object())


# --- credit notes -----------------------------------------------------------------------------
