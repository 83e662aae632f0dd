"""Invoice life cycle (SPEC §4): numbering on submission, compliance decisions, the CFA's answer.

brouillon → en_traitement → validee → payee; en_traitement → en_attente (reason, CFA notified)
→ en_traitement when the CFA adds a document; en_traitement / en_attente → rejetee (reason).
Each transition is a conditional UPDATE on the expected state, so two clerks acting at once
cannot both succeed; the InvoiceEvent, the audit entry and the notification share its transaction.
"""
from dataclasses import dataclass
from decimal import Decimal

from peewee import OperationalError

from models import Installment, Invoice, InvoiceEvent, InvoiceLine, now
from services import audit
from services.installments import dossiers_of, sync_statuses
from infrastructure.formatting import montant
from services.notify import notify_organisation
from services.numbering import immediate_transaction, is_busy, next_number, retry_when_busy

STATE_LABELS = dict(Invoice.state.choices)


class InvoiceWorkflowError(ValueError):
    """A transition refused; the French message is shown as is."""


def create_invoice(organisation, lines, user=None, state="en_traitement", kind="reimbursement", dossier=None,
                   note="", **fields):
    """Create an invoice with its lines; a submitted one (not a draft) gets the next gapless number.

    `lines` are dicts of InvoiceLine fields (dossier, installment, nature, quantity, amount, period_*).
    The number, the rows, the first InvoiceEvent and the audit entry are written in one immediate
    transaction: a failure anywhere leaves neither a row nor a used number.
    """
    if state not in ("brouillon", "en_traitement"):
        raise InvoiceWorkflowError("Une facture est créée en brouillon ou déposée (en cours de traitement).")
    with immediate_transaction():
        number = next_number("invoice") if state != "brouillon" else None
        total = sum((Decimal(str(line["amount"])) for line in lines), Decimal("0.00"))
        fields.setdefault("total_ht", total)
        fields.setdefault("total_ttc", total)
        invoice = Invoice.create(number=number, organisation=organisation, dossier=dossier, kind=kind, state=state,
                                 created_by=user.id if user else None,
                                 submitted_at=now() if state != "brouillon" else None, **fields)
        for line in lines:
            InvoiceLine.create(invoice=invoice, **line)
        sync_statuses(dossiers_of(invoice))
        InvoiceEvent.create(invoice=invoice, state=state, note=note, by=user.id if user else None)
        audit.record("Invoice", invoice.id, "create", None, invoice, user=user, note=invoice.display_number)
    return invoice


def submit_invoice(invoice, user=None, note=""):
    """A draft (mass invoicing saved for later) is sent: it gets its number now (→ en_traitement)."""
    with immediate_transaction():
        invoice = Invoice.get_by_id(invoice.id)
        if invoice.state != "brouillon":
            raise InvoiceWorkflowError("Seul un brouillon peut être déposé.")
        before = audit.snapshot(invoice)
        invoice.number = next_number("invoice")
        invoice.state = "en_traitement"
        invoice.submitted_at = now()
        invoice.save()
        sync_statuses(dossiers_of(invoice))
        InvoiceEvent.create(invoice=invoice, state="en_traitement", note=note, by=user.id if user else None)
        audit.record("Invoice", invoice.id, "submit", before, invoice, user=user, note=invoice.display_number)
    return invoice


def _id(value):
    return value.id if hasattr(value, "id") else value


def _transition(invoice, from_states, to_state, user, note="", action=None, **changes):
    """Move `invoice` from one of `from_states` to `to_state`, or raise if it is no longer there."""
    with immediate_transaction():
        current = Invoice.get_by_id(_id(invoice))
        before = audit.snapshot(current)
        changes["state"] = to_state
        updated = (Invoice.update(**changes)
                   .where((Invoice.id == current.id) & Invoice.state.in_(list(from_states))).execute())
        if not updated:
            allowed = ", ".join(STATE_LABELS[s].lower() for s in from_states)
            raise InvoiceWorkflowError(
                f"La facture {current.display_number} est « {STATE_LABELS[current.state]} » : "
                f"cette action n'est possible que pour une facture {allowed}.")
        fresh = Invoice.get_by_id(current.id)
        InvoiceEvent.create(invoice=fresh, state=to_state, note=note, by=user.id if user else None)
        audit.record("Invoice", fresh.id, action or to_state, before, fresh, user=user, note=note)
    return fresh


