"""Payments received (/portail/reglements, seed 004 *Les paiements OPCO*, seed 002 *Règlements émis*).

The list and its CSV/XLSX exports have one line per invoice and dossier paid (a payment line), so the OPCO's
payment reference meets the CFA's own invoice references; a page per payment (the *volet de synthèse*) and the
remittance PDF (*avis de paiement*) beside it.
"""
import datetime as dt

from flask import render_template, request, url_for

from access import scope as scoped
from access.web import current_scope, first_or_404, require
from models import Dossier, Invoice, Organisation, Payment, PaymentLine
from rules.identifiers import mask_iban
from workflows import payments as payment_service
from views.downloads import attachment_response
from infrastructure.exports import csv_response, streamed_rows, xlsx_response
from infrastructure.formatting import date_fr, parse_date_fr
from infrastructure.pdf import render_pdf
from views.portal import bp

PER_PAGE = 50
EXPORT_HEADER = ["Référence du règlement", "Date de paiement", "Bénéficiaire", "SIRET", "Mode de règlement",
                 "N° facture", "Référence facture CFA", "Date de facture", "N° de dossier", "Apprenti(e)",
                 "Montant TTC / dossier", "Montant brut du règlement", "Avoirs déduits", "Montant versé"]
MODES = {"virement": "Virement"}


def _filters():
    """The list's filters (payment reference, dossier number, date range), honoured by the exports; bad dates
    are ignored."""
    return {"q": (request.args.get("q") or "").strip()[:30], "dossier": (request.args.get("dossier") or "").strip()[:20],
            "du": parse_date_fr(request.args.get("du")), "au": parse_date_fr(request.args.get("au"))}


def _query(f):
    """Payment lines of the scope with their payment, beneficiary, invoice and dossier, newest payment first."""
    query = (PaymentLine.select(PaymentLine, Payment, Organisation, Invoice, Dossier)
             .join(Payment).join(Organisation).switch(PaymentLine)
             .join(Invoice).switch(PaymentLine).join(Dossier))
    query = scoped.payments(current_scope(), query)
    if f["q"]:
        query = query.where(Payment.reference.contains(f["q"]))
    if f["dossier"]:
        query = query.where(Dossier.number == f["dossier"])
    if f["du"]:
        query = query.where(Payment.date >= f["du"])
    if f["au"]:
        query = query.where(Payment.date <= f["au"])
    return query.order_by(Payment.date.desc(), Payment.id.desc(), PaymentLine.id.asc())


def _cursor():
    """`apres=<aaaa-mm-jj>_<payment id>_<line id>`: the last line of the page before; None when absent or bad."""
    parts = (request.args.get("apres") or "").split("_")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in parts[1:]):
        return None
    try:
        day = dt.date.fromisoformat(parts[0])
    except ValueError:
        return None
    return day, int(parts[1]), int(parts[2])


def _after(query, cursor):
    """The lines after `cursor` in the list's order (date desc, payment desc, line asc)."""
    day, payment_id, line_id = cursor
    return query.where((Payment.date < day)
                       | ((Payment.date == day) & (Payment.id < payment_id))
                       | ((Payment.date == day) & (Payment.id == payment_id) & (PaymentLine.id > line_id)))


def _args(f):
    return {k: v for k, v in {"q": f["q"], "dossier": f["dossier"], "du": date_fr(f["du"]),
                              "au": date_fr(f["au"])}.items() if v}


@bp.route("/reglements")
@require("dossier.bill")
def payments():
    """Keyset pages of payment lines ("Suivant": `apres=`), no count: one query per page."""
    f = _filters()
    query, cursor = _query(f), _cursor()
    if cursor:
        query = _after(query, cursor)
    lines = list(query.limit(PER_PAGE + 1))
    more, lines = len(lines) > PER_PAGE, lines[:PER_PAGE]
    args = _args(f)
    next_url = None
    if more:
        last = lines[-1]
        next_url = url_for("portal.payments", apres=f"{last.payment.date.isoformat()}_{last.payment.id}_{last.id}",
                           **args)
    return render_template("portal/billing/payments.html", lines=lines, filters=args, next_url=next_url,
                           first_url=url_for("portal.payments", **args) if cursor else None, modes=MODES)


def _rows():
    for line in streamed_rows(_query(_filters())):
        p, inv = line.payment, line.invoice
        yield [p.reference, p.date, p.organisation.name, p.organisation.siret, MODES.get(p.mode, p.mode),
               inv.display_number, inv.cfa_reference, inv.cfa_invoice_date, line.dossier.number,
               line.dossier.apprentice_name, line.amount, p.gross, p.deductions, p.net]


@bp.route("/reglements/export.csv")
@require("dossier.bill")
def payments_csv():
    return csv_response("reglements.csv", EXPORT_HEADER, _rows())


@bp.route("/reglements/export.xlsx")
@require("dossier.bill")
def payments_xlsx():
    return xlsx_response("reglements.xlsx", EXPORT_HEADER, _rows())


def _payment_or_404(reference):
    return first_or_404(scoped.payments(current_scope(), Payment.select(Payment, Organisation).join(Organisation))
                        .where(Payment.reference == str(reference)[:30]))


@bp.route("/reglements/<reference>")
@require("dossier.bill")
def payment(reference):
    """The payment's summary (seed 004): beneficiary, transaction, invoices and dossiers paid, deductions."""
    payment = _payment_or_404(reference)
    data = payment_service.remittance(payment)
    invoices = {}
    for line in data["lines"]:
        invoices.setdefault(line.invoice.id, [line.invoice, []])[1].append(line)
    return render_template("portal/billing/payment.html", bank=payment.bank_details, mask_iban=mask_iban,
                           invoices=list(invoices.values()), modes=MODES, **data)


@bp.route("/reglements/<reference>/avis.pdf")
@require("dossier.bill")
def payment_remittance(reference):
    payment = _payment_or_404(reference)
    data = payment_service.remittance(payment)
    pdf = render_pdf("pdf/remittance.html", organisation=payment.organisation, bank=payment.bank_details,
                     mask_iban=mask_iban, generated_at=dt.datetime.now(), **data)
    return attachment_response(pdf, f"avis-de-paiement-{payment.reference}.pdf")
