"""Rupture of an engaged contract: declared by the CFA, confirmed by the OPCO (SPEC §4).

A CFA *declares* a rupture (`declaree`): a fact it reports, which from then on bounds what may be
invoiced (no period after the declared date) but changes no money. A conseiller *confirms* it
(`confirmee`): the schedule is recomputed, open installments cancelled, a credit note issued when
overpaid, the letter sent. Staff may record a rupture directly: declared and confirmed at once.

Every step calls the same `rupture_preview`, from the declared inputs and the payments stored in the
database: figures posted back by the browser are never trusted.
"""
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

import rules
from access.permissions import can
from rules.money import from_cents
from models import CreditNote, Dossier, ExpiredSettlement, Installment, Invoice, InvoiceLine, Rupture
from models.states import DossierState, InstallmentStatus, InvoiceState, RuptureState
from workflows import audit
from workflows.dossier_rules import contract_from_dossier, stored_installments
from infrastructure.formatting import date_fr, montant
from workflows.installments import sync_statuses
from workflows.notify import notify_organisation
from infrastructure.numbering import immediate_transaction
from workflows.state_machines import RUPTURE
from workflows.transitions import TransitionRefused, apply

OPEN = InstallmentStatus.TO_INVOICE
DONE = InstallmentStatus.values(InstallmentStatus.INVOICED, InstallmentStatus.PAID)
PENDING_INVOICES = InvoiceState.values(InvoiceState.PROCESSING, InvoiceState.ON_HOLD, InvoiceState.VALIDATED)
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
                    & (Invoice.state == InvoiceState.PAID)).scalar() or 0)
    return from_cents(cents)


def instructs(actor, obj=None):
    """Conseillers and administrators instruct what a CFA declares or requests (ruptures, amendments)."""
    return can(actor, "dossier.instruct")


RUPTURE_MACHINE = RUPTURE


def declared_rupture(dossier):
    """The rupture the CFA declared on `dossier` and the OPCO has not confirmed yet (or None)."""
    return (Rupture.select().where((Rupture.dossier == dossier.id) & (Rupture.state == RuptureState.DECLARED))
            .order_by(Rupture.id).first())


def credited_on(dossier):
    """Credit notes already issued on this dossier (the CFA gives that money back, or it is deducted)."""
    cents = CreditNote.select(fn.COALESCE(fn.SUM(CreditNote.amount), 0)).where(
        CreditNote.dossier == dossier.id).scalar() or 0
    return from_cents(cents)


def check_no_pending_invoice(dossier):
    """The amount due after a rupture or an amendment depends on what is paid: no invoice may be in between.

    An invoice still waiting for a decision or for its payment would be paid on the old schedule, beyond
    what is due and without a credit note; it is decided (paid or rejected) first.
    """
    pending = (Invoice.select(Invoice.number, Invoice.state).join(InvoiceLine)
               .where((InvoiceLine.dossier == dossier.id) & Invoice.state.in_(PENDING_INVOICES))
               .order_by(Invoice.number).first())
    if pending is not None:
        label = InvoiceState.label_of(pending.state)
        raise RuptureError(f"La facture {pending.display_number} de ce dossier est « {label} » : elle doit être "
                           "réglée ou rejetée avant une rupture ou un avenant, car le montant dû en dépend.")


def check_engaged(dossier, declared=None):
    """Refuse a change to a dossier that is not engaged, already ruptured, or has a rupture waiting.

    `declared` is the declared rupture being confirmed: it does not stand in its own way.
    """
    if dossier.state != DossierState.ENGAGED:
        raise RuptureError("Seul un dossier engagé peut faire l'objet d'une rupture ou d'un avenant "
                           f"(ce dossier est « {DossierState.label_of(dossier.state)} »).")
    if dossier.rupture_date is not None:
        raise RuptureError(f"Une rupture au {date_fr(dossier.rupture_date)} est déjà enregistrée sur ce dossier.")
    waiting = declared_rupture(dossier)
    if waiting is not None and (declared is None or waiting.id != declared.id):
        raise RuptureError(f"Une rupture au {date_fr(waiting.date)} a été déclarée le "
                           f"{date_fr(waiting.created_at.date())} et attend la confirmation de l'OPCO.")


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
        Installment.update(status=InstallmentStatus.CANCELLED).where(Installment.id.in_([r.id for r in to_cancel])).execute()
    start = Installment.select(fn.MAX(Installment.number)).where(Installment.dossier == dossier.id).scalar() or 0
    rows = [dict(dossier=dossier.id, number=start + i, year=item.year, kind=item.kind,
                 billable_from=item.billable_from, period_start=item.period_start, period_end=item.period_end,
                 amount=item.amount, status=OPEN)
            for i, item in enumerate(new_rows, start=1)]
    if rows:
        Installment.insert_many(rows).execute()
    sync_statuses([dossier.id])
    audit.record("installment", dossier.id, "reschedule",
                 {"installments_cancelled": [{"number": r.number, "amount": f"{Decimal(r.amount):.2f}"} for r in to_cancel]},
                 {"installments_added": [{"number": r["number"], "amount": f"{r['amount']:.2f}",
                             "billable_from": r["billable_from"].isoformat()} for r in rows]},
                 note=f"échéancier du dossier {dossier.number}")


