"""The CFA's own invoice behind a reimbursement request or a mass invoice (seed 004 *Déposer votre facture*:
référence, date, montant HT, montant TTC): what it declares must agree with what it asks for.

The amounts the OPCO pays are the request's lines (rules.invoice_checks, rules.engaged); the declared HT and
TTC are the figures printed on the CFA's invoice, stored and shown as such. They are checked here:

* the HT is the total requested: the invoice the CFA attaches is the one being reimbursed;
* the TTC is never below the HT;
* an organisation not liable to VAT (its profile, *Assujetti à la TVA*) invoices without VAT: TTC = HT;
* a VAT-liable one adds at most the standard rate, 20 % (CGI art. 278), to the HT;
* the invoice is dated, and not after today.

Left empty, the HT is the total requested and the TTC is the HT (`declared_amounts`): an invoice without
VAT, which is also what an organisation exempt on its training (CGI art. 261-4-4°) issues.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .dates import fr_date
from .invoice_checks import Refusal
from .money import ZERO, format_eur, round_cents

STANDARD_VAT_RATE = Decimal("0.20")


@dataclass(frozen=True)
class DeclaredInvoice:
    """The CFA's invoice as typed: its date and its HT and TTC amounts (euros)."""

    invoice_date: date | None
    amount_ht: Decimal
    amount_ttc: Decimal


def declared_amounts(amount_ht, amount_ttc, requested_total):
    """(HT, TTC) with the defaults of a field left empty (None): HT = the total requested, TTC = HT."""
    ht = round_cents(requested_total if amount_ht is None else amount_ht)
    ttc = ht if amount_ttc is None else round_cents(amount_ttc)
    return ht, ttc


def max_ttc(amount_ht):
    """The highest TTC of an invoice of `amount_ht` HT: the HT plus VAT at the standard rate."""
    return round_cents(amount_ht * (1 + STANDARD_VAT_RATE))


def check_declared_invoice(declared: DeclaredInvoice, requested_total, vat_liable: bool, today: date) -> list:
    """Every refusal (Refusal) of the declared invoice; an empty list means it agrees with the request."""
    refusals = []

    def refuse(rule, message, **figures):
        refusals.append(Refusal(rule, message, figures))

    ht, ttc, total = round_cents(declared.amount_ht), round_cents(declared.amount_ttc), round_cents(requested_total)
    if declared.invoice_date is None:
        refuse("invoice_date_missing", "Indiquez la date de votre facture.")
    elif declared.invoice_date > today:
        refuse("invoice_date_future", f"La date de la facture ({fr_date(declared.invoice_date)}) ne peut pas être "
                                      f"postérieure à aujourd'hui ({fr_date(today)}).",
               invoice_date=declared.invoice_date, today=today)
    if ht < ZERO or ttc < ZERO:
        refuse("declared_negative", "Les montants HT et TTC de la facture ne peuvent pas être négatifs.",
               amount_ht=ht, amount_ttc=ttc)
        return refusals
    if ht != total:
        refuse("ht_not_requested_total",
               f"Le montant HT de votre facture ({format_eur(ht)}) doit être égal au total demandé "
               f"({format_eur(total)}).", amount_ht=ht, requested_total=total)
    if ttc < ht:
        refuse("ttc_below_ht", f"Le montant TTC ({format_eur(ttc)}) ne peut pas être inférieur au montant HT "
                               f"({format_eur(ht)}).", amount_ht=ht, amount_ttc=ttc)
    elif not vat_liable and ttc != ht:
        refuse("ttc_without_vat", f"Votre organisme n'est pas assujetti à la TVA : le montant TTC doit être égal au "
                                  f"montant HT ({format_eur(ht)}), et non {format_eur(ttc)}.",
               amount_ht=ht, amount_ttc=ttc)
    elif vat_liable and ttc > max_ttc(ht):
        refuse("ttc_over_vat_rate", f"Le montant TTC ({format_eur(ttc)}) dépasse le montant HT augmenté de la TVA "
                                    f"au taux normal de 20 % ({format_eur(max_ttc(ht))}).",
               amount_ht=ht, amount_ttc=ttc, max_ttc=max_ttc(ht))
    return refusals
