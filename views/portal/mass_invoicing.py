"""Mass invoicing in three steps (seed 002): dossiers and fee types → installments and annex costs → invoice PDF.

Every step can be saved as a draft (action=save) and resumed from the list; the draft is an
unnumbered Invoice (brouillon, mass). Access: a billing right, the dossiers of the scope, and
each dossier's own billing right (`can(scope, "dossier.bill", dossier)`).
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from access import scope as scoped
from access.web import current_organisation, current_scope, get_invoice_or_404, require
from forms.mass_invoicing import MassInvoiceSendForm
from models import Invoice, InvoiceLine
from models.states import InvoiceState
from workflows import mass_invoicing as mass
from forms.portal import MAX_SUPPORTING_FILES
from workflows.documents import DocumentError, read_pdf_upload, read_pdf_uploads
from views.portal import bp
from infrastructure import clock

STEP_ENDPOINTS = {1: "portal.mass_invoicing_dossiers", 2: "portal.mass_invoicing_installments",
                  3: "portal.mass_invoicing_send"}


def _draft_or_404(invoice_id):
    invoice = get_invoice_or_404(invoice_id)
    if invoice.kind != "mass":
        abort(404)
    return invoice


def _user():
    return current_user._get_current_object()


def _step1(invoice=None, status=200, error=None, chosen=None, fees=None):
    today = clock.today()
    search = request.args.get("q", "")
    rows = mass.billable_dossiers(current_scope(), today, search)
    data = mass.draft_of(invoice) if invoice is not None else mass.empty_draft()
    drafts = list(scoped.invoices(current_scope()).where((Invoice.kind == "mass") & (Invoice.state == InvoiceState.DRAFT))
                  .order_by(Invoice.created_at.desc()).limit(20))
    sent = list(scoped.invoices(current_scope()).where((Invoice.kind == "mass") & (Invoice.state != InvoiceState.DRAFT))
                .order_by(Invoice.submitted_at.desc()).limit(20))
    return render_template("portal/billing/mass_step1.html", invoice=invoice, rows=rows, search=search,
                           chosen=set(chosen if chosen is not None else data["dossiers"]),
                           fees=set(fees if fees is not None else data["fees"]), fee_types=mass.FEE_TYPES,
                           drafts=drafts, sent=sent, error=error, state_labels=dict(Invoice.state.choices)), status


def _post_step1(invoice):
    today = clock.today()
    fees = request.form.getlist("fees")
    try:
        chosen = [int(x) for x in request.form.getlist("dossiers")]
    except ValueError:
        return _step1(invoice, 400, "Choix de dossier invalide.")
    allowed = {d.id for d, _ in mass.billable_dossiers(current_scope(), today)}
    going_on = request.form.get("action") != "save"
    try:
        invoice = mass.save_step1(invoice, current_organisation(), fees, chosen, allowed, _user(), going_on)
    except mass.MassInvoiceError as exc:
        return _step1(invoice, 400, str(exc), chosen=chosen, fees=fees)
    if going_on:
        return redirect(url_for("portal.mass_invoicing_installments", invoice_id=invoice.id))
    flash("Brouillon enregistré : vous pourrez reprendre cette facturation plus tard.", "success")
    return redirect(url_for("portal.mass_invoicing_dossiers", invoice_id=invoice.id))


@bp.route("/facturation", methods=["GET", "POST"])
@require("dossier.bill")
def mass_invoicing():
    """Step 1 of a new mass invoicing, with the drafts to resume and the invoices already sent."""
    if request.method == "POST":
        return _post_step1(None)
    return _step1()


@bp.route("/facturation/<int:invoice_id>")
@require("dossier.bill")
def mass_invoicing_resume(invoice_id):
    invoice = _draft_or_404(invoice_id)
    if invoice.state != InvoiceState.DRAFT:
        return redirect(url_for("portal.invoices"))
    return redirect(url_for(STEP_ENDPOINTS.get(mass.draft_of(invoice)["step"], STEP_ENDPOINTS[1]),
                            invoice_id=invoice.id))


def _refuse_sent(invoice):
    if invoice.state != InvoiceState.DRAFT:
        flash(f"La facture {invoice.display_number} a déjà été envoyée.", "warning")
        return redirect(url_for("portal.mass_invoicing"))
    return None


@bp.route("/facturation/<int:invoice_id>/dossiers", methods=["GET", "POST"])
@require("dossier.bill")
def mass_invoicing_dossiers(invoice_id):
    invoice = _draft_or_404(invoice_id)
    sent = _refuse_sent(invoice)
    if sent:
        return sent
    if request.method == "POST":
        return _post_step1(invoice)
    return _step1(invoice)


def _step2(invoice, choices, status=200, error=None):
    data = mass.draft_of(invoice)
    return render_template("portal/billing/mass_step2.html", invoice=invoice, choices=choices, fees=set(data["fees"]),
                           annex_fields=mass.ANNEX_FIELDS, error=error), status


@bp.route("/facturation/<int:invoice_id>/echeances", methods=["GET", "POST"])
@require("dossier.bill")
def mass_invoicing_installments(invoice_id):
    invoice = _draft_or_404(invoice_id)
    sent = _refuse_sent(invoice)
    if sent:
        return sent
    today = clock.today()
    if request.method == "GET":
        return _step2(invoice, mass.step2_choices(invoice, today, allowed=scoped.billable_dossier_ids(current_scope())))
    choices = mass.step2_choices(invoice, today, form=request.form, allowed=scoped.billable_dossier_ids(current_scope()))
    if any(c.errors for c in choices):
        return _step2(invoice, choices, 400, "Corrigez les valeurs signalées.")
    if request.form.get("action") == "save":
        mass.save_step2(invoice, choices, 2)
        flash("Brouillon enregistré : vous pourrez reprendre cette facturation plus tard.", "success")
        return redirect(url_for("portal.mass_invoicing_installments", invoice_id=invoice.id))
    if request.form.get("action") == "back":
        mass.save_step2(invoice, choices, 1)
        return redirect(url_for("portal.mass_invoicing_dossiers", invoice_id=invoice.id))
    mass.save_step2(invoice, choices, 2)
    if not mass.check_choices(choices, today):
        return _step2(invoice, choices, 400, "La facture ne peut pas être acceptée : voyez les motifs par dossier.")
    mass.save_step2(invoice, choices, 3)
    return redirect(url_for("portal.mass_invoicing_send", invoice_id=invoice.id))


def _step3(invoice, form, status=200, error=None, reasons=None):
    today = clock.today()
    choices = mass.step2_choices(invoice, today, allowed=scoped.billable_dossier_ids(current_scope()))
    lines = [(c.dossier, mass.lines_of(c, today)) for c in choices]
    return render_template("portal/billing/mass_step3.html", invoice=invoice, form=form, lines=lines,
                           total=mass.total_of(choices, today), error=error, reasons=reasons or {},
                           vat_liable=current_organisation().vat_liable,
                           nature_labels=dict(InvoiceLine.nature.choices)), status


@bp.route("/facturation/<int:invoice_id>/envoi", methods=["GET", "POST"])
@require("dossier.bill")
def mass_invoicing_send(invoice_id):
    invoice = _draft_or_404(invoice_id)
    sent = _refuse_sent(invoice)
    if sent:
        return sent
    data = mass.draft_of(invoice)
    if request.method == "GET":
        form = MassInvoiceSendForm(data={"cfa_reference": data.get("cfa_reference", ""),
                                         "cfa_invoice_date": data.get("cfa_invoice_date", ""),
                                         "comment": data.get("comment", "")})
        form.amount_ht.raw, form.amount_ttc.raw = data.get("amount_ht", ""), data.get("amount_ttc", "")
        return _step3(invoice, form)
    form = MassInvoiceSendForm()
    if request.form.get("action") == "save":
        mass.save_step3(invoice, form.cfa_reference.data or "", form.cfa_invoice_date.raw or "",
                        getattr(form.amount_ht, "raw", ""), getattr(form.amount_ttc, "raw", ""),
                        form.comment.data or "")
        flash("Brouillon enregistré : vous pourrez reprendre cette facturation plus tard.", "success")
        return redirect(url_for("portal.mass_invoicing_send", invoice_id=invoice.id))
    if not form.validate():
        return _step3(invoice, form, 400, "Corrigez les champs signalés.")
    try:
        pdf = read_pdf_upload(request.files.get("document"), label="La facture (PDF)")
        supporting = read_pdf_uploads(request.files.getlist(form.supporting_pdfs.name), maximum=MAX_SUPPORTING_FILES)
    except DocumentError as exc:
        return _step3(invoice, form, exc.status, str(exc))
    vat_liable = current_organisation().vat_liable
    try:
        invoice = mass.send(invoice, form.cfa_reference.data.strip(), form.cfa_invoice_date.data, pdf, _user(),
                            terms_accepted=bool(form.terms.data), allowed=scoped.billable_dossier_ids(current_scope()),
                            amount_ht=form.amount_ht.data, amount_ttc=form.amount_ttc.data if vat_liable else None,
                            comment=(form.comment.data or "").strip(), supporting=supporting)
    except mass.MassInvoiceRefused as refused:
        return _step3(invoice, form, 400, "La facture est refusée : aucun dossier n'a été facturé.", refused.reasons)
    except mass.MassInvoiceError as exc:
        return _step3(invoice, form, 400, str(exc))
    flash(f"Facture {invoice.display_number} transmise : elle est en cours de traitement.", "success")
    return redirect(url_for("portal.mass_invoicing"))
