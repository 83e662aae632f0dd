"""Back-office views of invoices, credit notes, payments and bank details.

Lists and exports are read-only; every state or money change is an action (list bulk action or
detail-page button, one code path in services/) reserved to a comptable or an admin.
"""
import datetime as dt
import re
import secrets
from decimal import Decimal, InvalidOperation

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from peewee import JOIN

from forms.billing import CreditNoteIssueForm, PaymentForm, ReasonForm
from models import (BankDetails, CreditNote, Document, Dossier, Invoice, InvoiceEvent, InvoiceLine, Organisation,
                    Payment)
from models.billing import INVOICE_STATES, LINE_NATURES
from models.states import InvoiceState
from models.organisation import SETTLEMENT_MODES
from rules.money import read_amount
from rules.identifiers import format_iban, mask_iban
from workflows import bank_details as bank_service
from workflows import credit_notes as credit_service
from workflows import invoice_workflow as invoice_service
from workflows import payments as payment_service
from views.downloads import attachment_response, document_response
from infrastructure.formatting import montant
from infrastructure.numbering import retry_when_busy
from infrastructure.pdf import render_pdf
from workflows.state_machines import BANK_DETAILS, INVOICE

from .base import ReadOnlyModelView
from infrastructure import clock

MAX_BULK = 200


def _pdf(data, filename):
    """Same header as the portal: a CFA's file name ("€", "œ", quotes) is not Latin-1, so it goes in filename*."""
    return attachment_response(data, filename)


class DecisionMixin:
    """Actions (list and detail buttons) reserved to `decision_permission`; reasons asked on a form page.

    `decisions` maps an action name to (button label, needs_reason, service callable(obj, reason, user)).
    """

    decisions = {}
    decision_permission = "invoice.decide"
    details_template = "admin/billing_details.html"
    list_template = "admin/billing_list.html"
    errors = (ValueError,)

    def is_action_allowed(self, name):
        if name in self.decisions:
            return self.allowed(self.decision_permission)
        return super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        if request.form.get("action") in self.decisions and not self.allowed(self.decision_permission):
            abort(403)
        return super().action_view()

    def detail_buttons(self, model):
        """(name, label, needs_reason) offered on the details page of `model`."""
        if not self.allowed(self.decision_permission):
            return []
        return [(name, label, needs) for name, (label, needs, _) in self.decisions.items()
                if self.decision_offered(name, model)]

    def decision_offered(self, name, model):
        return True

    def _apply(self, name, ids, reason=""):
        """Run one decision on each id, each in its own transaction; flash what was done per row."""
        label = self.decisions[name][0]
        try:
            ids = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        if len(ids) > MAX_BULK:
            flash(f"{MAX_BULK} éléments au plus par action : seuls les {MAX_BULK} premiers sont traités.", "warning")
            ids = ids[:MAX_BULK]
        outcomes = self.run_decision(name, list(dict.fromkeys(ids)), reason, current_user._get_current_object())
        done = sum(1 for ok, _ in outcomes if ok)
        if len(outcomes) > 1:
            flash(f"{label} : {done} élément(s) traité(s), {len(outcomes) - done} non traité(s).", "info")
        elif done:
            flash(f"{label} : {done} élément(s) traité(s).", "success")
        for ok, line in outcomes:
            if ok and len(outcomes) > 1:
                flash(line, "success")
            elif not ok:
                flash(line, "error")
        return done, [line for ok, line in outcomes if not ok]

    def run_decision(self, name, ids, reason, user):
        """(ok, French line) per id. The ids are read first: no write runs while a query is being iterated."""
        service = self.decisions[name][2]
        objects = {obj.id: obj for obj in self.model.select().where(self.model.id.in_(ids))}
        outcomes = []
        for obj_id in ids:
            obj = objects.get(obj_id)
            if obj is None:
                outcomes.append((False, f"#{obj_id} : introuvable"))
                continue
            try:
                retry_when_busy(lambda: service(obj, reason, user))
            except self.errors as exc:
                outcomes.append((False, str(exc)))
            else:
                outcomes.append((True, f"{obj} : fait"))
        return outcomes

    def _run_action(self, name, ids):
        if not self.allowed(self.decision_permission):
            abort(403)
        _, needs_reason, _ = self.decisions[name]
        if needs_reason:
            return redirect(url_for(".reason_view", decision=name, ids=",".join(str(i) for i in ids),
                                    url=get_redirect_target() or self.get_url(".index_view")))
        self._apply(name, ids)
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    @expose("/motif/<decision>/", methods=("GET", "POST"))
    def reason_view(self, decision):
        """The confirmation page of a decision that needs a reason shown to the CFA."""
        name = decision
        if name not in self.decisions or not self.decisions[name][1]:
            abort(404)
        if not self.allowed(self.decision_permission):
            abort(403)
        form = ReasonForm()
        if request.method == "GET":
            form.ids.data = request.args.get("ids", "")
        try:
            ids = [int(i) for i in (form.ids.data or "").split(",") if i.strip()]
        except ValueError:
            abort(400)
        if not ids:
            abort(400)
        return_url = get_redirect_target() or self.get_url(".index_view")
        if form.validate_on_submit():
            self._apply(name, ids, form.reason.data)
            return redirect(return_url)
        objects = list(self.model.select().where(self.model.id.in_(ids[:MAX_BULK])))
        html = self.render("admin/billing_reason.html", form=form, label=self.decisions[name][0], objects=objects,
                           return_url=return_url)
        return make_response(html, 400 if request.method == "POST" else 200)

    def extras(self, model):
        """Extra sections of the details page (lines, history, documents…)."""
        return {}


