"""Bridge between Dossier rows and the pure rules: build the dataclasses, store what rules compute.

Views never compute amounts: they call these helpers, which call rules/.
"""
from decimal import Decimal

from peewee import fn

import rules
from rules.delta import employer_delta
from rules.engaged import FinancingRow, annual_budget, engaged_annex_caps, engagement, request_total
from rules.money import from_cents
from models import CreditNote, Dossier, Installment, Invoice, InvoiceLine, PaymentLine
from models.states import ACTIVE_INVOICE_STATES, DossierState, InstallmentStatus, InvoiceState
from workflows.installments import refresh_due_dates
from access import scope as scoped
from infrastructure import clock

VALIDATED_INVOICE_STATES = InvoiceState.values(InvoiceState.VALIDATED, InvoiceState.PAID)
ENGAGED_STATES = DossierState.values(DossierState.ENGAGED, DossierState.SETTLED)


def contract_from_dossier(dossier, end=None, npec=None):
    """The rules' view of a dossier's contract (optionally with an amended end date or NPEC)."""
    return rules.Contract(
        conclusion=dossier.conclusion_date,
        start=dossier.contract_start,
        end=end or dossier.contract_end,
        npec=Decimal(npec if npec is not None else dossier.npec),
        stock=bool(dossier.is_stock),
        disability_uplift=Decimal(dossier.disability_uplift or 0),
        reduced_duration=bool(dossier.reduced_duration),
        distance_share=(Decimal(dossier.distance_percent or 0) / 100),
        level=dossier.level,
    )


def stored_installments(dossier, include_cancelled=False):
    query = Installment.select().where(Installment.dossier == dossier.id).order_by(Installment.number)
    if not include_cancelled:
        query = query.where(Installment.status != InstallmentStatus.CANCELLED)
    return list(query)


def as_rule_installments(rows):
    return tuple(rules.Installment(year=r.year, kind=r.kind, billable_from=r.billable_from,
                                   period_start=r.period_start, period_end=r.period_end, amount=r.amount)
                 for r in rows)


def store_schedule(dossier, financing):
    """Replace the not-yet-invoiced installments of a dossier by `financing`'s (call inside a transaction)."""
    Installment.delete().where((Installment.dossier == dossier.id) & (Installment.status == InstallmentStatus.TO_INVOICE)).execute()
    start = (Installment.select(fn.MAX(Installment.number)).where(Installment.dossier == dossier.id).scalar() or 0)
    rows = [dict(dossier=dossier.id, number=start + i, year=item.year, kind=item.kind,
                 billable_from=item.billable_from, period_start=item.period_start, period_end=item.period_end,
                 amount=item.amount, status=InstallmentStatus.TO_INVOICE)
            for i, item in enumerate(financing.installments, start=1)]
    if rows:
        Installment.insert_many(rows).execute()
    refresh_due_dates([dossier.id])
    return rows


def dossier_balance(dossier, today=None):
    """The dossier's one running balance (rules.dossier_balance) from its installments, lines, payments, notes."""
    today = today or clock.today()
    invoiced = _by_nature(dossier, ACTIVE_INVOICE_STATES)
    validated = _by_nature(dossier, VALIDATED_INVOICE_STATES)
    credited = CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.amount), 0)).where(CreditNote.dossier == dossier.id)
    engaged = dossier_engagement(dossier)
    return rules.dossier_balance(
        as_rule_installments(stored_installments(dossier)), today, committed=engaged.teaching,
        annex_caps=engaged.annexes, invoiced=invoiced, validated=validated, paid_shares=_paid_shares(dossier),
        credited=_cents(credited), annual_budget=annual_budget(dossier.npec, dossier.disability_uplift))


def dossier_engagement(dossier):
    """What is taken in charge on a dossier (a model instance or a list row with the same names): the list's
    columns and the balance's *committed* figures are this one computation."""
    get = dossier.get if isinstance(dossier, dict) else (lambda name: getattr(dossier, name))
    caps = engaged_annex_caps(get("cap_nights"), get("cap_meals"), get("cap_first_equipment"), get("cap_mobility"))
    return engagement(get("total_financed"), get("employer_share"), caps, get("state") in ENGAGED_STATES)


