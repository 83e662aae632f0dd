"""Invoice life cycle (SPEC §4): numbering on submission, compliance decisions, the CFA's answer.

The transitions are the INVOICE table of workflows/state_machines.py, run by workflows.transitions.apply:
a conditional UPDATE on the expected state, so two clerks acting at once cannot both succeed; the
InvoiceEvent and the audit entry share its transaction, the CFA's billing users are told after it.
"""
from decimal import Decimal

from peewee import OperationalError

from models import Invoice, InvoiceEvent, InvoiceLine, now
from models.states import InvoiceState
from workflows import audit
from workflows.installments import dossiers_of, sync_statuses
from infrastructure.formatting import montant
from infrastructure.numbering import immediate_transaction, is_busy, next_number, retry_when_busy
from access.permissions import can
from workflows.audit import actor_user
from workflows.state_machines import INVOICE, INVOICE_SUPPLEMENT_PERMISSION, INVOICE_SUPPLEMENT_STATES
from workflows.transitions import Outcome, TransitionRefused, apply, scopes_of

I = InvoiceState
STATE_LABELS = InvoiceState.labels()


class InvoiceWorkflowError(ValueError):
    """A transition refused; the French message is shown as is."""


def create_invoice(organisation, lines, user=None, state=I.PROCESSING, kind="reimbursement", dossier=None,
                   note="", **fields):
    """Create an invoice with its lines; a submitted one (not a draft) gets the next gapless number.

    `lines` are dicts of InvoiceLine fields (dossier, installment, nature, quantity, amount, period_*).
    The number, the rows, the first InvoiceEvent and the audit entry are written in one immediate
    transaction: a failure anywhere leaves neither a row nor a used number.
    """
    if state not in (I.DRAFT, I.PROCESSING):
        raise InvoiceWorkflowError("Une facture est créée en brouillon ou déposée (en cours de traitement).")
    with immediate_transaction():
        number = next_number("invoice") if state != I.DRAFT else None
        total = sum((Decimal(str(line["amount"])) for line in lines), Decimal("0.00"))
        fields.setdefault("total_ht", total)
        fields.setdefault("total_ttc", total)
        invoice = Invoice.create(number=number, organisation=organisation, dossier=dossier, kind=kind, state=state,
                                 created_by=user.id if user else None,
                                 submitted_at=now() if state != I.DRAFT else None, **fields)
        for line in lines:
            InvoiceLine.create(invoice=invoice, **line)
        sync_statuses(dossiers_of(invoice))
        InvoiceEvent.create(invoice=invoice, state=state, note=note, by=user.id if user else None)
        audit.record("invoice", invoice.id, "create", None, invoice, user=user, note=invoice.display_number)
    return invoice


def submit_invoice(invoice, user, note="", changes=None, within=None):
    """A draft (mass invoicing saved for later) is sent: it gets its number now (→ en_traitement).

    `changes` are other columns written with the state; `within(invoice)` runs in the same transaction
    (the lines and documents of the send).
    """
    with immediate_transaction():
        invoice = Invoice.get_by_id(invoice.id)
        if invoice.state != I.DRAFT:
            raise InvoiceWorkflowError("Seul un brouillon peut être déposé.")
        values = dict(changes or {}, number=next_number("invoice"), submitted_at=now())

        def then(row):
            extra = within(row) if within is not None else None
            sync_statuses(dossiers_of(row))
            InvoiceEvent.create(invoice=row, state=I.PROCESSING, note=note, by=user.id if user else None)
            return extra or row.display_number

        return _apply("deposer", invoice, user, changes=values, within=then)


def _id(value):
    return value.id if hasattr(value, "id") else value


def _apply(name, invoice, user, *, note="", reason="", notice=None, changes=None, within=None):
    """Run transition `name` of the INVOICE table, with its InvoiceEvent; refusals become InvoiceWorkflowError."""
    transition = INVOICE.transitions[name]
    current = Invoice.get_by_id(_id(invoice))

    def then(row):
        extra = within(row) if within is not None else None
        if name != "deposer":
            InvoiceEvent.create(invoice=row, state=transition.to_state, note=note or reason,
                                by=user.id if user else None)
        return extra

    try:
        with immediate_transaction():
            return apply(INVOICE, name, current, user, changes=changes, note=note, reason=reason, notice=notice,
                         within=then)
    except TransitionRefused as exc:
        fresh = Invoice.get_by_id(current.id)
        if fresh.state not in transition.from_states:
            allowed = ", ".join(STATE_LABELS[s].lower() for s in transition.from_states)
            raise InvoiceWorkflowError(
                f"La facture {fresh.display_number} est « {STATE_LABELS[fresh.state]} » : "
                f"cette action n'est possible que pour une facture {allowed}.") from None
        raise InvoiceWorkflowError(f"Action refusée : {exc}.") from None


