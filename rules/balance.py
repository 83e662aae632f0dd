"""Running balance of a dossier (SPEC §5–§6: dossier page, back office, *actions à mener*).

One balance, split by what is financed: *teaching* (the schedule: teaching cost and disability
uplift) and *annexes* (lodging, meals, first equipment, mobility, billed as incurred within the
caps engaged for the whole contract). For each part:

* ``committed``: what is engaged for the whole duration — the schedule net of the employer share
  (the due amount after a rupture or an amendment) for teaching, the engaged caps for annexes;
* ``billable_to_date``: the installments billable by ``today`` (never above what is engaged) for
  teaching; the whole caps for annexes (billable as soon as they are incurred);
* ``invoiced``: invoice lines not rejected; ``validated``: lines of invoices validated or paid;
  ``paid``: payment lines; ``credited``: credit notes (they give back teaching paid beyond what is
  due, SPEC §5 "Rupture");
* ``remaining``: what is left to invoice, committed − invoiced + credited, never below zero.

The same figures are therefore counted on both sides: ``paid ≤ validated ≤ invoiced`` holds per
part whenever the invoices follow their workflow.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .credit_notes import overpayment
from .money import ZERO, round_cents

TEACHING_NATURES = ("teaching", "uplift")
ANNEX_NATURES = ("lodging", "meals", "first_equipment", "mobility")


@dataclass(frozen=True)
class RunningBalance:
    committed: Decimal
    billable_to_date: Decimal
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    remaining: Decimal
    validated: Decimal = ZERO

    @property
    def to_invoice_now(self) -> Decimal:
        """Billable today and not invoiced yet."""
        return max(ZERO, self.billable_to_date - self.invoiced + self.credited)

    @property
    def awaiting_payment(self) -> Decimal:
        return max(ZERO, self.invoiced - self.credited - self.paid)

    @property
    def overpaid(self) -> Decimal:
        """Paid beyond what is due and not yet given back by a credit note (SPEC §5: the credit note's amount)."""
        return overpayment(self.paid, self.committed, self.credited)

    def __add__(self, other):
        fields = ("committed", "billable_to_date", "invoiced", "paid", "credited", "remaining", "validated")
        return RunningBalance(**{name: getattr(self, name) + getattr(other, name) for name in fields})


@dataclass(frozen=True)
class DossierBalance:
    """The running balance of one dossier, by part, and the yearly budget it was engaged on."""

    teaching: RunningBalance
    annexes: RunningBalance
    annual_budget: Decimal = ZERO  # NPEC + disability uplift for one full year (not the engagement)
    # (figure, French label) in the order the pages show them
    FIGURES = (("committed", "Financement engagé (toute la durée)"), ("billable_to_date", "Facturable à ce jour"),
               ("invoiced", "Facturé (hors factures rejetées)"), ("validated", "Validé (bon à payer)"),
               ("paid", "Payé"), ("credited", "Avoirs"), ("remaining", "Reste à facturer"))

    @property
    def total(self) -> RunningBalance:
        return self.teaching + self.annexes

    def parts(self):
        """(label, balance) rows as the pages show them."""
        return (("Coût pédagogique", self.teaching), ("Frais annexes", self.annexes), ("Total", self.total))


def running_balance(installments, today: date, invoiced=ZERO, paid=ZERO, credited=ZERO,
                    committed=None, validated=ZERO) -> RunningBalance:
    """Balance of the teaching part from its (net) installments and its invoicing so far."""
    items = tuple(installments)
    if committed is None:
        committed = sum((i.amount for i in items), ZERO)
    committed = round_cents(Decimal(committed))
    billable = min(sum((i.amount for i in items if i.billable_from <= today), ZERO), committed)
    invoiced, paid, credited, validated = (round_cents(Decimal(x)) for x in (invoiced, paid, credited, validated))
    return RunningBalance(
        committed=committed,
        billable_to_date=round_cents(billable),
        invoiced=invoiced,
        paid=paid,
        credited=credited,
        remaining=max(ZERO, committed - invoiced + credited),
        validated=validated,
    )


def annex_balance(caps, invoiced=ZERO, validated=ZERO, paid=ZERO) -> RunningBalance:
    """Balance of the annex costs: the engaged caps are billable as soon as the costs are incurred."""
    caps = round_cents(Decimal(caps or 0))
    invoiced, validated, paid = (round_cents(Decimal(x)) for x in (invoiced, validated, paid))
    return RunningBalance(committed=caps, billable_to_date=caps, invoiced=invoiced, paid=paid, credited=ZERO,
                          remaining=max(ZERO, caps - invoiced), validated=validated)


def split_paid(shares):
    """Split payment lines between teaching and annexes.

    ``shares`` holds one ``(teaching, annexes, paid)`` per payment line: what the paid invoice
    bills on the dossier in each part, and the amount paid. A line pays teaching first, then
    annexes; anything beyond both (never expected) stays with teaching.
    """
    teaching_paid = annex_paid = ZERO
    for teaching, annexes, paid in shares:
        teaching, annexes, paid = (round_cents(Decimal(x or 0)) for x in (teaching, annexes, paid))
        on_annexes = min(max(ZERO, paid - teaching), annexes)
        annex_paid += on_annexes
        teaching_paid += paid - on_annexes
    return teaching_paid, annex_paid


def by_part(amounts_by_nature):
    """(teaching, annexes) sums of a ``{nature: amount}`` mapping."""
    amounts = {k: round_cents(Decimal(v or 0)) for k, v in (amounts_by_nature or {}).items()}
    return (sum((amounts.get(n, ZERO) for n in TEACHING_NATURES), ZERO),
            sum((amounts.get(n, ZERO) for n in ANNEX_NATURES), ZERO))


def dossier_balance(installments, today: date, committed, annex_caps=ZERO, invoiced=None, validated=None,
                    paid_shares=(), credited=ZERO, annual_budget=ZERO) -> DossierBalance:
    """The one balance of a dossier.

    ``invoiced`` and ``validated`` map a line nature to its amount; ``paid_shares`` is what
    ``split_paid`` reads; ``committed`` is the net teaching engagement (financed − employer share).
    """
    invoiced_teaching, invoiced_annexes = by_part(invoiced)
    validated_teaching, validated_annexes = by_part(validated)
    paid_teaching, paid_annexes = split_paid(paid_shares)
    teaching = running_balance(installments, today, invoiced=invoiced_teaching, paid=paid_teaching,
                               credited=credited, committed=committed, validated=validated_teaching)
    annexes = annex_balance(annex_caps, invoiced=invoiced_annexes, validated=validated_annexes, paid=paid_annexes)
    return DossierBalance(teaching=teaching, annexes=annexes, annual_budget=round_cents(Decimal(annual_budget or 0)))
