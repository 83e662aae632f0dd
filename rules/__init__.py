"""Portail CFA billing and data rules: pure functions over dataclasses (SPEC §5, §7).

No framework import here: views build the dataclasses from the models and
format what these functions return.
"""
from .expired import expiry_date, is_expired  # noqa: F401
from .identifiers import *  # noqa: F401,F403
from .money import ZERO, format_eur, from_cents, parse_eur, round_cents, to_cents  # noqa: F401
from .regimes import REGIMES, select_regime  # noqa: F401
from .rupture import RuptureInput, RuptureSettlement, financing_end, is_early_rupture, settle_rupture  # noqa: F401
from .schedule import (  # noqa: F401
    ADVANCE, BALANCE, FINAL, Contract, Financing, Installment, compute_financing,
    final_installment_deadline, is_final_installment_lost,
)
