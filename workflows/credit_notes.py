"""Credit notes (*avoirs*, pro forma ``PRO-<n>``): issue, CFA upload, refund, overdue (SPEC §4–§5).

Every change runs in one transaction with its audit entry. Numbers come from the gapless
``credit_note`` counter, allocated in the same transaction as the insert: a failure after
allocation rolls the counter back too, so no number is ever lost.
"""
from decimal import Decimal

import rules
from models import CreditNote, Dossier, now
from models.states import OPEN_CREDIT_NOTE_STATES, CreditNoteState
from workflows import audit
from infrastructure.formatting import date_fr, montant
from workflows.notify import notify_organisation
from infrastructure.numbering import immediate_transaction, next_number
from workflows.state_machines import CREDIT_NOTE
from workflows.transitions import SYSTEM, TransitionRefused, apply
from infrastructure import clock

C = CreditNoteState
OPEN_STATES = OPEN_CREDIT_NOTE_STATES
STOCK_REFUSAL = ("Pas d'avoir sur un contrat en reprise de stock : la régularisation passe par la convention "
                 "régionale.")


class CreditNoteError(ValueError):
    """A credit note cannot be created or changed; the message is French and shown as is."""


def create_credit_note(dossier, amount, reason, user=None, issued_on=None, reason_detail=""):
    """Issue a credit note on `dossier` for `amount` euros (reason: rupture / amendment / end_of_contract).

    `amount` is a figure computed by rules/ (rupture settlement, amendment); a credit note issued by
    hand goes through `issue_for_overpayment`, which takes it from the dossier's balance.

    Safe to call inside the caller's transaction (it nests as a savepoint); on SQLite the caller's
    transaction should then be an `immediate_transaction()` so the counter lock is taken up front.
    """
    amount = rules.round_cents(Decimal(str(amount)))
    if amount <= 0:
        raise CreditNoteError("Le montant d'un avoir doit être strictement positif.")
    if reason not in ("rupture", "amendment", "end_of_contract"):
        raise CreditNoteError("Motif d'avoir inconnu.")
    if dossier.is_stock:
        raise CreditNoteError(STOCK_REFUSAL)
    issued_on = issued_on or clock.today()
    with immediate_transaction():
        # Re-read the organisation inside the transaction: its mode may just have changed.
        dossier = Dossier.get_by_id(dossier.id)
        organisation = dossier.organisation
        mode = organisation.credit_note_mode or rules.credit_notes.DEDUCTION
        number = next_number("credit_note")
        note = CreditNote.create(
            number=number, organisation=organisation, dossier=dossier, amount=amount, reason=reason,
            reason_detail=(reason_detail or "").strip(), settlement_mode=mode, state=C.TO_ISSUE, issued_on=issued_on,
            due_date=rules.refund_due_date(issued_on) if mode == rules.credit_notes.REFUND else None,
        )
        audit.record("credit_note", note.id, "create", None, note, user=user,
                     note=f"{note.display_number} – dossier {dossier.number}")
        if mode == rules.credit_notes.REFUND:
            how = (f"à rembourser par virement avant le {date_fr(note.due_date)} "
                   f"avec la référence {note.transfer_reference}")
        else:
            how = "qui sera déduit de vos prochains règlements"
        notify_organisation(organisation, f"Avoir {note.display_number} de {montant(amount)} émis sur le dossier "
                            f"{dossier.number}, {how}. Déposez votre avoir sur le portail.",
                            dossier=dossier, category="billing", user=None)
    return note


def overpayment_of(dossier):
    """(paid, due, credited, overpaid) of the dossier's teaching, from its one running balance."""
    from workflows.dossier_rules import dossier_balance

    teaching = dossier_balance(dossier).teaching
    return teaching.paid, teaching.committed, teaching.credited, teaching.overpaid


def issue_for_overpayment(dossier, reason, reason_detail, amount=None, user=None):
    """A credit note issued by hand: for what was paid beyond what is due (or less), with a reason; else refused."""
    reason_detail = (reason_detail or "").strip()
    if not reason_detail:
        raise CreditNoteError("Indiquez le motif de l'avoir : il est affiché au CFA.")
    if dossier.is_stock:
        raise CreditNoteError(STOCK_REFUSAL)
    with immediate_transaction():
        dossier = Dossier.get_by_id(dossier.id)
        paid, due, credited, _ = overpayment_of(dossier)
        try:
            amount = rules.credit_note_amount(paid, due, credited, requested=amount)
        except rules.CreditNoteRefused as exc:
            raise CreditNoteError(str(exc)) from None
        return create_credit_note(dossier, amount, reason, user=user, reason_detail=reason_detail)


