"""*Déposer une pièce complémentaire à la facture* (seed 004) on an open invoice; on hold, it is the answer
the OPCO asked for (en_attente → en_traitement).

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
from workflows.invoice_workflow import InvoiceWorkflowError, add_supplementary_document
from workflows.state_machines import INVOICE_SUPPLEMENT_STATES
from views.portal import bp


@bp.route("/factures/<int:invoice_id>/document", methods=("GET", "POST"))
@require("dossier.bill")
def invoice_add_document(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    form = ComplianceDocumentForm()
    error, status = None, 400
    on_hold = inv.state == InvoiceState.ON_HOLD
    if inv.state not in INVOICE_SUPPLEMENT_STATES:
        error = (f"Cette facture est « {InvoiceState.label_of(inv.state)} » : on ne peut plus y ajouter de pièce "
                 "(seulement en cours de traitement, en attente de mise en conformité ou validée).")
        status = 409
    elif form.is_submitted() and not form.validate():
        error = ("Choisissez un type de document dans la liste." if "doc_type" in form.errors
                 else "Formulaire expiré ou incomplet : rechargez la page et recommencez.")
    elif form.is_submitted():
        try:
            with immediate_transaction():
                document = store_upload(form.document.data, inv.organisation, form.doc_type.data,
                                        dossier=inv.dossier, invoice=inv, user=current_user._get_current_object(),
                                        label="Le document")
                add_supplementary_document(inv, document, user=current_user._get_current_object())
        except (DocumentError, InvoiceWorkflowError) as exc:
            error = str(exc)
            status = getattr(exc, "status", 400)
        else:
            flash("Document ajouté : votre facture repart en traitement à l'OPCO." if on_hold
                  else "Pièce complémentaire ajoutée à votre facture.", "success")
            return redirect(url_for("portal.invoice", invoice_id=inv.id))
    html = render_template("portal/billing/invoice_document.html", inv=inv, form=form, error=error,
                           open_states=INVOICE_SUPPLEMENT_STATES)
    if error and form.is_submitted():
        return make_response(html, status)
    return html
