"""Credit notes (*avoirs*) and their settlement (SPEC §5, seed 003).

``deduction`` (the default mode): the credit notes are subtracted from the next
payment(s) to the organisation, oldest first; one payment can absorb several
credit notes, wholly or partly, and a credit note can spread over payments.
``refund``: the CFA transfers the amount within 15 days with the reference
``AVCAP PRO-<n>``; past that day the credit note is ``en_retard``.
Credit notes do not apply to stock contracts.
"""
from datetime import date, timedelta
from decimal import Decimal

from .money import ZERO, format_eur, round_cents

REFUND_DAYS = 15
DEDUCTION = "deduction"
REFUND = "refund"


def credit_note_number(n: int) -> str:
    """Number of the n-th credit note pro forma: ``PRO-<n>``."""
    return f"PRO-{int(n)}"


def credit_note_reference(n: int) -> str:
    """Bank transfer reference of a refund: ``AVCAP PRO-<n>``."""
    return f"AVCAP {credit_note_number(n)}"


class CreditNoteRefused(ValueError):
    """A credit note that the figures do not allow; the French message gives them."""


def overpayment(paid, due, credited=ZERO) -> Decimal:
    """What was paid beyond what is due and not yet given back by a credit note (SPEC §5 "Credit notes")."""
    return max(ZERO, round_cents(Decimal(paid)) - round_cents(Decimal(due)) - round_cents(Decimal(credited)))


def credit_note_amount(paid, due, credited=ZERO, requested=None) -> Decimal:
    """The amount of a credit note: the overpayment, or a smaller amount asked for; never typed beyond it.

    No overpayment, no credit note: a credit note gives back what was paid beyond what is due.
    """
    cap = overpayment(paid, due, credited)
    figures = (f"payé {format_eur(paid)}, dû {format_eur(due)}, avoirs déjà émis {format_eur(credited)}")
    if cap <= 0:
        raise CreditNoteRefused(f"Aucun trop-perçu sur ce dossier ({figures}) : un avoir ne rend que ce qui a été "
                                "payé au-delà du montant dû.")
    if requested is None:
        return cap
    requested = round_cents(Decimal(requested))
    if requested <= 0:
        raise CreditNoteRefused("Le montant d'un avoir doit être strictement positif.")
    if requested > cap:
        raise CreditNoteRefused(f"L'avoir ne peut pas dépasser le trop-perçu de {format_eur(cap)} ({figures}).")
    return requested


def refund_due_date(issued: date) -> date:
    """A refund is due 15 days after the credit note is issued."""
    return issued + timedelta(days=REFUND_DAYS)


def is_overdue(issued: date, today: date, settled: bool = False, mode: str = REFUND) -> bool:
    """A refund not received after its 15 days is overdue (deductions never are)."""
    return mode == REFUND and not settled and today > refund_due_date(issued)


def apply_deductions(payment_amount, credit_notes):
    """Deduct credit notes from a payment, in the order given (oldest first).

    ``credit_notes`` is a list of ``(id, amount_left)``. Returns the net amount
    paid and the list of ``(id, amount_applied)`` for the credit notes touched;
    the payment never goes below zero, and a credit note it cannot absorb
    entirely keeps its remainder for the next payment.
    """
    left = round_cents(Decimal(payment_amount))
    applied = []
    for note_id, amount_left in credit_notes:
        if left <= 0:
            break
        amount_left = round_cents(Decimal(amount_left))
        if amount_left <= 0:
            continue
        taken = min(left, amount_left)
        applied.append((note_id, taken))
        left -= taken
    return left, applied
