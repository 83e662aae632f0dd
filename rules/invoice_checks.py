"""Checks of a reimbursement request or an invoice line before it is accepted (SPEC §5).

* the period lies inside the contract, and ends on or before a rupture date — the confirmed one, or
  the one a CFA declared and the OPCO has not confirmed yet (SPEC §4: from the declaration on, no
  invoice may cover a period after the declared date);
* the teaching amount is at most what is billable by the period's end (the
  schedule's installments billable on that day) minus what was already invoiced
  (invoices not rejected);
* teaching periods do not overlap those of earlier teaching invoices;
* annex costs: lodging ≤ 6 € a night, meals ≤ 3 € a meal, first equipment
  ≤ 500 € and once per contract, international mobility ≤ the OPCO's flat
  amount (a setting); each nature, with what was already invoiced, stays within
  the cap engaged on the dossier (``None`` = no cap recorded, not checked);
* the invoice (PDF) is always needed; the completion certificate is needed for
  every request except the one covering only the first advance;
* the terms must be accepted.

Every refusal names its rule and carries its figures (``Decimal`` amounts,
``date`` days) and a French message with the figures formatted
(``format_eur``, jj/mm/aaaa).
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .dates import fr_date
from .money import ZERO, format_eur, round_cents

LODGING_PER_NIGHT = Decimal("6.00")
MEAL_RATE = Decimal("3.00")
FIRST_EQUIPMENT_MAX = Decimal("500.00")


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnnexAmounts:
    """Amounts by annex nature: engaged caps, or what was already invoiced."""

    lodging: Decimal | None = None
    meals: Decimal | None = None
    first_equipment: Decimal | None = None
    mobility: Decimal | None = None


@dataclass(frozen=True)
class InvoiceContext:
    """What the dossier already holds when a request arrives."""

    installments: tuple
    contract_start: date
    contract_end: date
    rupture_date: date | None = None
    declared_rupture_date: date | None = None
    invoiced_teaching: Decimal = ZERO
    teaching_periods: tuple = ()
    first_equipment_billed: bool = False
    engaged_caps: AnnexAmounts = AnnexAmounts()
    annex_invoiced: AnnexAmounts = AnnexAmounts()
    mobility_flat: Decimal | None = None


@dataclass(frozen=True)
class InvoiceRequest:
    """A reimbursement request (or one invoice line and its dossier's share of the invoice)."""

    period_start: date
    period_end: date
    teaching_amount: Decimal = ZERO
    nights: int = 0
    lodging_amount: Decimal = ZERO
    meals: int = 0
    meals_amount: Decimal = ZERO
    first_equipment_amount: Decimal = ZERO
    mobility_amount: Decimal = ZERO
    first_advance_only: bool | None = None
    certificate_provided: bool = False
    invoice_pdf_provided: bool = True
    terms_accepted: bool = True


def billable_by(installments, day: date) -> Decimal:
    """Sum of the installments billable on ``day``."""
    return sum((i.amount for i in installments if i.billable_from <= day), ZERO)


def covers_first_advance_only(request: InvoiceRequest, context: InvoiceContext) -> bool:
    """Whether the request bills nothing beyond the first installment (no certificate needed then).

    The caller may say so (``first_advance_only``); otherwise it is derived:
    nothing invoiced before and the teaching amount within the first installment.
    """
    if request.first_advance_only is not None:
        return request.first_advance_only
    items = sorted(context.installments, key=lambda i: (i.billable_from, i.year))
    first = items[0].amount if items else ZERO
    return Decimal(context.invoiced_teaching) <= 0 and Decimal(request.teaching_amount) <= first


def _overlaps(start: date, end: date, other_start: date, other_end: date) -> bool:
    return start <= other_end and other_start <= end


def _schedule_overlap(period, other, scheduled, already) -> bool:
    """Whether two overlapping periods are both the schedule's own, and `period` is not billed up yet.

    The schedule itself overlaps: a balance folded at the year's end and the 2025 final 10 % cover
    the whole year, and under one year both installments cover the whole contract (SPEC §5). Billing
    such an installment is not a second billing of the same period; the amount ceiling still holds.
    """
    return period in scheduled and other in scheduled and already[period] < scheduled[period]


def check_invoice(request: InvoiceRequest, context: InvoiceContext) -> list:
    """Every rule the request breaks (an empty list when it can be accepted)."""
    refusals = []

    def refuse(rule, message, **figures):
        refusals.append(Refusal(rule, message, figures))

    amounts = {
        "teaching_amount": request.teaching_amount, "lodging_amount": request.lodging_amount,
        "meals_amount": request.meals_amount, "first_equipment_amount": request.first_equipment_amount,
        "mobility_amount": request.mobility_amount,
    }
    for name, value in amounts.items():
        if Decimal(value) < 0:
            refuse("negative_amount", f"Montant négatif refusé : {format_eur(value)}", field=name, amount=Decimal(value))
    if request.nights < 0 or request.meals < 0:
        refuse("negative_quantity", "Quantité négative refusée", nights=request.nights, meals=request.meals)

    start, end = request.period_start, request.period_end
    if end < start:
        refuse("period_order", f"La période se termine le {fr_date(end)}, avant son début le {fr_date(start)}",
               period_start=start, period_end=end)
    if start < context.contract_start or end > context.contract_end:
        refuse("period_outside_contract",
               f"La période du {fr_date(start)} au {fr_date(end)} sort du contrat "
               f"(du {fr_date(context.contract_start)} au {fr_date(context.contract_end)})",
               period_start=start, period_end=end,
               contract_start=context.contract_start, contract_end=context.contract_end)
    if context.rupture_date is not None and end > context.rupture_date:
        refuse("period_after_rupture",
               f"La période se termine le {fr_date(end)}, après la rupture du {fr_date(context.rupture_date)}",
               period_end=end, rupture_date=context.rupture_date)
    elif context.declared_rupture_date is not None and end > context.declared_rupture_date:
        refuse("period_after_declared_rupture",
               f"La période se termine le {fr_date(end)}, après la rupture du contrat déclarée au "
               f"{fr_date(context.declared_rupture_date)} : depuis cette déclaration, aucune facture ne peut "
               "couvrir une période postérieure à la date de rupture déclarée",
               period_end=end, declared_rupture_date=context.declared_rupture_date)

    teaching = round_cents(Decimal(request.teaching_amount))
    if teaching > 0:
        billable = billable_by(context.installments, end)
        invoiced = round_cents(Decimal(context.invoiced_teaching))
        ceiling = max(ZERO, billable - invoiced)
        if teaching > ceiling:
            refuse("teaching_over_billable",
                   f"Montant pédagogique de {format_eur(teaching)} supérieur au montant facturable de "
                   f"{format_eur(ceiling)} au {fr_date(end)} ({format_eur(billable)} échu, "
                   f"{format_eur(invoiced)} déjà facturé)",
                   amount=teaching, ceiling=ceiling, billable=billable, invoiced=invoiced, period_end=end)
        scheduled = Counter((i.period_start, i.period_end) for i in context.installments)
        already = Counter(tuple(p) for p in context.teaching_periods)
        for other_start, other_end in context.teaching_periods:
            if _overlaps(start, end, other_start, other_end) and not _schedule_overlap(
                    (start, end), (other_start, other_end), scheduled, already):
                refuse("teaching_periods_overlap",
                       f"La période du {fr_date(start)} au {fr_date(end)} chevauche une période déjà facturée "
                       f"(du {fr_date(other_start)} au {fr_date(other_end)})",
                       period_start=start, period_end=end, other_start=other_start, other_end=other_end)

    _check_rate(refuse, "lodging_rate", "Hébergement", request.lodging_amount, request.nights, LODGING_PER_NIGHT,
                ("nuitée", "nuitées"))
    _check_rate(refuse, "meals_rate", "Restauration", request.meals_amount, request.meals, MEAL_RATE, ("repas", "repas"))
    equipment = round_cents(Decimal(request.first_equipment_amount))
    if equipment > 0:
        if context.first_equipment_billed:
            refuse("first_equipment_once", "Le premier équipement a déjà été facturé pour ce contrat",
                   amount=equipment)
        if equipment > FIRST_EQUIPMENT_MAX:
            refuse("first_equipment_max",
                   f"Premier équipement de {format_eur(equipment)} supérieur au plafond de {format_eur(FIRST_EQUIPMENT_MAX)}",
                   amount=equipment, ceiling=FIRST_EQUIPMENT_MAX)
    mobility = round_cents(Decimal(request.mobility_amount))
    if mobility > 0 and context.mobility_flat is not None and mobility > Decimal(context.mobility_flat):
        flat = round_cents(Decimal(context.mobility_flat))
        refuse("mobility_flat",
               f"Mobilité internationale de {format_eur(mobility)} supérieure au forfait de {format_eur(flat)}",
               amount=mobility, ceiling=flat)

    labels = {"lodging": ("Hébergement", request.lodging_amount), "meals": ("Restauration", request.meals_amount),
              "first_equipment": ("Premier équipement", request.first_equipment_amount),
              "mobility": ("Mobilité internationale", request.mobility_amount)}
    for nature, (label, value) in labels.items():
        cap = getattr(context.engaged_caps, nature)
        value = round_cents(Decimal(value))
        if cap is None or value <= 0:
            continue
        cap = round_cents(Decimal(cap))
        already = round_cents(Decimal(getattr(context.annex_invoiced, nature) or 0))
        if already + value > cap:
            refuse(f"{nature}_cap",
                   f"{label} : {format_eur(value)} demandés, {format_eur(already)} déjà facturés, "
                   f"au-delà de l'engagement de {format_eur(cap)} (reste {format_eur(max(ZERO, cap - already))})",
                   amount=value, invoiced=already, cap=cap, left=max(ZERO, cap - already))

    if not request.invoice_pdf_provided:
        refuse("invoice_missing", "La facture (PDF) est obligatoire")
    if not request.certificate_provided and not covers_first_advance_only(request, context):
        refuse("certificate_missing",
               "Le certificat de réalisation est obligatoire au-delà de la première avance")
    if not request.terms_accepted:
        refuse("terms_not_accepted", "Les conditions générales doivent être acceptées")
    total = sum((round_cents(Decimal(v)) for v in amounts.values()), ZERO)
    if total <= 0 and not refusals:
        refuse("empty_request", "La demande ne porte sur aucun montant")
    return refusals


def _check_rate(refuse, rule, label, value, quantity, rate, unit):
    """`unit`: (singular, plural); French keeps the singular for 0 and 1 ("0 nuitée", "2 repas")."""
    value = round_cents(Decimal(value))
    if value <= 0:
        return
    ceiling = rate * max(quantity, 0)
    if value > ceiling:
        refuse(rule,
               f"{label} : {format_eur(value)} pour {quantity} {unit[0] if abs(quantity) <= 1 else unit[1]}, "
               f"au-delà de {format_eur(rate)} par {unit[0]} ({format_eur(ceiling)})",
               amount=value, quantity=quantity, rate=rate, ceiling=ceiling)