def validate(invoice, user):
    """Compliance checked: good to pay (en_traitement → validee)."""
    return _apply("valider", invoice, user, changes={"validated_at": now()},
                  notice=lambda row: f"Facture {row.display_number} ({montant(row.total_ttc)}) validée : elle sera "
                                     "réglée au prochain virement.")


def put_on_hold(invoice, reason, user):
    """Not compliant yet: the CFA is told why and answers with a document (→ en_attente)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceWorkflowError("Le motif de mise en attente est obligatoire : il est affiché au CFA.")
    return _apply("mettre_en_attente", invoice, user, reason=reason, changes={"hold_reason": reason},
                  notice=lambda row: f"Facture {row.display_number} en attente de mise en conformité : {reason} "
                                     "Ajoutez le document demandé depuis la page de la facture.")


def _sync_installments(invoice):
    sync_statuses(dossiers_of(invoice))


def reject(invoice, reason, user):
    """Refused for good (→ rejetee, reason required); its installments become invoiceable again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceWorkflowError("Le motif de rejet est obligatoire : il est affiché au CFA.")
    return _apply("rejeter", invoice, user, reason=reason, changes={"rejection_reason": reason},
                  within=_sync_installments,
                  notice=lambda row: f"Facture {row.display_number} rejetée : {reason}")


def answer_hold(invoice, document, user):
    """The CFA added the requested document to an invoice on hold (en_attente → en_traitement).

    Call inside the transaction that stored `document`, so a refused transition stores nothing.
    """
    return _apply("reponse_cfa", invoice, user, note=f"Document ajouté par le CFA : {document.original_name}")


def add_supplementary_document(invoice, document, user):
    """The CFA added a supplementary document to an open invoice (INVOICE_SUPPLEMENT_STATES).

    On hold, it is the answer (en_attente → en_traitement); otherwise the state stays and the history notes
    the document. Call inside the transaction that stored `document`: a closed invoice (paid, rejected, draft)
    or a missing right raises InvoiceWorkflowError and nothing is stored.
    """
    current = Invoice.get_by_id(_id(invoice))
    if current.state == I.ON_HOLD:
        return answer_hold(current, document, user)
    if not any(can(scope, INVOICE_SUPPLEMENT_PERMISSION, current) for scope in scopes_of(user, current)):
        raise InvoiceWorkflowError("Action refusée : il faut un droit de facturation sur ce dossier.")
    # Guarded write: the row is locked, and still open, for the rest of the transaction.
    still_open = (Invoice.update(state=Invoice.state)
                  .where((Invoice.id == current.id) & Invoice.state.in_(INVOICE_SUPPLEMENT_STATES)).execute())
    if not still_open:
        fresh = Invoice.get_by_id(current.id)
        raise InvoiceWorkflowError(
            f"La facture {fresh.display_number} est « {STATE_LABELS[fresh.state]} » : on ne peut plus y ajouter "
            "de pièce.")
    InvoiceEvent.create(invoice=current, state=current.state, by=getattr(actor_user(user), "id", None),
                        note=f"Pièce complémentaire ajoutée par le CFA : {document.original_name}")
    return current.display_number


def pay(invoice, user, reference):
    """A payment settled this validated invoice (→ payee); call inside the payment's transaction."""
    return _apply("payer", invoice, user, note=f"Règlement {reference}", changes={"paid_at": now()})


# --- decisions on several invoices (back-office bulk actions) -----------------------------------------------

DECISIONS = {  # action name -> (service(invoice, reason, user), past participle shown per invoice)
    "valider": (lambda inv, reason, user: validate(inv, user), INVOICE.transitions["valider"].done),
    "mettre_en_attente": (lambda inv, reason, user: put_on_hold(inv, reason, user),
                          INVOICE.transitions["mettre_en_attente"].done),
    "rejeter": (lambda inv, reason, user: reject(inv, reason, user), INVOICE.transitions["rejeter"].done),
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
