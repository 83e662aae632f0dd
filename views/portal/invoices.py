"""Invoices of the scope (billing right): list with filters and export, invoice page, receipt download.

Kept small on purpose: the billing workflows extend invoice pages from their own modules.
"""
from flask import abort, render_template, request
from peewee import JOIN

from access import scope as scoped
from access.web import current_scope, get_invoice_or_404, require
from models import Document, Dossier, Invoice, InvoiceEvent, InvoiceLine
from models.billing import INVOICE_STATES, LINE_NATURES
from views.downloads import document_response
from infrastructure.exports import csv_response, streamed_rows
from views.portal import bp

PER_PAGE = 50


def _filters():
    state = request.args.get("state", "")
    number = request.args.get("numero", "").strip()[:20]
    return {"state": state if state in dict(INVOICE_STATES) else "", "numero": number}


def _query(f):
    query = scoped.invoices(current_scope(), Invoice.select(Invoice, Dossier).join(Dossier, JOIN.LEFT_OUTER))
    if f["state"]:
        query = query.where(Invoice.state == f["state"])
    if f["numero"]:
        digits = f["numero"].lstrip("Ff").lstrip("0")
        if digits.isascii() and digits.isdigit() and len(digits) <= 12:  # "³".isdigit() is true
            query = query.where(Invoice.number == int(digits))
        else:
            query = query.where(Dossier.number == f["numero"])
    return query.order_by(Invoice.id.desc())


@bp.route("/factures")
@require("dossier.bill")
def invoices():
    f = _filters()
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= (page or 0) <= 10_000 else 1
    rows = list(_query(f).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    receipts = {d.invoice_id: d for d in scoped.documents(current_scope()).where(
        (Document.doc_type == "recepisse") & Document.invoice.in_([r.id for r in rows] or [-1]))}
    return render_template("portal/invoices.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE, page=page,
                           filters=f, states=INVOICE_STATES, state_labels=dict(INVOICE_STATES), receipts=receipts)


@bp.route("/factures/export.csv")
@require("dossier.bill")
def invoices_csv():
    f = _filters()
    labels = dict(INVOICE_STATES)

    def rows():
        for inv in streamed_rows(_query(f)):
            yield [inv.display_number, inv.dossier.number if inv.dossier_id else "", labels.get(inv.state, inv.state),
                   inv.period_start, inv.period_end, inv.total_ttc, inv.receipt_number, inv.submitted_at]

    return csv_response("factures.csv", ["N° facture", "Dossier", "État", "Début de période", "Fin de période",
                                         "Montant TTC", "Récépissé", "Déposée le"], rows())


@bp.route("/factures/<int:invoice_id>")
@require("dossier.bill")
def invoice(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == inv.id).order_by(InvoiceLine.id))
    events = list(InvoiceEvent.select().where(InvoiceEvent.invoice == inv.id).order_by(InvoiceEvent.at, InvoiceEvent.id))
    documents = list(scoped.documents(current_scope()).where(Document.invoice == inv.id).order_by(Document.id))
    return render_template("portal/invoice.html", inv=inv, lines=lines, events=events, documents=documents,
                           state_labels=dict(INVOICE_STATES), natures=dict(LINE_NATURES))


@bp.route("/factures/<int:invoice_id>/recepisse")
@require("dossier.bill")
def invoice_receipt(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    receipt = scoped.documents(current_scope()).where((Document.invoice == inv.id) & (Document.doc_type == "recepisse")).first()
    if receipt is None:
        abort(404)
    return document_response(receipt)
