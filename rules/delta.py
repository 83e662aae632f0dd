"""The employer's delta (SPEC §5 "Delta"): the CFA's teaching cost beyond the financed amount
is billed to the employer, never to the OPCO."""
from decimal import Decimal

from .money import ZERO, round_cents


def employer_delta(teaching_cost: Decimal, financed: Decimal) -> Decimal:
    return max(ZERO, round_cents(Decimal(teaching_cost) - Decimal(financed)))
