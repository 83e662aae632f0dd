"""Invoices of the scope (billing right): list with filters, sorts, tabs and exports, invoice page, receipt.

Kept small on purpose: the billing workflows extend invoice pages from their own modules.

The list (seed 002 *Factures enregistrées*, seed 004 *Mes factures*) reads keyset pages: each organisation of
the scope on its own (organisation, sort column, id) index from the cursor, the few rows merged here, so no
page sorts an organisation's invoices whatever their number. An invoice without an invoice date (a draft)
comes after the dated ones in both directions.
"""
import datetime as dt
from decimal import Decimal

from flask import abort, render_template, request, url_for
from peewee import JOIN, Tuple

from access import scope as scoped
from access.web import current_scope, get_invoice_or_404, require
from models import Document, Dossier, Invoice, InvoiceEvent, InvoiceLine, Payment, PaymentLine
from models.billing import INVOICE_KINDS, INVOICE_STATES, LINE_NATURES
from models.states import InvoiceState
from rules.money import to_cents
from views.downloads import document_response
from infrastructure.exports import csv_response, streamed_rows, xlsx_response
from views.portal import bp
from workflows.state_machines import INVOICE_SUPPLEMENT_STATES

PER_PAGE = 50
COUNT_CAP = 1000
TABS = [("", "Toutes les factures"), ("payees", "Payées")]
# sort key -> (column, nullable, label); "" is the default, newest first (the invoice numbers follow the ids)
SORTS = {"": (None, False, "N°"), "montant": (Invoice.total_ttc, False, "Montant TTC"),
         "date": (Invoice.cfa_invoice_date, True, "Date de facture")}


def _filters():
    state = request.args.get("state", "")
    number = request.args.get("numero", "").strip()[:20]
    kind = request.args.get("type", "")
    tab = request.args.get("onglet", "")
    sort = request.args.get("tri", "")
    order = request.args.get("ordre", "")
    return {"state": state if state in dict(INVOICE_STATES) else "", "numero": number,
            "type": kind if kind in dict(INVOICE_KINDS) else "", "onglet": tab if tab in dict(TABS) else "",
            "tri": sort if sort in SORTS else "", "ordre": "asc" if order == "asc" else ""}


def _query(f, query=None):
    """The scope's invoices with the filters (not the sort)."""
    query = query if query is not None else Invoice.select(Invoice, Dossier)
    query = scoped.invoices(current_scope(), query.join(Dossier, JOIN.LEFT_OUTER))
    if f["state"]:
        query = query.where(Invoice.state == f["state"])
    if f["onglet"] == "payees":
        query = query.where(Invoice.state == InvoiceState.PAID)
    if f["type"]:
        query = query.where(Invoice.kind == f["type"])
    if f["numero"]:
        digits = f["numero"].lstrip("Ff").lstrip("0")
        if digits.isascii() and digits.isdigit() and len(digits) <= 12:  # "³".isdigit() is true
            query = query.where(Invoice.number == int(digits))
        else:
            query = query.where(Dossier.number == f["numero"])
    return query


def _sorted(f, query):
    """`query` in the list's order, for the exports: what the pages show, one after the other."""
    column, nullable, _ = SORTS[f["tri"]]
    ascending = f["ordre"] == "asc"
    if column is None:
        return query.order_by(Invoice.id.asc() if ascending else Invoice.id.desc())
    direction = (lambda c: c.asc()) if ascending else (lambda c: c.desc())
    if nullable:  # the undated last, as on the pages
        return query.order_by(column.is_null(), direction(column), direction(Invoice.id))
    return query.order_by(direction(column), direction(Invoice.id))


# --- keyset pages --------------------------------------------------------------------------------------------

def _cursor_value(column, raw):
    """The sort value of a cursor as the database compares it (cents, ISO date), None for "no date"."""
    if raw == "":
        return None
    if column is Invoice.total_ttc:
        return int(raw) if raw.lstrip("-").isdigit() and len(raw) <= 15 else False
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        return False


def _cursor_arg(name, column):
    """(value, id) of a cursor `<id>` (default sort) or `<value>~<id>`; None when absent or unreadable."""
    text = request.args.get(name, "")[:40]
    value, sep, ident = text.rpartition("~")
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 12):
        return None
    if column is None:
        return (None, int(ident)) if not sep else None
    value = _cursor_value(column, value) if sep else False
    return None if value is False else (value, int(ident))


def _cursor_of(row, column):
    if column is None:
        return str(row.id)
    value = getattr(row, column.name)
    if value is None:
        return f"~{row.id}"
    return f"{to_cents(value) if isinstance(value, Decimal) else value.isoformat()}~{row.id}"


