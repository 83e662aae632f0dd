"""Engaged annex amounts, for the dossier page and reimbursement requests.

SPEC §5 "Annex costs": lodging ≤ 6 € a night, meals ≤ 3 € a meal, first equipment ≤ 500 € once,
international mobility a flat amount. A dossier engages a number of nights and meals and amounts
for first equipment and mobility; these helpers turn them into euro caps.
"""
from dataclasses import dataclass
from decimal import Decimal

from .invoice_checks import LODGING_PER_NIGHT, MEAL_RATE, AnnexAmounts
from .money import ZERO, round_cents


def engaged_annex_caps(nights: int, meals: int, first_equipment, mobility) -> AnnexAmounts:
    """Euro caps engaged for each annex nature (nights × 6 €, meals × 3 €, amounts as engaged)."""
    return AnnexAmounts(
        lodging=round_cents(LODGING_PER_NIGHT * max(int(nights or 0), 0)),
        meals=round_cents(MEAL_RATE * max(int(meals or 0), 0)),
        first_equipment=round_cents(Decimal(first_equipment or 0)),
        mobility=round_cents(Decimal(mobility or 0)),
    )


def annex_total(caps: AnnexAmounts) -> Decimal:
    return round_cents(sum((Decimal(v or 0) for v in (caps.lodging, caps.meals, caps.first_equipment,
                                                       caps.mobility)), ZERO))


def annual_budget(teaching: Decimal, uplift: Decimal) -> Decimal:
    """Budget of one full year of execution: annual NPEC + disability uplift (SPEC §5 "Years of execution").

    Annex caps are engaged for the whole contract, so they are not part of it.
    """
    return round_cents(Decimal(teaching or 0) + Decimal(uplift or 0))


def request_total(*amounts) -> Decimal:
    """Total of a reimbursement request (each amount rounded to the cent first)."""
    return sum((round_cents(Decimal(a or 0)) for a in amounts), ZERO)



@dataclass(frozen=True)
class Engagement:
    """What the OPCO takes in charge on a dossier for its whole duration (seed 001 *Consulter les actions*:
    *frais pédagogiques* and *frais annexes pris en charge*, *budget alternance total*)."""

    teaching: Decimal  # the financed teaching cost net of the employer share (the schedule's total)
    annexes: Decimal  # the annex caps engaged

    @property
    def total(self) -> Decimal:
        """*Budget alternance total*: what the CFA may bill the OPCO (a higher cost is the employer's delta)."""
        return self.teaching + self.annexes


def engagement(financed, employer_share, caps: AnnexAmounts, engaged: bool) -> Engagement:
    """The engagement of a dossier: teaching net of the employer share; annex caps only once engaged (before
    the OPCO's agreement nothing is engaged, and the caps are what was asked)."""
    return Engagement(teaching=round_cents(Decimal(financed or 0) - Decimal(employer_share or 0)),
                      annexes=annex_total(caps) if engaged else ZERO)



@dataclass(frozen=True)
class FinancingRow:
    """One row of *l'accord de financement* (seed 004 *Examiner la notification*): the teaching cost over the
    whole contract (NPEC total, net of the employer share) and each annex cap, asked or taken in charge."""

    teaching: Decimal
    caps: AnnexAmounts

    @property
    def total(self) -> Decimal:
        return round_cents(Decimal(self.teaching or 0) + annex_total(self.caps))