def validate_inputs(dossier, date, continues_at_cfa=False, new_contract=None, declared=None):
    check_engaged(dossier, declared)
    if date is None:
        raise RuptureError("Saisissez la date de rupture.")
    if not dossier.contract_start <= date <= dossier.contract_end:
        raise RuptureError(f"La date de rupture du {date_fr(date)} doit être comprise dans le contrat "
                           f"(du {date_fr(dossier.contract_start)} au {date_fr(dossier.contract_end)}).")
    if new_contract is not None and not continues_at_cfa:
        raise RuptureError("Une date de nouveau contrat n'a de sens que si l'apprenti(e) poursuit au CFA.")
    if new_contract is not None and new_contract <= date:
        raise RuptureError("Le nouveau contrat doit commencer après la date de rupture.")


def rupture_preview(dossier, date, continues_at_cfa=False, new_contract=None, reason="", declared=None,
                    settling=True):
    """Validate the inputs and compute what the rupture would do, without writing anything.

    A CFA declaring a rupture (`settling=False`) reports a fact: an invoice still pending does not stop it;
    it only stops the OPCO from applying the rupture until that invoice is paid or rejected.
    """
    validate_inputs(dossier, date, continues_at_cfa, new_contract, declared)
    if settling:
        check_no_pending_invoice(dossier)
    paid, credited = paid_on(dossier), credited_on(dossier)
    settlement = rules.settle_rupture(contract_from_dossier(dossier),
                                      rules.RuptureInput(date=date, paid=paid - credited,
                                                         continues_at_cfa=continues_at_cfa, new_contract=new_contract))
    current = stored_installments(dossier)
    to_cancel, new_rows = plan_schedule(current, settlement.installments, credited)
    inputs = dict(date=date, continues_at_cfa=continues_at_cfa, new_contract=new_contract, reason=reason)
    return RupturePreview(dossier, inputs, paid, credited, settlement, current, new_rows, to_cancel)


def declared_preview(rupture):
    """The preview of a declared rupture, recomputed now from what the CFA declared."""
    dossier = Dossier.get_by_id(rupture.dossier_id)
    return rupture_preview(dossier, rupture.date, rupture.continues_at_cfa, rupture.new_contract_date,
                           rupture.reason, declared=rupture)


def _require_reason(reason):
    if not (reason or "").strip():
        raise RuptureError("Indiquez le motif de la rupture.")


def _declare(dossier, preview, user, source):
    """Create the declared Rupture row (and its expired-dossier trace); inside the caller's transaction."""
    inputs = preview.inputs
    person = audit.actor_user(user)  # None for an API key: the audit entry names the key
    rupture = Rupture.create(dossier=dossier.id, date=inputs["date"], reason=inputs["reason"].strip(),
                             continues_at_cfa=inputs["continues_at_cfa"], new_contract_date=inputs["new_contract"],
                             due=preview.settlement.due, credit_note_amount=preview.settlement.credit_note,
                             declared_by=person.id if person else None)
    audit.record("rupture", rupture.id, "create", None, rupture, user=user,
                 note=f"rupture au {date_fr(rupture.date)} déclarée")
    if source == "expired":
        settled = ExpiredSettlement.create(dossier=dossier.id, kind="rupture", amount_released=0,
                                           note=f"Rupture au {date_fr(rupture.date)}",
                                           declared_by=person.id if person else None)
        audit.record("expired_settlement", settled.id, "create", None, settled, user=user)
    return rupture


def declare_rupture(dossier, date, reason, continues_at_cfa=False, new_contract=None, user=None, source=""):
    """The CFA declares a rupture: one `declaree` row, audited; no money, schedule or dossier column moves."""
    _require_reason(reason)
    with immediate_transaction():
        dossier = Dossier.get_by_id(dossier.id)  # fresh state inside the lock
        preview = rupture_preview(dossier, date, continues_at_cfa, new_contract, reason, settling=False)
        rupture = _declare(dossier, preview, user, source)
    notify_organisation(dossier.organisation_id,
                        f"Rupture du contrat du dossier {dossier.number} au {date_fr(date)} déclarée : "
                        "elle sera appliquée quand l'OPCO l'aura confirmée. D'ici là, aucune facture ne peut "
                        "couvrir une période postérieure à cette date.", dossier=dossier.id, category="dossier")
    return rupture