def _rank(column, ascending):
    """The list's order as a Python key over the (value, id) rows read from the database."""
    def key(row):
        value, ident = row
        if column is None:
            return (0, 0, ident if ascending else -ident)
        if value is None:
            return (1, 0, ident if ascending else -ident)
        if isinstance(value, Decimal):
            number = to_cents(value)
        else:
            number = (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])).toordinal()
        return (0, number if ascending else -number, ident if ascending else -ident)
    return key


def _branches(column, nullable, ascending, cursor, backwards):
    """The index range queries of one page for one organisation, [(where, order_by)], in the walk's order.

    The list's order is the dated rows by (column, id), then the undated ones by id, both in the chosen
    direction; a walk backwards ("Précédent") reads it reversed from the cursor.
    """
    upwards = ascending != backwards
    by_id = [Invoice.id.asc() if upwards else Invoice.id.desc()]

    def beyond(key, bound):
        return key > bound if upwards else key < bound

    if column is None:
        return [(None if cursor is None else beyond(Invoice.id, cursor[1]), by_id)]
    on_column = [column.asc(), Invoice.id.asc()] if upwards else [column.desc(), Invoice.id.desc()]
    dated, undated = column.is_null(False), column.is_null()
    if cursor is None:
        dated_branch, undated_branch = (dated, on_column), (undated, by_id)
    elif cursor[0] is None:  # the cursor is an undated row
        dated_branch = None if not backwards else (dated, on_column)
        undated_branch = (undated & beyond(Invoice.id, cursor[1]), by_id)
    else:
        dated_branch = (dated & beyond(Tuple(column, Invoice.id), Tuple(cursor[0], cursor[1])), on_column)
        undated_branch = None if backwards else (undated, by_id)
    if not nullable:
        undated_branch = None
    ordered = [undated_branch, dated_branch] if backwards else [dated_branch, undated_branch]
    return [branch for branch in ordered if branch is not None]


def _page_keys(f, limit, after=None, before=None):
    """(value, id) of one keyset page in the list's order: each organisation's index ranges, merged here."""
    column, nullable, _ = SORTS[f["tri"]]
    ascending = f["ordre"] == "asc"
    backwards = before is not None
    cursor = before if backwards else after
    fields = [Invoice.id] if column is None else [column, Invoice.id]
    found = []
    for organisation_id in scoped.organisation_ids(current_scope()):
        for where, order in _branches(column, nullable, ascending, cursor, backwards):
            query = _query(f, Invoice.select(*fields)).where(Invoice.organisation == organisation_id)
            if where is not None:
                query = query.where(where)
            rows = query.order_by(*order).limit(limit).tuples()
            found += [(None, row[0]) if column is None else (row[0], row[1]) for row in rows]
    rank = _rank(column, ascending)
    found = sorted(set(found), key=rank, reverse=backwards)[:limit]
    return found[::-1] if backwards else found


def _payment_references(invoice_ids):
    """{invoice id: [payment references]} in one query."""
    refs = {}
    if invoice_ids:
        for invoice_id, reference in (PaymentLine.select(PaymentLine.invoice, Payment.reference).join(Payment)
                                      .where(PaymentLine.invoice.in_(invoice_ids)).distinct()
                                      .order_by(Payment.reference).tuples()):
            refs.setdefault(invoice_id, []).append(reference)
    return refs


def _count(f):
    """(n, exact): the number of invoices of the filters, counted no further than COUNT_CAP + 1."""
    n = _query(f, Invoice.select(Invoice.id)).order_by().limit(COUNT_CAP + 1).count()
    return min(n, COUNT_CAP), n <= COUNT_CAP


