"""Payments received (/portail/reglements): list, CSV/XLSX export and remittance PDF (*avis de paiement*)."""
import datetime as dt

from flask import abort, render_template, request

from access import scope as scoped
from access.web import current_scope, require
from models import Organisation, Payment
from rules.identifiers import mask_iban
from workflows import payments as payment_service
from views.downloads import attachment_response
from infrastructure.exports import csv_response, streamed_rows, xlsx_response
from infrastructure.formatting import date_fr, parse_date_fr
from infrastructure.pdf import render_pdf
from views.portal import bp

EXPORT_HEADER = ["Référence", "Date", "Bénéficiaire", "SIRET", "Montant brut", "Avoirs déduits", "Montant versé"]


def _filters():
    """The list's filters (reference, date range), honoured by the exports too; bad dates are ignored."""
    return {"q": (request.args.get("q") or "").strip()[:30],
            "du": parse_date_fr(request.args.get("du")), "au": parse_date_fr(request.args.get("au"))}


def _query(f):
    query = scoped.payments(current_scope(), Payment.select(Payment, Organisation).join(Organisation))
    if f["q"]:
        query = query.where(Payment.reference.contains(f["q"]))
    if f["du"]:
        query = query.where(Payment.date >= f["du"])
    if f["au"]:
        query = query.where(Payment.date <= f["au"])
    return query.order_by(Payment.date.desc(), Payment.id.desc())


@bp.route("/reglements")
@require("dossier.bill")
def payments():
    f = _filters()
    args = {k: v for k, v in {"q": f["q"], "du": date_fr(f["du"]), "au": date_fr(f["au"])}.items() if v}
    return render_template("portal/billing/payments.html", payments=list(_query(f).limit(500)), filters=args)


def _rows():
    for p in streamed_rows(_query(_filters())):
        yield [p.reference, p.date, p.organisation.name, p.organisation.siret, p.gross, p.deductions, p.net]


@bp.route("/reglements/export.csv")
@require("dossier.bill")
def payments_csv():
    return csv_response("reglements.csv", EXPORT_HEADER, _rows())


@bp.route("/reglements/export.xlsx")
@require("dossier.bill")
def payments_xlsx():
    return xlsx_response("reglements.xlsx", EXPORT_HEADER, _rows())


@bp.route("/reglements/<reference>/avis.pdf")
@require("dossier.bill")
def payment_remittance(reference):
    payment = scoped.payments(current_scope()).where(Payment.reference == str(reference)).first()
    if payment is None:
        abort(404)
    data = payment_service.remittance(payment)
    pdf = render_pdf("pdf/remittance.html", organisation=payment.organisation, bank=payment.bank_details,
                     mask_iban=mask_iban, generated_at=dt.datetime.now(), **data)
    return attachment_response(pdf, f"avis-de-paiement-{payment.reference}.pdf")
