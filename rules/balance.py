"""Running balance of a dossier (SPEC §6, dossier page and *actions à mener*).

``committed`` is the financing engaged (net of the employer share, or the due
amount after a rupture); ``billable_to_date`` the installments billable by
``today``; ``invoiced``/``paid``/``credited`` come from the invoices (non-
rejected), payments and credit notes. ``remaining`` is what is left to invoice:
committed − invoiced + credited (a credit note gives back what was invoiced
beyond the commitment), never below zero.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import ZERO, round_cents


@dataclass(frozen=True)
class RunningBalance:
    committed: Decimal
    billable_to_date: Decimal
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    remaining: Decimal

    @property
    def to_invoice_now(self) -> Decimal:
        """Billable today and not invoiced yet."""
        return max(ZERO, self.billable_to_date - self.invoiced + self.credited)

    @property
    def awaiting_payment(self) -> Decimal:
        return max(ZERO, self.invoiced - self.credited - self.paid)


def running_balance(installments, today: date, invoiced=ZERO, paid=ZERO, credited=ZERO,
                    committed=None) -> RunningBalance:
    """Balance of a dossier from its (net) installments and its invoicing so far."""
    items = tuple(installments)
    if committed is None:
        committed = sum((i.amount for i in items), ZERO)
    billable = sum((i.amount for i in items if i.billable_from <= today), ZERO)
    invoiced, paid, credited = (round_cents(Decimal(x)) for x in (invoiced, paid, credited))
    committed = round_cents(Decimal(committed))
    return RunningBalance(
        committed=committed,
        billable_to_date=round_cents(billable),
        invoiced=invoiced,
        paid=paid,
        credited=credited,
        remaining=max(ZERO, committed - invoiced + credited),
    )
