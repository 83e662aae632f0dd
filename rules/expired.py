"""Expired dossiers (*dossiers échus à traiter*, seed 002, SPEC §5).

A dossier is expired when its billing period ended at least 2 months ago (on or
after the same day two months later, 31/12 → 28/02), no invoice of the dossier
is ``en_traitement``/``en_attente``, and an amount is left to invoice or the
completion certificate is missing.
"""
from datetime import date
from decimal import Decimal

from .dates import add_months

EXPIRY_MONTHS = 2


def expiry_date(billing_end: date) -> date:
    """First day on which a dossier whose billing ended on ``billing_end`` may be expired."""
    return add_months(billing_end, EXPIRY_MONTHS)


def is_expired(billing_end: date, today: date, invoice_in_process: bool, remaining: Decimal, certificate: bool) -> bool:
    """True for a dossier to list among the expired dossiers to settle."""
    if today < expiry_date(billing_end) or invoice_in_process:
        return False
    return Decimal(remaining) > 0 or not certificate
