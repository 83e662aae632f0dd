"""The CFA's answer to an invoice on hold: add the requested document (en_attente → en_traitement).

The invoice page itself (/portail/factures/<id>: lines, history, documents) is views/portal/invoices.py;
this module adds its "add a document" form.
"""
from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from access.web import get_invoice_or_404, require
from forms.billing import ComplianceDocumentForm
from models.states import InvoiceState
from workflows.documents import DocumentError, store_upload
from infrastructure.numbering import immediate_transaction
from workflows.invoice_workflow import InvoiceWorkflowError, answer_hold
from views.portal import bp


@bp.route("/factures/<int:invoice_id>/document", methods=("GET", "POST"))
@require("dossier.bill")
def invoice_add_document(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    form = ComplianceDocumentForm()
    error, status = None, 400
    if inv.state != InvoiceState.ON_HOLD:
        error = "Cette facture n'attend aucun document : elle n'est pas en attente de mise en conformité."
    elif form.validate_on_submit():
        try:
            with immediate_transaction():
                document = store_upload(form.document.data, inv.organisation, form.doc_type.data,
                                        dossier=inv.dossier, invoice=inv, user=current_user._get_current_object(),
                                        label="Le document")
                answer_hold(inv, document, user=current_user._get_current_object())
        except (DocumentError, InvoiceWorkflowError) as exc:
            error = str(exc)
            status = getattr(exc, "status", 400)
        else:
            flash("Document ajouté : votre facture repart en traitement à l'OPCO.", "success")
            return redirect(url_for("portal.invoice", invoice_id=inv.id))
    html = render_template("portal/billing/invoice_document.html", inv=inv, form=form, error=error)
    if error and form.is_submitted():
        return make_response(html, status)
    return html