def confirm_declared_rupture(rupture, user):
    """A conseiller confirms a declared rupture: the transition, then schedule, credit note and letter — atomically."""
    with transaction_with_files() as stored_files:
        rupture = Rupture.get_or_none(Rupture.id == rupture.id)
        if rupture is None:
            raise TransitionRefused("rupture introuvable")
        preview = declared_preview(rupture)
        credit_note, letter, rupture = _settle(preview, rupture, user, stored_files)
    return rupture, credit_note, letter


def confirm_rupture(dossier, date, reason, continues_at_cfa=False, new_contract=None, user=None, source=""):
    """Staff record a rupture directly: declared and confirmed in one transaction (`confirmee` at once)."""
    _require_reason(reason)
    with transaction_with_files() as stored_files:
        dossier = Dossier.get_by_id(dossier.id)  # fresh state inside the lock
        preview = rupture_preview(dossier, date, continues_at_cfa, new_contract, reason)
        rupture = _declare(dossier, preview, user, source)
        credit_note, letter, rupture = _settle(preview, rupture, user, stored_files)
    return rupture, credit_note, letter


def _settle(preview, rupture, user, stored_files):
    """Confirm `rupture` and apply `preview`: schedule, dossier, credit note, letter (caller's transaction)."""
    from workflows.credit_notes import create_credit_note
    from workflows.letters import issue_letter

    dossier, settlement = preview.dossier, preview.settlement
    done = {}

    def then(rupture):
        """Schedule, dossier, credit note and letter, in the confirmation's transaction."""
        before = audit.snapshot(dossier)
        apply_schedule(dossier, preview.cancelled_rows, preview.new_rows)
        dossier.rupture_date = rupture.date
        dossier.total_financed = settlement.due_gross
        dossier.employer_share = settlement.employer_share
        dossier.updated_at = dt.datetime.now()
        dossier.save()
        audit.record("dossier", dossier.id, "record_rupture", before, dossier, user=user,
                     note=f"rupture au {date_fr(rupture.date)} ; dû {montant(settlement.due)}")
        credit_note = None
        if settlement.credit_note > 0 and not dossier.is_stock:
            credit_note = create_credit_note(dossier, settlement.credit_note, "rupture", user=user)
        done["credit_note"] = credit_note
        done["letter"] = issue_letter(dossier, "rupture", _letter_context(preview, credit_note), user=user,
                                      stored_files=stored_files)

    rupture = apply(RUPTURE, "confirmer", rupture, user, within=then,
                    notice=lambda row: _confirmed_notice(preview, done.get("credit_note")),
                    changes=dict(due=settlement.due, credit_note_amount=settlement.credit_note,
                                 confirmed_by=user.id if user else None,
                                 confirmed_at=dt.datetime.now().replace(microsecond=0)))
    return done["credit_note"], done["letter"], rupture


def _confirmed_notice(preview, credit_note):
    dossier, settlement = preview.dossier, preview.settlement
    return (f"Rupture du contrat du dossier {dossier.number} confirmée au "
            f"{date_fr(preview.inputs['date'])} : montant dû {montant(settlement.due)}, "
            f"reste à régler {montant(settlement.remaining)}"
            + (f", avoir {credit_note.display_number} de {montant(credit_note.amount)}."
               if credit_note else "."))


def _letter_context(preview, credit_note):
    return dict(settlement=preview.settlement, rupture=preview.inputs, paid=preview.paid,
                new_rows=preview.new_rows, cancelled_rows=preview.cancelled_rows, credit_note=credit_note,
                kind_labels=dict(Installment.kind.choices))


@contextmanager
def transaction_with_files():
    """An immediate write transaction yielding a list of stored file names, deleted again on rollback."""
    stored_files = []
    try:
        with immediate_transaction():
            yield stored_files
    except Exception:
        _forget_files(stored_files)
        raise


def _forget_files(names):
    from infrastructure.storage import get_storage

    for name in names:
        try:
            get_storage().delete(name)
        except Exception:  # best effort: the transaction is already rolled back
            pass


__all__ = ["RuptureError", "RupturePreview", "RUPTURE_MACHINE", "rupture_preview", "declared_preview",
           "declare_rupture", "confirm_declared_rupture", "confirm_rupture", "declared_rupture", "plan_schedule",
           "apply_schedule", "paid_on", "credited_on", "check_engaged", "check_no_pending_invoice", "instructs",
           "transaction_with_files"]
