"""`GET /api/v1/factures` and `GET /api/v1/factures/{numero}`: the reimbursement requests and invoices the
organisation sent, with their state, the rejection or hold reason and the payment that settled them.

Drafts are never shown (they have no number yet); every read goes through the key's Scope (billing right of
every dossier the invoice covers)."""
import marshmallow as ma
from flask.views import MethodView
from peewee import JOIN

from access import scope as scoped
from models import Dossier, Invoice, InvoiceEvent, Payment, PaymentLine
from models.states import InvoiceState

from . import api_blueprint
from .fast_dump import FastDumpSchema
from .auth import current_api_scope
from .problems import ApiProblem
from .schemas import Instant, Money, PageQuerySchema, PaginationSchema, naive

blp = api_blueprint("api_factures", __name__,
                    "Les demandes de remboursement et factures déposées : état, motifs de rejet ou de suspension, "
                    "règlement.")

NOT_FOUND = "Aucune facture de ce numéro n'est accessible avec cette clé."
SENT_STATES = tuple(s for s in InvoiceState.values() if s != InvoiceState.DRAFT)


class InvoiceQuerySchema(PageQuerySchema):
    etat = ma.fields.String(validate=ma.validate.OneOf(SENT_STATES),
                            metadata={"description": "Ne garder que les factures dans cet état."})
    modifieDepuis = ma.fields.DateTime(metadata={
        "description": "Ne garder que les factures déposées ou ayant changé d'état depuis cette date (ISO 8601).",
        "example": "2026-01-31T08:00:00"})


class ReglementFactureSchema(ma.Schema):
    referenceVirement = ma.fields.String(metadata={"description": "Référence du virement."})
    dateReglement = ma.fields.Date(metadata={"description": "Date du règlement."})


class FactureSchema(ma.Schema):
    numeroInterneFacture = ma.fields.String(metadata={"description": "Numéro de la facture à l'OPCO.",
                                                      "example": "F0000012"})
    referenceFactureCFA = ma.fields.String(metadata={"description": "Référence de la facture dans le logiciel "
                                                                    "du CFA.", "example": "FA-2026-0042"})
    dateFacture = ma.fields.Date(allow_none=True, metadata={"description": "Date de la facture du CFA."})
    montantHT = Money(metadata={"description": "Montant hors taxes."})
    montantFacture = Money(metadata={"description": "Montant TTC demandé."})
    etatFacture = ma.fields.String(validate=ma.validate.OneOf(SENT_STATES),
                                   metadata={"description": "État de la facture.", "example": "en_traitement"})
    etatLibelle = ma.fields.String(metadata={"description": "Libellé de l'état.",
                                             "example": "En cours de traitement"})
    motifRejet = ma.fields.String(metadata={"description": "Motif du rejet (facture rejetée)."})
    motifSuspension = ma.fields.String(metadata={"description": "Motif de la mise en attente (facture en attente "
                                                               "de mise en conformité)."})
    numeroInterneDossier = ma.fields.String(allow_none=True, metadata={
        "description": "Numéro du dossier facturé (nul pour une facturation en masse, qui couvre plusieurs "
                       "dossiers)."})
    periodeDebut = ma.fields.Date(allow_none=True, metadata={"description": "Début de la période facturée."})
    periodeFin = ma.fields.Date(allow_none=True, metadata={"description": "Fin de la période facturée."})
    dateDepot = Instant(allow_none=True, metadata={"description": "Date du dépôt."})
    dateValidation = Instant(allow_none=True, metadata={"description": "Date de la validation "
                                                                                  "(bon à payer)."})
    reglement = ma.fields.Nested(ReglementFactureSchema, allow_none=True,
                                 metadata={"description": "Le règlement de la facture, une fois payée."})


class FactureListSchema(FastDumpSchema):
    factures = ma.fields.List(ma.fields.Nested(FactureSchema), metadata={"description": "Les factures de la page."})
    pagination = ma.fields.Nested(PaginationSchema)


