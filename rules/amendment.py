"""Amendment (*avenant*) of a contract: new end date or new NPEC (SPEC §5).

The financing is recomputed from the amended contract with the same rules as
at agreement (so an amended contract that becomes shorter than one year gets
the under-one-year rhythm). The difference is the new net amount minus the old
one: positive, it adds installments; negative, the part already paid beyond
the new net amount becomes a credit note.

``added`` are the installments of the new schedule that are not in the old one
(same year, kind, dates and amount); ``removed`` the old ones that disappear.
The web layer keeps the installments already invoiced and replaces the rest.
"""
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from .schedule import Contract, Financing, compute_financing


@dataclass(frozen=True)
class AmendmentResult:
    """Old and new financing, their difference and what it means for the CFA."""

    financing: Financing
    previous: Financing
    difference: Decimal
    credit_note: Decimal
    remaining: Decimal
    added: tuple = field(default_factory=tuple)
    removed: tuple = field(default_factory=tuple)
    contract: Contract | None = None


def amend(contract: Contract, new_end: date | None = None, new_npec: Decimal | None = None,
          paid: Decimal = Decimal("0")) -> AmendmentResult:
    """Recompute the financing of ``contract`` after an amendment and compare it to the agreed one."""
    previous = compute_financing(contract)
    changes = {}
    if new_end is not None:
        changes["end"] = new_end
    if new_npec is not None:
        changes["npec"] = Decimal(new_npec)
    amended = replace(contract, **changes)
    financing = compute_financing(amended)
    paid = Decimal(paid)
    old_items = set(previous.installments)
    new_items = set(financing.installments)
    return AmendmentResult(
        financing=financing,
        previous=previous,
        difference=financing.net - previous.net,
        credit_note=max(Decimal("0.00"), paid - financing.net),
        remaining=max(Decimal("0.00"), financing.net - paid),
        added=tuple(i for i in financing.installments if i not in old_items),
        removed=tuple(i for i in previous.installments if i not in new_items),
        contract=amended,
    )
