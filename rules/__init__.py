"""Portail CFA billing and data rules: pure functions over dataclasses (SPEC §5, §7).

No framework import here: views build the dataclasses from the models.
"""
from .identifiers import *  # noqa: F401,F403
from .money import ZERO, format_eur, from_cents, parse_eur, round_cents, to_cents  # noqa: F401
