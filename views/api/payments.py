"""`GET /api/v1/reglements`: the payments received, each with the invoices and dossiers it covers and the
credit notes deducted from it (the *avis de paiement*, workflows/payments.py), through the key's Scope."""
import marshmallow as ma
from flask.views import MethodView

from access import scope as scoped
from models import CreditNote, Dossier, Invoice, Payment, PaymentDeduction, PaymentLine

from . import api_blueprint
from .fast_dump import FastDumpSchema
from .auth import current_api_scope
from .schemas import Instant, Money, PageQuerySchema, PaginationSchema, naive

blp = api_blueprint("api_reglements", __name__,
                    "Les règlements reçus de l'OPCO, avec les factures et dossiers couverts et les avoirs déduits.")


class PaymentQuerySchema(PageQuerySchema):
    modifieDepuis = ma.fields.DateTime(metadata={
        "description": "Ne garder que les règlements enregistrés depuis cette date (ISO 8601).",
        "example": "2026-01-31T08:00:00"})


class LigneReglementSchema(ma.Schema):
    numeroInterneFacture = ma.fields.String(metadata={"description": "Numéro de la facture réglée.",
                                                      "example": "F0000012"})
    referenceFactureCFA = ma.fields.String(metadata={"description": "Référence de la facture chez le CFA."})
    numeroInterneDossier = ma.fields.String(metadata={"description": "Numéro du dossier réglé."})
    montant = Money(metadata={"description": "Montant réglé pour cette facture et ce dossier."})


class DeductionSchema(ma.Schema):
    numeroAvoir = ma.fields.String(metadata={"description": "Numéro de l'avoir déduit.", "example": "PRO-3"})
    numeroInterneDossier = ma.fields.String(metadata={"description": "Dossier de l'avoir."})
    montant = Money(metadata={"description": "Montant déduit du règlement."})


class ReglementSchema(ma.Schema):
    referenceVirement = ma.fields.String(metadata={"description": "Référence du virement.", "example": "VIR-2026-0012"})
    dateReglement = ma.fields.Date(metadata={"description": "Date du règlement."})
    modeReglement = ma.fields.String(metadata={"description": "Mode de règlement.", "example": "virement"})
    montantBrut = Money(metadata={"description": "Total des factures réglées."})
    montantDeductions = Money(metadata={"description": "Total des avoirs déduits."})
    montant = Money(metadata={"description": "Montant versé (brut moins les avoirs déduits)."})
    lignes = ma.fields.List(ma.fields.Nested(LigneReglementSchema),
                            metadata={"description": "Une ligne par facture et par dossier réglés."})
    deductions = ma.fields.List(ma.fields.Nested(DeductionSchema),
                                metadata={"description": "Les avoirs déduits du règlement."})
    enregistreLe = Instant(metadata={"description": "Date d'enregistrement du règlement."})


class ReglementListSchema(FastDumpSchema):
    reglements = ma.fields.List(ma.fields.Nested(ReglementSchema),
                                metadata={"description": "Les règlements de la page."})
    pagination = ma.fields.Nested(PaginationSchema)


def lines_of(payment_ids):
    """{payment id: [lines]} with their invoice and dossier, and {payment id: [deductions]}: two queries."""
    lines, deductions = {}, {}
    if not payment_ids:
        return lines, deductions
    for line in (PaymentLine.select(PaymentLine, Invoice, Dossier).join(Invoice).switch(PaymentLine).join(Dossier)
                 .where(PaymentLine.payment.in_(payment_ids)).order_by(Invoice.number, Dossier.number, PaymentLine.id)):
        lines.setdefault(line.payment_id, []).append({
            "numeroInterneFacture": line.invoice.display_number, "referenceFactureCFA": line.invoice.cfa_reference,
            "numeroInterneDossier": line.dossier.number, "montant": line.amount})
    for deduction in (PaymentDeduction.select(PaymentDeduction, CreditNote, Dossier).join(CreditNote).join(Dossier)
                      .where(PaymentDeduction.payment.in_(payment_ids)).order_by(CreditNote.number)):
        deductions.setdefault(deduction.payment_id, []).append({
            "numeroAvoir": deduction.credit_note.display_number,
            "numeroInterneDossier": deduction.credit_note.dossier.number, "montant": deduction.amount})
    return lines, deductions


@blp.route("/reglements")
class PaymentList(MethodView):
    @blp.arguments(PaymentQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ReglementListSchema)
    def get(self, page, parPage, modifieDepuis=None):
        """Liste des règlements

        Les règlements reçus par l'organisme, du plus récent au plus ancien, par pages de 100 au plus, chacun
        avec les factures et dossiers qu'il couvre et les avoirs déduits."""
        query = scoped.payments(current_api_scope())
        if modifieDepuis is not None:
            query = query.where(Payment.created_at >= naive(modifieDepuis))
        rows = list(query.order_by(Payment.id.desc()).offset((page - 1) * parPage).limit(parPage + 1))
        rows, has_next = rows[:parPage], len(rows) > parPage
        lines, deductions = lines_of([p.id for p in rows])
        return {"reglements": [{
            "referenceVirement": p.reference, "dateReglement": p.date, "modeReglement": p.mode,
            "montantBrut": p.gross, "montantDeductions": p.deductions, "montant": p.net,
            "lignes": lines.get(p.id, []), "deductions": deductions.get(p.id, []), "enregistreLe": p.created_at,
        } for p in rows], "pagination": {"page": page, "parPage": parPage, "suivante": has_next}}
