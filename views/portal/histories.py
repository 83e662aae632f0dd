"""Billing histories of the CFA (seed 002 *II.2 Les états de pilotage et de suivi*): mass invoicing sent to the
OPCO, settlements declared on expired dossiers, refunds of credit notes to the OPCO.

Each one is a list of the scope with a date range and a state filter, keyset pages newest first (`apres=<id>`,
no count) and CSV/XLSX exports honouring the filters. The payments (*Règlements émis*) are views/portal/payments.py.
"""
import datetime as dt

from flask import render_template, request, url_for
from peewee import JOIN, SQL, DateTimeField, fn

from access import scope as scoped
from access.web import current_scope, require
from models import CreditNote, Dossier, ExpiredSettlement, Invoice, InvoiceLine, User
from models.billing import CREDIT_NOTE_REASONS, CREDIT_NOTE_STATES, INVOICE_STATES
from infrastructure.exports import csv_response, streamed_rows, xlsx_response
from infrastructure.formatting import date_fr, parse_date_fr
from views.portal import bp

PER_PAGE = 50
SETTLEMENT_KINDS = ExpiredSettlement.kind.choices


def _filters(states):
    """Date range (jj/mm/aaaa; a bad date is ignored) and one of `states` (anything else: all)."""
    state = request.args.get("etat", "")
    return {"du": parse_date_fr(request.args.get("du")), "au": parse_date_fr(request.args.get("au")),
            "etat": state if state in dict(states) else ""}


def _args(f):
    return {k: v for k, v in {"du": date_fr(f["du"]), "au": date_fr(f["au"]), "etat": f["etat"]}.items() if v}


def _between(query, column, f):
    """Rows whose `column` (a date, or a date-time: up to the end of the day) falls within the filter's days."""
    moment = isinstance(column, DateTimeField)
    if f["du"]:
        query = query.where(column >= (dt.datetime.combine(f["du"], dt.time()) if moment else f["du"]))
    if f["au"]:
        if moment:
            query = query.where(column < dt.datetime.combine(f["au"] + dt.timedelta(days=1), dt.time()))
        else:
            query = query.where(column <= f["au"])
    return query


def _page(endpoint, query, key, f):
    """One keyset page of `query` ordered by `key` (a unique column) descending; the "Suivant" link."""
    after = request.args.get("apres", "")
    if after.isascii() and after.isdigit() and len(after) <= 12:
        query = query.where(key < int(after))
    else:
        after = ""
    rows = list(query.order_by(key.desc()).limit(PER_PAGE + 1))
    more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    args = _args(f)
    next_url = url_for(endpoint, apres=getattr(rows[-1], key.name), **args) if more else None
    return rows, next_url, (url_for(endpoint, **args) if after else None)


def _render(template, endpoint, rows, next_url, first_url, f, **context):
    return render_template(template, rows=rows, next_url=next_url, first_url=first_url, filters=_args(f),
                           endpoint=endpoint, **context)


# --- mass invoicing sent to the OPCO (*Facturation à l'OPCO*) ----------------------------------------------------

MASS_HEADER = ["N° facture", "État", "Créée le", "Envoyée le", "Référence CFA", "Date de facture", "Dossiers",
               "Montant HT", "Montant TTC", "Validée le", "Payée le"]


def _mass_query(f):
    dossiers = (InvoiceLine.select(fn.COUNT(InvoiceLine.dossier.distinct()))
                .where(InvoiceLine.invoice == Invoice.id))
    query = scoped.invoices(current_scope(), Invoice.select(Invoice, dossiers.alias("dossier_count"))
                            .where(Invoice.kind == "mass"))
    if f["etat"]:
        query = query.where(Invoice.state == f["etat"])
    return _between(query, Invoice.created_at, f)


@bp.route("/historiques/facturations")
@require("dossier.bill")
def history_mass_invoicing():
    f = _filters(INVOICE_STATES)
    rows, next_url, first_url = _page("portal.history_mass_invoicing", _mass_query(f), Invoice.id, f)
    return _render("portal/billing/history_mass.html", "portal.history_mass_invoicing", rows, next_url, first_url, f,
                   states=INVOICE_STATES)


def _mass_rows():
    labels = dict(INVOICE_STATES)
    for inv in streamed_rows(_mass_query(_filters(INVOICE_STATES)).order_by(Invoice.id.desc())):
        yield [inv.display_number, labels.get(inv.state, inv.state), inv.created_at, inv.submitted_at,
               inv.cfa_reference, inv.cfa_invoice_date, inv.dossier_count, inv.total_ht, inv.total_ttc,
               inv.validated_at, inv.paid_at]


@bp.route("/historiques/facturations/export.csv")
@require("dossier.bill")
def history_mass_invoicing_csv():
    return csv_response("facturations.csv", MASS_HEADER, _mass_rows())