def paid_by_dossier(dossier_ids):
    """{dossier id: total of its payment lines} for a page of dossiers, in one grouped query (no N+1)."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    rows = (PaymentLine.select(PaymentLine.dossier, fn.SUM(PaymentLine.amount).coerce(False))
            .where(PaymentLine.dossier.in_(ids)).group_by(PaymentLine.dossier).tuples())
    return {dossier_id: from_cents(cents or 0) for dossier_id, cents in rows}


def financing_agreement(dossier):
    """*L'accord de financement* (seed 004): (asked, taken in charge) FinancingRows; None where there is none.

    Asked: the schedule the NPEC asked by the CFA gives (`requested_npec`, kept when the OPCO agreed another one)
    and the annex caps deposited. Taken in charge: the engagement (the balance's committed figures), once the
    OPCO agreed.
    """
    caps = engaged_annex_caps(dossier.cap_nights, dossier.cap_meals, dossier.cap_first_equipment,
                              dossier.cap_mobility)
    asked_npec = dossier.requested_npec if dossier.requested_npec is not None else dossier.npec
    asked = None
    if Decimal(asked_npec or 0) > 0:
        try:
            asked = FinancingRow(rules.compute_financing(contract_from_dossier(dossier, npec=asked_npec)).net, caps)
        except ValueError:  # a contract the rules cannot finance (end before start): nothing to show as asked
            asked = None
    agreed = FinancingRow(dossier_engagement(dossier).teaching, caps) if dossier.state in ENGAGED_STATES else None
    return asked, agreed


def dossier_invoices(scope, dossier):
    """The invoices and reimbursement requests sent on the dossier that the scope may see (billing right), each
    with its amounts on this dossier by nature and their total: one grouped query."""
    visible = scoped.invoices(scope, Invoice.select(Invoice.id))
    rows = (InvoiceLine.select(Invoice.id, Invoice.number, Invoice.kind, Invoice.state, Invoice.period_start,
                               Invoice.period_end, Invoice.submitted_at, Invoice.cfa_reference, InvoiceLine.nature,
                               fn.SUM(InvoiceLine.amount).coerce(False).alias("cents"))
            .join(Invoice)
            .where((InvoiceLine.dossier == dossier.id) & (Invoice.state != InvoiceState.DRAFT)
                   & Invoice.id.in_(visible))
            .group_by(Invoice.id, Invoice.number, Invoice.kind, Invoice.state, Invoice.period_start,
                      Invoice.period_end, Invoice.submitted_at, Invoice.cfa_reference, InvoiceLine.nature)
            .order_by(Invoice.submitted_at, Invoice.id).dicts())
    found = {}
    for row in rows:
        item = found.setdefault(row["id"], {**row, "amounts": {}})
        item["amounts"][row["nature"]] = from_cents(row["cents"] or 0)
    for item in found.values():
        item["total"] = request_total(*item["amounts"].values())
        item["display_number"] = Invoice(id=item["id"], number=item["number"]).display_number
    return list(found.values())


def _by_nature(dossier, states):
    rows = (InvoiceLine.select(InvoiceLine.nature, fn.SUM(InvoiceLine.amount).coerce(False)).join(Invoice)
            .where((InvoiceLine.dossier == dossier.id) & Invoice.state.in_(states))
            .group_by(InvoiceLine.nature).tuples())
    return {nature: from_cents(cents or 0) for nature, cents in rows}


def _paid_shares(dossier):
    """(teaching, annexes, paid) per payment line of the dossier: what its invoice bills there, what was paid."""
    paid = list(PaymentLine.select(PaymentLine.invoice, PaymentLine.amount).where(PaymentLine.dossier == dossier.id)
                .tuples())
    if not paid:
        return []
    zero = Decimal("0.00")
    parts = {}
    lines = (InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.nature, InvoiceLine.amount)
             .where((InvoiceLine.dossier == dossier.id) & InvoiceLine.invoice.in_({i for i, _ in paid})).tuples())
    for invoice_id, nature, amount in lines:
        teaching, annexes = parts.get(invoice_id, (zero, zero))
        if nature in rules.balance.ANNEX_NATURES:
            annexes += amount
        else:
            teaching += amount
        parts[invoice_id] = (teaching, annexes)
    return [(*parts.get(invoice_id, (zero, zero)), amount) for invoice_id, amount in paid]


def _cents(query):
    return from_cents(query.scalar() or 0)


def financing_delta(dossier):
    """What the employer pays when the CFA's annual teaching cost exceeds the NPEC (shown, never billed)."""
    return employer_delta(Decimal(dossier.teaching_cost or 0), Decimal(dossier.npec or 0))


def dossier_financing(dossier, annual_budget):
    """Financing figures of the dossier page (portal and API), all computed by rules/ (nothing summed here)."""
    caps = engaged_annex_caps(dossier.cap_nights, dossier.cap_meals, dossier.cap_first_equipment,
                              dossier.cap_mobility)
    return {
        "teaching": dossier.npec, "uplift": dossier.disability_uplift, "caps": caps, "annual_budget": annual_budget,
        "total_financed": dossier.total_financed, "employer_share": dossier.employer_share,
        "delta": financing_delta(dossier),
    }


__all__ = ["contract_from_dossier", "stored_installments", "as_rule_installments", "store_schedule",
           "dossier_balance", "dossier_engagement", "paid_by_dossier", "dossier_financing", "financing_agreement",
           "dossier_invoices", "financing_delta", "Dossier"]
