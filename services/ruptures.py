"""Rupture of an engaged contract: preview (rules.settle_rupture) then confirmation in one transaction.

The preview and the confirmation call the same `rupture_preview`, from the inputs the user typed and
the payments stored in the database: figures posted back by the browser are never trusted.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

import rules
from models import CreditNote, Dossier, ExpiredSettlement, Installment, Invoice, InvoiceLine, Rupture
from services import audit
from services.dossier_rules import contract_from_dossier, stored_installments
from services.formatting import date_fr, montant
from services.installments import sync_statuses
from services.notify import notify_organisation
from services.numbering import immediate_transaction

OPEN = "to_invoice"
DONE = ("invoiced", "paid")
PENDING_INVOICES = ("en_traitement", "en_attente", "validee")
SCHEDULE_NATURES = ("teaching", "uplift")


class RuptureError(ValueError):
    """A rupture refused for a reason the user can fix (French message shown as is)."""


@dataclass
class RupturePreview:
    dossier: Dossier
    inputs: dict
    paid: Decimal
    credited: Decimal  # credit notes already issued on the dossier: what was paid beyond the earlier schedule
    settlement: rules.RuptureSettlement
    current: list  # stored installments (not cancelled) before the rupture
    new_rows: list  # rules.Installment rows that will be stored as to_invoice
    cancelled_rows: list  # stored installments that will be cancelled


def paid_on(dossier):
    """What the OPCO already paid on this dossier's schedule: teaching and uplift lines of paid invoices.

    Annex costs (lodging, meals, equipment, mobility) are paid as incurred, outside the schedule: a
    rupture or an amendment never turns them into a credit note.
    """
    cents = (InvoiceLine.select(fn.COALESCE(fn.SUM(InvoiceLine.amount), 0)).join(Invoice)
             .where((InvoiceLine.dossier == dossier.id) & InvoiceLine.nature.in_(SCHEDULE_NATURES)
                    & (Invoice.state == "payee")).scalar() or 0)
    return Decimal(int(cents)) / 100


def credited_on(dossier):
    """Credit notes already issued on this dossier (the CFA gives that money back, or it is deducted)."""
    cents = CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.amount), 0)).where(
        CreditNote.dossier == dossier.id).scalar() or 0
    return Decimal(int(cents)) / 100


def check_no_pending_invoice(dossier):
    """The amount due after a rupture or an amendment depends on what is paid: no invoice may be in between.

    An invoice still waiting for a decision or for its payment would be paid on the old schedule, beyond
    what is due and without a credit note; it is decided (paid or rejected) first.
    """
    pending = (Invoice.select(Invoice.number, Invoice.state).join(InvoiceLine)
               .where((InvoiceLine.dossier == dossier.id) & Invoice.state.in_(PENDING_INVOICES))
               .order_by(Invoice.number).first())
    if pending is not None:
        label = dict(Invoice.state.choices)[pending.state]
        raise RuptureError(f"La facture {pending.display_number} de ce dossier est « {label} » : elle doit être "
                           "réglée ou rejetée avant une rupture ou un avenant, car le montant dû en dépend.")


def check_engaged(dossier):
    if dossier.state != "engage":
        raise RuptureError("Seul un dossier engagé peut faire l'objet d'une rupture ou d'un avenant "
                           f"(ce dossier est « {dict(Dossier.state.choices).get(dossier.state, dossier.state)} »).")
    if dossier.rupture_date is not None:
        raise RuptureError(f"Une rupture au {date_fr(dossier.rupture_date)} est déjà enregistrée sur ce dossier.")


def plan_schedule(current, new_items, credited=Decimal("0.00")):
    """Which stored installments to cancel and which new ones to store, so the schedule equals `new_items`.

    Installments already invoiced or paid stay; less the credit notes already issued (money given back),
    they cover the new schedule from its beginning (billing goes in order), so that the installments kept
    minus every credit note always equal the schedule. What they do not cover is due as `to_invoice` installments: a stored
    open installment identical to one of them stays as it is, the other open ones are cancelled and
    the rest is added. Returns (to_cancel, new_rows).
    """
    covered = max(Decimal("0.00"), sum((Decimal(r.amount) for r in current if r.status in DONE), Decimal("0.00"))
                  - Decimal(credited))
    still_due = []
    for item in new_items:
        take = min(covered, item.amount)
        covered -= take
        left = item.amount - take
        if left > 0:
            still_due.append(rules.Installment(item.year, item.kind, item.billable_from, item.period_start,
                                               item.period_end, left))
    open_rows = [r for r in current if r.status == OPEN]
    unchanged, new_rows = set(), []
    for item in still_due:
        same = next((r for r in open_rows if r.id not in unchanged and _same(r, item)), None)
        if same is None:
            new_rows.append(item)
        else:
            unchanged.add(same.id)
    return [r for r in open_rows if r.id not in unchanged], new_rows


def _same(row, item):
    return ((row.year, row.kind, row.billable_from, row.period_start, row.period_end, Decimal(row.amount))
            == (item.year, item.kind, item.billable_from, item.period_start, item.period_end, item.amount))


def apply_schedule(dossier, to_cancel, new_rows):
    """Cancel then add installments (inside the caller's transaction); audited per dossier."""
    if to_cancel:
        Installment.update(status="cancelled").where(Installment.id.in_([r.id for r in to_cancel])).execute()
    start = Installment.select(fn.MAX(Installment.number)).where(Installment.dossier == dossier.id).scalar() or 0
    rows = [dict(dossier=dossier.id, number=start + i, year=item.year, kind=item.kind,
                 billable_from=item.billable_from, period_start=item.period_start, period_end=item.period_end,
                 amount=item.amount, status=OPEN)
            for i, item in enumerate(new_rows, start=1)]
    if rows:
        Installment.insert_many(rows).execute()
    sync_statuses([dossier.id])
    audit.record("Installment", dossier.id, "reschedule",
                 {"cancelled": [{"number": r.number, "amount": f"{Decimal(r.amount):.2f}"} for r in to_cancel]},
                 {"added": [{"number": r["number"], "amount": f"{r['amount']:.2f}",
                             "billable_from": r["billable_from"].isoformat()} for r in rows]},
                 note=f"échéancier du dossier {dossier.number}")


def validate_inputs(dossier, date, continues_at_cfa=False, new_contract=None):
    check_engaged(dossier)
    if date is None:
        raise RuptureError("Saisissez la date de rupture.")
    if not dossier.contract_start <= date <= dossier.contract_end:
        raise RuptureError(f"La date de rupture du {date_fr(date)} doit être comprise dans le contrat "
                           f"(du {date_fr(dossier.contract_start)} au {date_fr(dossier.contract_end)}).")
    if new_contract is not None and not continues_at_cfa:
        raise RuptureError("Une date de nouveau contrat n'a de sens que si l'apprenti(e) poursuit au CFA.")
    if new_contract is not None and new_contract <= date:
        raise RuptureError("Le nouveau contrat doit commencer après la date de rupture.")


def rupture_preview(dossier, date, continues_at_cfa=False, new_contract=None, reason=""):
    """Validate the inputs and compute what the rupture would do, without writing anything."""
    validate_inputs(dossier, date, continues_at_cfa, new_contract)
    check_no_pending_invoice(dossier)
    paid, credited = paid_on(dossier), credited_on(dossier)
    settlement = rules.settle_rupture(contract_from_dossier(dossier),
                                      rules.RuptureInput(date=date, paid=paid - credited,
                                                         continues_at_cfa=continues_at_cfa, new_contract=new_contract))
    current = stored_installments(dossier)
    to_cancel, new_rows = plan_schedule(current, settlement.installments, credited)
    inputs = dict(date=date, continues_at_cfa=continues_at_cfa, new_contract=new_contract, reason=reason)
    return RupturePreview(dossier, inputs, paid, credited, settlement, current, new_rows, to_cancel)


def confirm_rupture(dossier, date, reason, continues_at_cfa=False, new_contract=None, user=None, source=""):
    """Record the rupture: schedule, dossier, credit note, Rupture row, letter, notification, audit — atomically.

    Everything is recomputed here from the inputs and the database (never from posted figures).
    """
    from services.credit_notes import create_credit_note
    from services.letters import issue_letter

    if not (reason or "").strip():
        raise RuptureError("Indiquez le motif de la rupture.")
    stored_files = []
    try:
        with immediate_transaction():
            dossier = Dossier.get_by_id(dossier.id)  # fresh state inside the lock
            preview = rupture_preview(dossier, date, continues_at_cfa, new_contract, reason)
            settlement = preview.settlement
            before = audit.snapshot(dossier)
            apply_schedule(dossier, preview.cancelled_rows, preview.new_rows)
            dossier.rupture_date = date
            dossier.total_financed = settlement.due_gross
            dossier.employer_share = settlement.employer_share
            dossier.updated_at = dt.datetime.now()
            dossier.save()
            rupture = Rupture.create(dossier=dossier.id, date=date, reason=reason.strip(),
                                     continues_at_cfa=continues_at_cfa, new_contract_date=new_contract,
                                     due=settlement.due, credit_note_amount=settlement.credit_note,
                                     declared_by=user.id if user else None)
            audit.record("Dossier", dossier.id, "rupture", before, dossier, user=user,
                         note=f"rupture au {date_fr(date)} ; dû {montant(settlement.due)}")
            audit.record("Rupture", rupture.id, "create", None, rupture, user=user)
            credit_note = None
            if settlement.credit_note > 0 and not dossier.is_stock:
                credit_note = create_credit_note(dossier, settlement.credit_note, "rupture", user=user)
            if source == "expired":
                settled = ExpiredSettlement.create(dossier=dossier.id, kind="rupture", amount_released=0,
                                                   note=f"Rupture au {date_fr(date)}",
                                                   declared_by=user.id if user else None)
                audit.record("ExpiredSettlement", settled.id, "create", None, settled, user=user)
            letter = issue_letter(dossier, "rupture", _letter_context(preview, credit_note), user=user,
                                  stored_files=stored_files)
            notify_organisation(dossier.organisation_id,
                                f"Rupture du contrat du dossier {dossier.number} enregistrée au {date_fr(date)} : "
                                f"montant dû {montant(settlement.due)}, reste à régler {montant(settlement.remaining)}"
                                + (f", avoir {credit_note.display_number} de {montant(credit_note.amount)}."
                                   if credit_note else "."),
                                dossier=dossier.id, category="dossier")
    except Exception:
        _forget_files(stored_files)
        raise
    return rupture, credit_note, letter


def _letter_context(preview, credit_note):
    return dict(settlement=preview.settlement, rupture=preview.inputs, paid=preview.paid,
                new_rows=preview.new_rows, cancelled_rows=preview.cancelled_rows, credit_note=credit_note,
                kind_labels=dict(Installment.kind.choices))


def _forget_files(names):
    from services.storage import get_storage

    for name in names:
        try:
            get_storage().delete(name)
        except Exception:  # best effort: the transaction is already rolled back
            pass


__all__ = ["RuptureError", "RupturePreview", "rupture_preview", "confirm_rupture", "plan_schedule",
           "apply_schedule", "paid_on", "credited_on", "check_engaged", "check_no_pending_invoice"]
