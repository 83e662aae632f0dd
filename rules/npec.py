"""NPEC referential rules (SPEC §3 NpecReference, §5 base of the financing).

France compétences publishes the *référentiel unique des NPEC* in editions,
each with its applicability date. A contract is financed with the NPEC of the
edition applicable at its **conclusion date**: the latest edition whose
applicability date is on or before that day. When no edition applies yet, there
is no NPEC to propose and the advisor has to enter one.

The cells of the referential are read here too, without any framework: an RNCP
cell may hold several codes separated by ``/``; an NPEC cell holds an amount or
``NC`` / ``NR`` (not defined), which is reported and never imported.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .identifiers import check_idcc, check_rncp, normalize_idcc, normalize_rncp
from .money import round_cents

UNDEFINED_NPEC = {"NC", "NR"}


@dataclass(frozen=True)
class NpecChoice:
    applicable_from: date
    npec: Decimal


def applicable_npec(candidates, on: date):
    """The (applicable_from, npec) edition applicable on ``on``, or None when none applies yet.

    ``candidates`` are (applicable_from, npec) pairs of one RNCP × CPNE; the
    latest applicability date on or before ``on`` wins.
    """
    best = None
    for applicable_from, npec in candidates:
        if applicable_from is None or applicable_from > on:
            continue
        if best is None or applicable_from > best.applicable_from:
            best = NpecChoice(applicable_from, round_cents(Decimal(npec)))
    return best


def split_rncp_codes(cell):
    """Split an RNCP cell (``RNCP38368/RNCP34031``) into (valid codes, invalid pieces)."""
    valid, invalid = [], []
    for piece in re.split(r"[/;,]", str(cell or "")):
        piece = piece.strip()
        if not piece:
            continue
        if check_rncp(piece) is None:
            code = normalize_rncp(piece)
            if code not in valid:
                valid.append(code)
        else:
            invalid.append(piece)
    return valid, invalid


def parse_npec_cell(cell):
    """Read an NPEC cell: (amount, None) or (None, French reason) for NC/NR, empty or bad values."""
    text = str(cell if cell is not None else "").strip()
    if not text:
        return None, "NPEC vide"
    if text.upper() in UNDEFINED_NPEC:
        return None, f"NPEC non défini ({text.upper()})"
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None, f"NPEC illisible ({text})"
    if not amount.is_finite() or amount <= 0:
        return None, f"NPEC invalide ({text})"
    return round_cents(amount), None


def parse_cpne_code(cell):
    """CPNE codes are 4 digits (``32`` is written ``0032``); None when the cell is not one."""
    text = str(cell if cell is not None else "").strip()
    if text.endswith(".0"):  # a number read from a spreadsheet cell
        text = text[:-2]
    if not text.isdigit() or len(text) > 4:
        return None
    return text.zfill(4)


def parse_idcc_code(cell):
    """IDCC codes are 4 digits; None when the cell is not one."""
    text = str(cell if cell is not None else "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if check_idcc(text) is not None:
        return None
    return normalize_idcc(text)