# --- invoices ---------------------------------------------------------------------------------

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
    column_list = ["number", "organisation", "dossier", "kind", "state", "period_start", "period_end", "total_ttc",
                   "submitted_at"]
    # Labels of the search box; the search itself is InvoiceSearch (see init_search).
    column_searchable_list = ["number", "dossier", "apprentice", "organisation", "cfa_reference", "receipt_number"]
    column_filters = ["state", "kind", "submitted_at", FilterEqual(Organisation.siret, "SIRET de l'organisme"),
                      FilterLike(Organisation.name, "Nom de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["number", "state", "total_ttc", "submitted_at", "period_start"]
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
        return (Invoice.select(Invoice, Organisation, Dossier).join(Organisation).switch(Invoice)
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

class CreditNoteView(DecisionMixin, ReadOnlyModelView):
    decision_permission = "credit_note.manage"
    column_list = ["number", "organisation", "dossier", "amount", "amount_settled", "reason", "settlement_mode",
                   "state", "issued_on", "due_date"]
    column_filters = ["state", "reason", "settlement_mode", "issued_on",
                      FilterEqual(Organisation.siret, "SIRET de l'organisme")]
    joined_models = (Organisation,)
    column_sortable_list = ["number", "amount", "state", "issued_on", "due_date"]
    column_default_sort = ("number", True)
    column_choices = {"settlement_mode": SETTLEMENT_MODES}
    column_formatters = {"number": lambda v, c, m, n: m.display_number}
    column_labels = {"number": "N° pro forma", "organisation": "CFA", "dossier": "Dossier", "amount": "Montant",
                     "amount_settled": "Montant réglé", "reason": "Motif", "settlement_mode": "Mode de règlement",
                     "state": "État", "issued_on": "Émis le", "due_date": "Échéance", "settled_at": "Réglé le",
                     "reason_detail": "Motif détaillé",
                     "created_at": "Créé le"}
    errors = (credit_service.CreditNoteError,)
    decisions = {
        "marquer_rembourse": ("Remboursement reçu", False,
                              lambda note, reason, user: credit_service.mark_refunded(note, user)),
    }

    def get_query(self):
        return (CreditNote.select(CreditNote, Organisation, Dossier).join(Organisation).switch(CreditNote)
                .join(Dossier, on=(CreditNote.dossier == Dossier.id)))

    def decision_offered(self, name, model):
        return model.settlement_mode == "refund" and model.state in credit_service.OPEN_STATES

    @action("marquer_rembourse", "Marquer remboursé", "Le virement de remboursement a-t-il bien été reçu ?")
    def action_marquer_rembourse(self, ids):
        return self._run_action("marquer_rembourse", ids)

    def list_links(self):
        if self.allowed("credit_note.manage"):
            return [(self.get_url(".issue_view"), "Émettre un avoir")]
        return []

    def extras(self, model):
        return {"pdf_url": self.get_url(".pro_forma", id=model.id),
                "documents": list(Document.select().where(Document.credit_note == model).order_by(Document.id)),
                "deductions": list(model.deductions)}

    @expose("/pro-forma/<int:id>.pdf")
    def pro_forma(self, id):
        note = CreditNote.get_or_none(CreditNote.id == id) or abort(404)
        return _pdf(credit_note_pdf(note), f"{note.display_number}.pdf")

    @expose("/emettre/", methods=("GET", "POST"))
    def issue_view(self):
        """Issue a credit note by hand: for what the dossier's balance shows as paid beyond what is due."""
        if not self.allowed("credit_note.manage"):
            abort(403)
        form = CreditNoteIssueForm()
        figures = None
        if form.is_submitted():
            dossier = Dossier.get_or_none(Dossier.number == (form.dossier_number.data or "").strip())
            if dossier is not None:
                paid, due, credited, overpaid = credit_service.overpayment_of(dossier)
                figures = dict(dossier=dossier, paid=paid, due=due, credited=credited, overpaid=overpaid)
        if form.validate_on_submit():
            amount, typed = None, (form.amount.data or "").strip()
            try:
                amount = read_amount(typed) if typed else None
            except ValueError as exc:
                form.amount.errors.append(str(exc))
            if figures is None:
                form.dossier_number.errors.append("Aucun dossier ne porte ce numéro.")
            elif not form.confirm.data:
                form.confirm.errors.append("Cochez la case pour confirmer l'émission.")
            elif not form.amount.errors:
                try:
                    note = credit_service.issue_for_overpayment(figures["dossier"], form.reason.data,
                                                                form.reason_detail.data, amount=amount,
                                                                user=current_user._get_current_object())
                except credit_service.CreditNoteError as exc:
                    form.amount.errors.append(str(exc))
                else:
                    flash(f"Avoir {note.display_number} de {montant(note.amount)} émis.", "success")
                    return redirect(self.get_url(".details_view", id=note.id))
        html = self.render("admin/billing_credit_note_issue.html", form=form, figures=figures)
        return make_response(html, 400 if request.method == "POST" else 200)


def credit_note_pdf(note):
    from flask import current_app
    return render_pdf("pdf/credit_note.html", note=note, organisation=note.organisation, dossier=note.dossier,
                      opco_name=current_app.config["OPCO_NAME"], opco_address=current_app.config["OPCO_ADDRESS"],
                      opco_iban=current_app.config["OPCO_IBAN"], today=clock.today(),
                      generated_at=dt.datetime.now())


def remittance_pdf(payment):
    from flask import current_app
    data = payment_service.remittance(payment)
    return render_pdf("pdf/remittance.html", organisation=payment.organisation, bank=payment.bank_details,
                      mask_iban=mask_iban, opco_name=current_app.config["OPCO_NAME"],
                      opco_address=current_app.config["OPCO_ADDRESS"], generated_at=dt.datetime.now(), **data)


# --- payments ---------------------------------------------------------------------------------

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
    column_formatters = {"mode": lambda v, c, m, n: (m.mode or "").capitalize()}
    column_labels = {"reference": "Référence", "organisation": "Bénéficiaire", "bank_details": "RIB",
                     "date": "Date", "mode": "Mode", "gross": "Montant brut", "deductions": "Avoirs déduits",
                     "net": "Montant versé", "created_by": "Enregistré par", "created_at": "Enregistré le"}
    details_template = "admin/billing_details.html"
    list_template = "admin/billing_list.html"

    def get_query(self):
        return Payment.select(Payment, Organisation).join(Organisation)

    def detail_buttons(self, model):
        return []

    def extras(self, model):
        data = payment_service.remittance(model)
        return {"pdf_url": self.get_url(".remittance_view", id=model.id), "payment_lines": data["lines"],
                "deductions": data["deductions"]}

    def list_links(self):
        if self.allowed("payment.record"):
            return [(self.get_url(".record_view"), "Enregistrer un règlement")]
        return []

    @expose("/avis/<int:id>.pdf")
    def remittance_view(self, id):
        payment = Payment.get_or_none(Payment.id == id) or abort(404)
        return _pdf(remittance_pdf(payment), f"avis-de-paiement-{payment.reference}.pdf")

    @expose("/enregistrer/", methods=("GET", "POST"))
    def record_view(self):
        """Enregistrer un règlement in three steps: the organisation, its validated invoices (none ticked),
        then the remittance to confirm; only the confirmation records anything."""
        if not self.allowed("payment.record"):
            abort(403)
        form = PaymentForm()
        org_id = request.values.get("organisation", type=int)
        organisation = Organisation.get_or_none(Organisation.id == org_id) if org_id else None
        if organisation is None:
            if request.method == "POST":
                abort(400)
            candidates = (Organisation.select().join(Invoice).where(Invoice.state == InvoiceState.VALIDATED)
                          .group_by(Organisation.id).order_by(Organisation.name))
            return self.render("admin/billing_payment_choose.html", organisations=list(candidates))
        invoices = payment_service.payable_invoices(organisation)
        form.invoices.choices = [(inv.id, inv.display_number) for inv in invoices]
        bank = bank_service.approved_bank_details(organisation)
        context = dict(form=form, organisation=organisation, invoices=invoices, bank=bank, mask_iban=mask_iban,
                       error=None)
        if request.method == "GET":
            form.organisation.data = str(organisation.id)
            form.submission_key.data = secrets.token_urlsafe(24)
            form.invoices.data = []
            form.date.data = clock.today()
        elif form.validate_on_submit() and not request.form.get("back"):
            chosen = [inv for inv in invoices if inv.id in form.invoices.data]
            if form.confirm.data == "1":
                try:
                    payment, created = payment_service.record_payment(
                        organisation, form.invoices.data, form.submission_key.data,
                        user=current_user._get_current_object(),
                        date=form.date.data,
                        expected_net=_decimal_or_none(form.expected_net.data))
                except payment_service.PaymentError as exc:
                    context["error"] = str(exc)
                else:
                    if created:
                        flash(f"Règlement {payment.reference} enregistré : {montant(payment.net)} versés "
                              f"({montant(payment.gross)} facturés, {montant(payment.deductions)} d'avoirs déduits).",
                              "success")
                    else:
                        flash(f"Ce règlement a déjà été enregistré ({payment.reference}) : rien n'a été créé de plus.",
                              "info")
                    return redirect(self.get_url(".details_view", id=payment.id))
            return self._confirmation(context, chosen, status=400 if context["error"] else 200)
        else:
            # The same key came back after a success (double click on a stale page): show the payment.
            existing = Payment.get_or_none(Payment.submission_key == (form.submission_key.data or ""))
            if existing:
                flash(f"Ce règlement a déjà été enregistré ({existing.reference}).", "info")
                return redirect(self.get_url(".details_view", id=existing.id))
        context["credit_notes"] = credit_service.deductible_credit_notes(organisation)
        html = self.render("admin/billing_payment_record.html", **context)
        return make_response(html, 400 if form.errors else 200)

    def _confirmation(self, context, chosen, status):
        """The remittance the payment would make (nothing written): invoices, dossiers, deductions, net, RIB."""
        plan = payment_service.preview(context["organisation"], chosen)
        dossier_ids = {dossier_id for _, dossier_id, _ in plan["lines"]}
        dossiers = {d.id: d for d in Dossier.select().where(Dossier.id.in_(dossier_ids))} if dossier_ids else {}
        context["form"].expected_net.data = str(plan["net"])
        html = self.render("admin/billing_payment_confirm.html", plan=plan, dossiers=dossiers, chosen=chosen,
                           **context)
        return make_response(html, status)


def _decimal_or_none(text):
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return Decimal("-1")  # tampered with: never equal to a real net, so the remittance is shown again


# --- bank details -----------------------------------------------------------------------------

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


VIEWS = [
    (InvoiceView, Invoice, "Factures", "Facturation"),
    (CreditNoteView, CreditNote, "Avoirs", "Facturation"),
    (PaymentView, Payment, "Règlements", "Facturation"),
    (BankDetailsView, BankDetails, "Coordonnées bancaires", "Facturation"),
]