def deposit_avoir(note, document, user):
    """The CFA uploaded its own avoir for `note` (→ deposee; a later upload is recorded, the state stays)."""
    with immediate_transaction():
        note = CreditNote.get_by_id(note.id)
        if note.state not in OPEN_STATES:
            raise CreditNoteError("Cet avoir est déjà soldé : aucun dépôt n'est plus attendu.")
        if note.state == C.TO_ISSUE:
            try:
                return apply(CREDIT_NOTE, "deposer", note, user, note=f"avoir déposé : {document.original_name}")
            except TransitionRefused as exc:
                raise CreditNoteError(f"Dépôt refusé : {exc}.") from None
        audit.record("credit_note", note.id, "deposit_again", None, None, user=user,
                     note=f"avoir déposé : {document.original_name}")
    return note


def mark_refunded(note, user):
    """The comptable recorded the refund transfer of a refund-mode credit note (→ remboursee)."""
    with immediate_transaction():
        note = CreditNote.get_by_id(note.id)
        if note.settlement_mode != rules.credit_notes.REFUND:
            raise CreditNoteError(f"L'avoir {note.display_number} est en mode déduction : il se solde "
                                  "sur un règlement, pas par un remboursement.")
        if note.state not in OPEN_STATES:
            raise CreditNoteError(f"L'avoir {note.display_number} est déjà soldé.")
        try:
            return apply(CREDIT_NOTE, "rembourser", note, user,
                         changes={"amount_settled": note.amount, "settled_at": now()},
                         notice=f"Remboursement de l'avoir {note.display_number} ({montant(note.amount)}) reçu. "
                                "Merci.")
        except TransitionRefused as exc:
            raise CreditNoteError(f"Remboursement refusé : {exc}.") from None


def mark_overdue_credit_notes(today=None):
    """Refund-mode credit notes past their 15 days → en_retard (a system transition). Returns how many changed."""
    today = today or clock.today()
    changed = 0
    candidates = list(CreditNote.select()
                      .where((CreditNote.settlement_mode == rules.credit_notes.REFUND)
                             & CreditNote.state.in_(C.values(C.TO_ISSUE, C.DEPOSITED))))
    for note in candidates:
        if not rules.is_overdue(note.issued_on, today, settled=False, mode=note.settlement_mode):
            continue
        try:
            with immediate_transaction():
                apply(CREDIT_NOTE, "mettre_en_retard", note, SYSTEM, notice=(
                    f"Le remboursement de l'avoir {note.display_number} ({montant(note.amount - note.amount_settled)}) "
                    f"était attendu le {date_fr(note.due_date)}. Merci de faire le virement avec la référence "
                    f"{note.transfer_reference}."))
        except TransitionRefused:  # settled meanwhile
            continue
        changed += 1
    return changed


def overdue_credit_notes(organisation_ids):
    """Refunds past due for these organisations — for the portal dashboard's *actions à mener*."""
    if not organisation_ids:
        return CreditNote.select().where(CreditNote.id == -1)
    return (CreditNote.select()
            .where(CreditNote.organisation.in_(list(organisation_ids)) & (CreditNote.state == C.OVERDUE))
            .order_by(CreditNote.due_date))


def refunds_to_issue(organisation_ids):
    """Open refund-mode credit notes (to transfer) for these organisations, oldest due first."""
    if not organisation_ids:
        return CreditNote.select().where(CreditNote.id == -1)
    return (CreditNote.select()
            .where(CreditNote.organisation.in_(list(organisation_ids))
                   & (CreditNote.settlement_mode == rules.credit_notes.REFUND)
                   & CreditNote.state.in_(OPEN_STATES))
            .order_by(CreditNote.due_date))


def deductible_credit_notes(organisation):
    """Deduction-mode credit notes with something left, oldest first (the order rules.apply_deductions expects)."""
    return list(CreditNote.select()
                .where((CreditNote.organisation == organisation)
                       & (CreditNote.settlement_mode == rules.credit_notes.DEDUCTION)
                       & CreditNote.state.in_(OPEN_STATES))
                .order_by(CreditNote.issued_on, CreditNote.number))
