"""The receipt (*récépissé*, seed 001 layout) of a reimbursement request: rendered once, stored, re-downloadable."""
import datetime as dt

from models import Document, Dossier, InvoiceLine
from models.billing import LINE_NATURES
from models.dossier import SCHEMES
from rules import mask_nir
from workflows.audit import actor_label, actor_user
from workflows.documents import save_document
from workflows.dossier_rules import dossier_balance
from infrastructure.pdf import render_pdf


def receipt_context(invoice, certificate_provided, user=None):
    """What the receipt shows; a mass invoice (no dossier of its own) lists its lines per dossier."""
    dossier = invoice.dossier
    lines = list(InvoiceLine.select(InvoiceLine, Dossier).join(Dossier)
                 .where(InvoiceLine.invoice == invoice.id).order_by(Dossier.number, InvoiceLine.id))
    context = {
        "invoice": invoice, "dossier": dossier, "organisation": invoice.organisation,
        "requester": actor_user(user), "requester_label": actor_label(user) if user is not None else "",
        "lines": lines, "natures": dict(LINE_NATURES),
        "pieces": [("Facture", True), ("Certificat de réalisation", bool(certificate_provided))],
        "generated_at": dt.datetime.now().replace(microsecond=0),
    }
    if dossier is None:
        return context
    balance = dossier_balance(dossier)
    apprentice = dossier.apprentice
    context.update({
        "apprentice": apprentice, "nir": mask_nir(apprentice.nir) if apprentice.nir else "",
        "scheme": dict(SCHEMES).get(dossier.scheme, dossier.scheme),
        "granted": balance.total.committed, "already_paid": balance.total.paid,
    })
    return context


def render_receipt(invoice, certificate_provided, user=None) -> bytes:
    return render_pdf("pdf/receipt.html", **receipt_context(invoice, certificate_provided, user=user))


def store_receipt(invoice, user=None, certificate_provided=False) -> Document:
    """Render and keep the receipt as the invoice's `recepisse` document (call in the invoice's transaction)."""
    data = render_receipt(invoice, certificate_provided, user=user)
    subject = f"dossier {invoice.dossier.number}" if invoice.dossier_id else f"facture {invoice.display_number}"
    return save_document(f"Récépissé {invoice.receipt_number} – {subject}.pdf", data,
                         invoice.organisation, "recepisse", dossier=invoice.dossier, invoice=invoice, user=user)