@bp.route("/historiques/facturations/export.xlsx")
@require("dossier.bill")
def history_mass_invoicing_xlsx():
    return xlsx_response("facturations.xlsx", MASS_HEADER, _mass_rows())


# --- settlements declared on expired dossiers (*Déclaration de solde des dossiers échus*) ------------------------

SETTLEMENT_HEADER = ["Déclarée le", "Déclaration", "N° de dossier", "Apprenti(e)", "Montant libéré", "Précision",
                     "Déclarée par"]


def _settlement_query(f):
    billable = scoped.billable_dossier_ids(current_scope()).where(Dossier.id == ExpiredSettlement.dossier)
    query = (ExpiredSettlement.select(ExpiredSettlement, Dossier, User).join(Dossier).switch(ExpiredSettlement)
             .join(User, on=(ExpiredSettlement.declared_by == User.id), join_type=JOIN.LEFT_OUTER)
             .where(fn.EXISTS(billable.select(SQL("1")))))
    if f["etat"]:
        query = query.where(ExpiredSettlement.kind == f["etat"])
    return _between(query, ExpiredSettlement.declared_at, f)


@bp.route("/historiques/soldes-echus")
@require("dossier.bill")
def history_expired_settlements():
    f = _filters(SETTLEMENT_KINDS)
    rows, next_url, first_url = _page("portal.history_expired_settlements", _settlement_query(f),
                                      ExpiredSettlement.id, f)
    return _render("portal/billing/history_expired.html", "portal.history_expired_settlements", rows, next_url,
                   first_url, f, states=SETTLEMENT_KINDS, kind_labels=dict(SETTLEMENT_KINDS))


def _declarer(settlement):
    user = settlement.declared_by
    return f"{user.first_name} {user.last_name}".strip() if user else ""


def _settlement_rows():
    labels = dict(SETTLEMENT_KINDS)
    query = _settlement_query(_filters(SETTLEMENT_KINDS)).order_by(ExpiredSettlement.id.desc())
    for s in streamed_rows(query):
        yield [s.declared_at, labels.get(s.kind, s.kind), s.dossier.number, s.dossier.apprentice_name,
               s.amount_released, s.note, _declarer(s)]


@bp.route("/historiques/soldes-echus/export.csv")
@require("dossier.bill")
def history_expired_settlements_csv():
    return csv_response("soldes-dossiers-echus.csv", SETTLEMENT_HEADER, _settlement_rows())


@bp.route("/historiques/soldes-echus/export.xlsx")
@require("dossier.bill")
def history_expired_settlements_xlsx():
    return xlsx_response("soldes-dossiers-echus.xlsx", SETTLEMENT_HEADER, _settlement_rows())


# --- refunds to the OPCO (*Remboursements auprès de l'OPCO*): credit notes settled by transfer ------------------

REFUND_HEADER = ["Avoir", "Référence de virement", "N° de dossier", "Apprenti(e)", "Motif", "Émis le", "À rembourser avant le",
                 "Montant", "Remboursé", "État", "Remboursé le"]


def _refund_query(f):
    query = scoped.credit_notes(current_scope(), CreditNote.select(CreditNote, Dossier).join(Dossier)
                                .where(CreditNote.settlement_mode == "refund"))
    if f["etat"]:
        query = query.where(CreditNote.state == f["etat"])
    return _between(query, CreditNote.issued_on, f)


@bp.route("/historiques/remboursements")
@require("dossier.bill")
def history_refunds():
    f = _filters(CREDIT_NOTE_STATES)
    rows, next_url, first_url = _page("portal.history_refunds", _refund_query(f), CreditNote.number, f)
    return _render("portal/billing/history_refunds.html", "portal.history_refunds", rows, next_url, first_url, f,
                   states=CREDIT_NOTE_STATES, reasons=dict(CREDIT_NOTE_REASONS))


def _refund_rows():
    states, reasons = dict(CREDIT_NOTE_STATES), dict(CREDIT_NOTE_REASONS)
    for n in streamed_rows(_refund_query(_filters(CREDIT_NOTE_STATES)).order_by(CreditNote.number.desc())):
        yield [n.display_number, n.transfer_reference, n.dossier.number, n.dossier.apprentice_name,
               reasons.get(n.reason, n.reason), n.issued_on, n.due_date, n.amount, n.amount_settled,
               states.get(n.state, n.state), n.settled_at]


@bp.route("/historiques/remboursements/export.csv")
@require("dossier.bill")
def history_refunds_csv():
    return csv_response("remboursements.csv", REFUND_HEADER, _refund_rows())


@bp.route("/historiques/remboursements/export.xlsx")
@require("dossier.bill")
def history_refunds_xlsx():
    return xlsx_response("remboursements.xlsx", REFUND_HEADER, _refund_rows())