def validate(invoice, user=None):
    """Compliance checked: good to pay (en_traitement → validee)."""
    with immediate_transaction():
        fresh = _transition(invoice, ("en_traitement",), "validee", user, action="valider", validated_at=now())
        notify_organisation(fresh.organisation, f"Facture {fresh.display_number} ({montant(fresh.total_ttc)}) "
                            "validée : elle sera réglée au prochain virement.", dossier=fresh.dossier,
                            category="billing")
    return fresh


def put_on_hold(invoice, reason, user=None):
    """Not compliant yet: the CFA is told why and answers with a document (→ en_attente)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceWorkflowError("Le motif de mise en attente est obligatoire : il est affiché au CFA.")
    with immediate_transaction():
        fresh = _transition(invoice, ("en_traitement",), "en_attente", user, note=reason,
                            action="mettre_en_attente", hold_reason=reason)
        notify_organisation(fresh.organisation, f"Facture {fresh.display_number} en attente de mise en "
                            f"conformité : {reason} Ajoutez le document demandé depuis la page de la facture.",
                            dossier=fresh.dossier, category="billing")
    return fresh


def reject(invoice, reason, user=None):
    """Refused for good (→ rejetee, reason required); its installments become invoiceable again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceWorkflowError("Le motif de rejet est obligatoire : il est affiché au CFA.")
    with immediate_transaction():
        fresh = _transition(invoice, ("en_traitement", "en_attente"), "rejetee", user, note=reason,
                            action="rejeter", rejection_reason=reason)
        sync_statuses(dossiers_of(fresh))
        notify_organisation(fresh.organisation, f"Facture {fresh.display_number} rejetée : {reason}",
                            dossier=fresh.dossier, category="billing")
    return fresh


def answer_hold(invoice, document, user=None):
    """The CFA added the requested document to an invoice on hold (en_attente → en_traitement).

    Call inside the transaction that stored `document`, so a refused transition stores nothing.
    """
    return _transition(invoice, ("en_attente",), "en_traitement", user, action="reponse_cfa",
                       note=f"Document ajouté par le CFA : {document.original_name}")


# --- decisions on several invoices (back-office bulk actions) -----------------------------------------------

@dataclass
class Outcome:
    invoice_id: int
    number: str
    ok: bool
    message: str

    @property
    def line(self):
        return f"{self.number} : {self.message}"


DECISIONS = {  # action name -> (service(invoice, reason, user), past participle shown per invoice)
    "valider": (lambda inv, reason, user: validate(inv, user), "validée (bon à payer)"),
    "mettre_en_attente": (lambda inv, reason, user: put_on_hold(inv, reason, user), "mise en attente"),
    "rejeter": (lambda inv, reason, user: reject(inv, reason, user), "rejetée"),
}


def decide(name, invoice_ids, user, reason=""):
    """Run decision `name` on each invoice, each in its own short write transaction; one Outcome per id.

    The ids are a plain list read before any write (never a live query), so one invoice's transaction
    neither waits on nor breaks another's; a busy database is retried a few times, then reported on
    that row only ("réessayez"), the others keep their result.
    """
    service, done = DECISIONS[name]
    outcomes = []
    for invoice_id in list(invoice_ids):
        invoice = Invoice.get_or_none(Invoice.id == invoice_id)
        if invoice is None:
            outcomes.append(Outcome(invoice_id, f"#{invoice_id}", False, "refusé — facture introuvable"))
            continue
        try:
            retry_when_busy(lambda: service(invoice, reason, user))
        except InvoiceWorkflowError as exc:
            outcomes.append(Outcome(invoice.id, invoice.display_number, False, f"refusé — {exc}"))
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            outcomes.append(Outcome(invoice.id, invoice.display_number, False,
                                    "non traitée — base de données occupée, rien n'a été modifié ; réessayez"))
        else:
            outcomes.append(Outcome(invoice.id, invoice.display_number, True, done))
    return outcomes