@bp.route("/factures")
@require("dossier.bill")
def invoices():
    """Keyset pages ("Suivant": `apres=<cursor>`, "Précédent": `avant=<cursor>`) and a count capped at
    COUNT_CAP: a few indexed queries for the page whatever the number of invoices."""
    f = _filters()
    column = SORTS[f["tri"]][0]
    after, before = _cursor_arg("apres", column), _cursor_arg("avant", column)
    if after is not None:
        before = None
    keys = _page_keys(f, PER_PAGE + 1, after=after, before=before)
    more = len(keys) > PER_PAGE
    if before is not None:
        keys, has_previous, has_next = keys[-PER_PAGE:], more, True
    else:
        keys, has_previous, has_next = keys[:PER_PAGE], after is not None, more
    ids = [ident for _, ident in keys]
    by_id = {row.id: row for row in Invoice.select(Invoice, Dossier).join(Dossier, JOIN.LEFT_OUTER)
             .where(Invoice.id.in_(ids or [-1]))}
    rows = [by_id[i] for i in ids if i in by_id]
    receipts = {d.invoice_id: d for d in scoped.documents(current_scope()).where(
        (Document.doc_type == "recepisse") & Document.invoice.in_([r.id for r in rows] or [-1]))}
    active = {k: v for k, v in f.items() if v}
    next_url = url_for("portal.invoices", apres=_cursor_of(rows[-1], column), **active) if has_next and rows else None
    previous_url = (url_for("portal.invoices", avant=_cursor_of(rows[0], column), **active)
                    if has_previous and rows else None)
    count, exact = _count(f)

    def list_url(endpoint, **changes):
        """This list (or its export) with the filters, some changed; empty ones left out of the URL."""
        return url_for(endpoint, **{k: v for k, v in {**f, **changes}.items() if v})

    return render_template("portal/invoices.html", rows=rows, next_url=next_url, previous_url=previous_url,
                           filters=f, states=INVOICE_STATES, state_labels=dict(INVOICE_STATES), receipts=receipts,
                           kinds=INVOICE_KINDS, kind_labels=dict(INVOICE_KINDS), tabs=TABS, sorts=SORTS,
                           count=count, exact=exact, payment_refs=_payment_references(ids), list_url=list_url)


# --- exports -----------------------------------------------------------------------------------------------------

EXPORT_HEADER = ["N° facture", "Type", "Dossier", "Référence CFA", "Date de facture", "État", "Début de période",
                 "Fin de période", "Montant HT", "Montant TTC", "Reçue le", "Validée le", "Payée le",
                 "Référence règlement", "Récépissé"]
EXPORT_BATCH = 500


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _export_rows(f):
    """The filtered invoices in the list's order, typed (Decimal euros, dates), streamed by batches with their
    payment references read once per batch."""
    kinds, labels = dict(INVOICE_KINDS), dict(INVOICE_STATES)
    batch = []

    def flush(batch):
        refs = _payment_references([inv.id for inv in batch])
        for inv in batch:
            yield [inv.display_number, kinds.get(inv.kind, inv.kind), inv.dossier.number if inv.dossier_id else "",
                   inv.cfa_reference, inv.cfa_invoice_date, labels.get(inv.state, inv.state), inv.period_start,
                   inv.period_end, inv.total_ht, inv.total_ttc, _day(inv.submitted_at), _day(inv.validated_at),
                   _day(inv.paid_at), ", ".join(refs.get(inv.id, [])), inv.receipt_number]

    for inv in streamed_rows(_sorted(f, _query(f))):
        batch.append(inv)
        if len(batch) >= EXPORT_BATCH:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


@bp.route("/factures/export.csv")
@require("dossier.bill")
def invoices_csv():
    """The list with its filters, tab and sort as CSV (French formats: `1 234,56 €`, jj/mm/aaaa)."""
    return csv_response("factures.csv", EXPORT_HEADER, _export_rows(_filters()))


@bp.route("/factures/export.xlsx")
@require("dossier.bill")
def invoices_xlsx():
    """The same rows as XLSX with typed cells: amounts as numbers in euros, dates as dates."""
    return xlsx_response("factures.xlsx", EXPORT_HEADER, _export_rows(_filters()))


@bp.route("/factures/<int:invoice_id>")
@require("dossier.bill")
def invoice(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == inv.id).order_by(InvoiceLine.id))
    events = list(InvoiceEvent.select().where(InvoiceEvent.invoice == inv.id).order_by(InvoiceEvent.at, InvoiceEvent.id))
    documents = list(scoped.documents(current_scope()).where(Document.invoice == inv.id).order_by(Document.id))
    return render_template("portal/invoice.html", inv=inv, lines=lines, events=events, documents=documents,
                           state_labels=dict(INVOICE_STATES), natures=dict(LINE_NATURES), kinds=dict(INVOICE_KINDS),
                           lines_total=sum((line.amount for line in lines), Decimal("0.00")),
                           payment_references=_payment_references([inv.id]).get(inv.id, []),
                           open_states=INVOICE_SUPPLEMENT_STATES)


@bp.route("/factures/<int:invoice_id>/recepisse")
@require("dossier.bill")
def invoice_receipt(invoice_id):
    inv = get_invoice_or_404(invoice_id)
    receipt = scoped.documents(current_scope()).where((Document.invoice == inv.id) & (Document.doc_type == "recepisse")).first()
    if receipt is None:
        abort(404)
    return document_response(receipt)
