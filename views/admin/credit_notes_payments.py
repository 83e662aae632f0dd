"""Back-office credit notes (issue within the computed overpayment, pro forma, settlement) and payments
(three steps: organisation, validated invoices, remittance to confirm)."""
import datetime as dt
from decimal import Decimal, InvalidOperation
import secrets

from flask import abort, flash, make_response, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike
from flask_login import current_user

from forms.billing import CreditNoteIssueForm, PaymentForm
from models import (CreditNote, Document, Dossier, Invoice, Organisation, Payment)
from models.states import InvoiceState
from models.organisation import SETTLEMENT_MODES
from rules.money import read_amount
from rules.identifiers import mask_iban
from workflows import bank_details as bank_service
from workflows import credit_notes as credit_service
from workflows import payments as payment_service
from infrastructure.formatting import montant
from infrastructure.pdf import render_pdf

from .base import ReadOnlyModelView
from infrastructure import clock

from .decisions import DecisionMixin, _pdf


class CreditNoteView(DecisionMixin, ReadOnlyModelView):
    simple_list_pager = True  # one row per dossier or more: no COUNT(*) per page
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
                      opco_iban=current_app.config["OPCO_IBAN"], opco_bic=current_app.config["OPCO_BIC"],
                      today=clock.today(),
                      generated_at=dt.datetime.now())


def remittance_pdf(payment):
    from flask import current_app
    data = payment_service.remittance(payment)
    return render_pdf("pdf/remittance.html", organisation=payment.organisation, bank=payment.bank_details,
                      mask_iban=mask_iban, opco_name=current_app.config["OPCO_NAME"],
                      opco_address=current_app.config["OPCO_ADDRESS"], generated_at=dt.datetime.now(), **data)


# --- payments ---------------------------------------------------------------------------------

class PaymentView(ReadOnlyModelView):
    simple_list_pager = True  # one row per dossier or more: no COUNT(*) per page
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