def invoice_rows(scope):
    """The scope's sent invoices with their own dossier (none for a mass invoice): one query."""
    return scoped.invoices(scope, Invoice.select(Invoice, Dossier).join(Dossier, JOIN.LEFT_OUTER)).where(
        Invoice.state != InvoiceState.DRAFT)


def payments_of(invoices):
    """{invoice id: its payment} for these invoices, in one query."""
    ids = [i.id for i in invoices]
    if not ids:
        return {}
    lines = (PaymentLine.select(PaymentLine.invoice, Payment).join(Payment)
             .where(PaymentLine.invoice.in_(ids)).order_by(Payment.date, Payment.id))
    found = {}
    for line in lines:
        found.setdefault(line.invoice_id, line.payment)
    return found


def invoice_number(text):
    """An invoice's number from `12`, `0000012` or `F0000012`; None when it is no number."""
    digits = str(text).strip().lstrip("Ff").lstrip("0")
    if digits.isascii() and digits.isdigit() and len(digits) <= 12:  # "³".isdigit() is true
        return int(digits)
    return None


def invoice_document(inv, payment):
    return {
        "numeroInterneFacture": inv.display_number, "referenceFactureCFA": inv.cfa_reference,
        "dateFacture": inv.cfa_invoice_date, "montantHT": inv.total_ht, "montantFacture": inv.total_ttc,
        "etatFacture": inv.state, "etatLibelle": InvoiceState.label_of(inv.state),
        "motifRejet": inv.rejection_reason, "motifSuspension": inv.hold_reason,
        "numeroInterneDossier": inv.dossier.number if inv.dossier_id else None,
        "periodeDebut": inv.period_start, "periodeFin": inv.period_end,
        "dateDepot": inv.submitted_at, "dateValidation": inv.validated_at,
        "reglement": ({"referenceVirement": payment.reference, "dateReglement": payment.date}
                      if payment is not None else None),
    }


@blp.route("/factures")
class InvoiceList(MethodView):
    @blp.arguments(InvoiceQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FactureListSchema)
    def get(self, page, parPage, etat=None, modifieDepuis=None):
        """Liste des factures

        Les factures déposées par l'organisme (jamais les brouillons), de la plus récente à la plus ancienne,
        par pages de 100 au plus ; filtres par état et par date de changement."""
        query = invoice_rows(current_api_scope())
        if etat:
            query = query.where(Invoice.state == etat)
        if modifieDepuis is not None:
            since = naive(modifieDepuis)
            changed = InvoiceEvent.select(InvoiceEvent.invoice).where(InvoiceEvent.at >= since)
            query = query.where((Invoice.submitted_at >= since) | (Invoice.validated_at >= since)
                                | (Invoice.paid_at >= since) | Invoice.id.in_(changed))
        rows = list(query.order_by(Invoice.id.desc()).offset((page - 1) * parPage).limit(parPage + 1))
        rows, has_next = rows[:parPage], len(rows) > parPage
        paid = payments_of(rows)
        return {"factures": [invoice_document(inv, paid.get(inv.id)) for inv in rows],
                "pagination": {"page": page, "parPage": parPage, "suivante": has_next}}


@blp.route("/factures/<numero>")
class InvoiceDetail(MethodView):
    @blp.response(200, FactureSchema)
    @blp.alt_response(404, response="NOT_FOUND", description="Facture inconnue ou hors du périmètre de la clé.")
    def get(self, numero):
        """Une facture

        L'état de la facture (numéro `F0000012` ou `12`), ses motifs de rejet ou de suspension et son
        règlement."""
        number = invoice_number(numero)
        invoice = invoice_rows(current_api_scope()).where(Invoice.number == number).first() if number else None
        if invoice is None:
            raise ApiProblem(404, NOT_FOUND)
        return invoice_document(invoice, payments_of([invoice]).get(invoice.id))
