"""Invoices of the scope (billing right): list with filters and export, invoice page, receipt download.

Kept small on purpose: the billing workflows extend invoice pages from their own modules.
"""
import operator
from functools import reduce

from flask import abort, render_template, request, url_for
from peewee import JOIN, SQL, Select

from access import scope as scoped
from access.web import current_scope, get_invoice_or_404, require
from models import Document, Dossier, Invoice, InvoiceEvent, InvoiceLine, db
from models.billing import INVOICE_STATES, LINE_NATURES
from views.downloads import document_response
from infrastructure.exports import csv_response, streamed_rows
from views.portal import bp

PER_PAGE = 50


def _filters():
    state = request.args.get("state", "")
    number = request.args.get("numero", "").strip()[:20]
    return {"state": state if state in dict(INVOICE_STATES) else "", "numero": number}


def _query(f, query=None):
    query = query if query is not None else Invoice.select(Invoice, Dossier)
    query = scoped.invoices(current_scope(), query.join(Dossier, JOIN.LEFT_OUTER))
    if f["state"]:
        query = query.where(Invoice.state == f["state"])
    if f["numero"]:
        digits = f["numero"].lstrip("Ff").lstrip("0")
        if digits.isascii() and digits.isdigit() and len(digits) <= 12:  # "³".isdigit() is true
            query = query.where(Invoice.number == int(digits))
        else:
            query = query.where(Dossier.number == f["numero"])
    return query.order_by(Invoice.id.desc())


def _page_ids(f, limit, after=None, before=None):
    """Ids of one keyset page, newest first: each organisation of the scope read on its (organisation, id)
    index from the cursor, the few ids merged (`organisation IN (a, b) ORDER BY id DESC` sorts them all)."""
    backwards = before is not None
    branches = []
    for organisation_id in scoped.organisation_ids(current_scope()):
        query = _query(f, Invoice.select(Invoice.id)).where(Invoice.organisation == organisation_id)
        if after is not None:
            query = query.where(Invoice.id < after)
        if backwards:
            query = query.where(Invoice.id > before)
        branches.append(query.order_by(Invoice.id.asc() if backwards else Invoice.id.desc()).limit(limit))
    if not branches:
        return []
    parts = [Select([branch.alias(f"part{i}")], [SQL("*")]) for i, branch in enumerate(branches)]
    merged = reduce(operator.add, parts).order_by(SQL('"id" ASC' if backwards else '"id" DESC')).limit(limit)
    ids = [row[0] for row in db.execute(merged).fetchall()]
    return ids[::-1] if backwards else ids


def _cursor_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


@bp.route("/factures")
@require("dossier.bill")
def invoices():
    """Keyset pages ("Suivant": `apres=<last id>`, "Précédent": `avant=<first id>`), no count: two queries
    for the page whatever the number of invoices."""
    f = _filters()
    after, before = _cursor_arg("apres"), _cursor_arg("avant")
    if after is not None:
        before = None
    ids = _page_ids(f, PER_PAGE + 1, after=after, before=before)
    more = len(ids) > PER_PAGE
    if before is not None:
        ids, has_previous, has_next = ids[-PER_PAGE:], more, True
    else:
        ids, has_previous, has_next = ids[:PER_PAGE], after is not None, more
    rows = list(Invoice.select(Invoice, Dossier).join(Dossier, JOIN.LEFT_OUTER)
                .where(Invoice.id.in_(ids or [-1])).order_by(Invoice.id.desc()))
    receipts = {d.invoice_id: d for d in scoped.documents(current_scope()).where(
        (Document.doc_type == "recepisse") & Document.invoice.in_([r.id for r in rows] or [-1]))}
    active = {k: v for k, v in f.items() if v}
    next_url = url_for("portal.invoices", apres=rows[-1].id, **active) if has_next and rows else None
    previous_url = url_for("portal.invoices", avant=rows[0].id, **active) if has_previous and rows else None
    return render_template("portal/invoices.html", rows=rows, next_url=next_url, previous_url=previous_url,
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
