"""Payments (*règlements*) of validated invoices, with credit-note deductions and remittance (SPEC §5–§6).

One payment = one organisation, its approved bank details, some of its `validee` invoices. On a delegated
dossier the organisation paid is the one that billed, the delegate (workflows/delegations.py); a payment is
refused while the delegation of one of its dossiers is not (or no longer) approved.
gross = sum of the payment lines (one per invoice and dossier); deductions = what the organisation's
deduction-mode credit notes absorb (rules.apply_deductions, oldest first); net = gross − deductions.
A payment is recorded once per submission key: a repeat (double click, retry, another process)
returns the first payment and writes nothing.
"""
from collections import OrderedDict
from decimal import Decimal

from peewee import IntegrityError

import rules
from access.permissions import can
from models.states import InvoiceState
from models import (CreditNote, Dossier, Invoice, InvoiceLine, Organisation, Payment,
                    PaymentDeduction, PaymentLine, is_postgres, now)
from workflows import audit, webhooks
from workflows.bank_details import approved_bank_details
from workflows.credit_notes import deductible_credit_notes
from workflows.delegations import DelegationError, check_may_bill
from infrastructure.formatting import date_fr, montant
from workflows.installments import dossiers_of, sync_statuses
from workflows.invoice_workflow import InvoiceWorkflowError, pay
from workflows.notify import notify_organisation
from infrastructure.numbering import immediate_transaction, next_number
from workflows.state_machines import CREDIT_NOTE
from workflows.transitions import apply
from infrastructure import clock

class PaymentError(ValueError):
    """A payment refused; the French message says why."""


def payable_invoices(organisation):
    """The organisation's invoices that are good to pay, oldest first."""
    return list(Invoice.select().where((Invoice.organisation == organisation) & (Invoice.state == InvoiceState.VALIDATED))
                .order_by(Invoice.number))


def payment_lines_for(invoices):
    """(invoice, dossier_id, amount) per invoice and dossier, in invoice order — the structured remittance."""
    out = []
    for invoice in invoices:
        per_dossier = OrderedDict()
        for line in invoice.lines.order_by(InvoiceLine.id):
            per_dossier[line.dossier_id] = per_dossier.get(line.dossier_id, Decimal("0.00")) + line.amount
        if not per_dossier and invoice.dossier_id:
            per_dossier[invoice.dossier_id] = invoice.total_ttc
        for dossier_id, amount in per_dossier.items():
            out.append((invoice, dossier_id, rules.round_cents(amount)))
    return out


def preview(organisation, invoices):
    """What a payment of these invoices would be: gross, deductions per credit note, net."""
    lines = payment_lines_for(invoices)
    gross = sum((amount for _, _, amount in lines), Decimal("0.00"))
    notes = deductible_credit_notes(organisation)
    net, applied = rules.apply_deductions(gross, [(n.id, n.amount - n.amount_settled) for n in notes])
    by_id = {n.id: n for n in notes}
    return {"lines": lines, "gross": gross, "net": net, "deductions": gross - net,
            "applied": [(by_id[i], amount) for i, amount in applied]}



def record_payment(organisation, invoice_ids, submission_key, user=None, date=None, expected_net=None):
    """Record one payment; returns (payment, created). A known submission key returns the first payment.

    `expected_net` is the net the confirmation page showed: when the remittance computed under lock
    differs (a credit note deducted meanwhile…), nothing is recorded and the page is shown again.
    """
    if not can(user, "payment.record"):
        raise PaymentError("Seul un comptable ou un administrateur peut enregistrer un règlement.")
    submission_key = (submission_key or "").strip()
    if not submission_key:
        raise PaymentError("Formulaire incomplet : rechargez la page et recommencez.")
    existing = Payment.get_or_none(Payment.submission_key == submission_key)
    if existing:
        return existing, False
    invoice_ids = sorted({int(i) for i in invoice_ids})
    if not invoice_ids:
        raise PaymentError("Choisissez au moins une facture validée à régler.")
    try:
        with immediate_transaction():
            if is_postgres():
                # Payments of one organisation run one at a time: the second sees the first's rows.
                Organisation.select().where(Organisation.id == organisation.id).for_update().get()
            existing = Payment.get_or_none(Payment.submission_key == submission_key)
            if existing:
                return existing, False
            payment = _create(organisation, invoice_ids, submission_key, user, date or clock.today(),
                              expected_net)
    except IntegrityError:
        # A concurrent request with the same key won the race (its transaction committed first).
        existing = Payment.get_or_none(Payment.submission_key == submission_key)
        if existing:
            return existing, False
        raise
    return payment, True


def _create(organisation, invoice_ids, submission_key, user, date, expected_net=None):
    organisation = Organisation.get_by_id(organisation.id)
    bank = approved_bank_details(organisation)
    if bank is None:
        raise PaymentError(f"Règlement impossible : {organisation.name} n'a pas de coordonnées bancaires validées. "
                           "Le RIB doit être approuvé avant tout paiement.")
    invoices = list(Invoice.select().where(Invoice.id.in_(invoice_ids)).order_by(Invoice.number))
    if len(invoices) != len(invoice_ids):
        raise PaymentError("Une des factures choisies n'existe plus.")
    for invoice in invoices:
        if invoice.organisation_id != organisation.id:
            raise PaymentError(f"La facture {invoice.display_number} appartient à un autre organisme.")
        if invoice.state != InvoiceState.VALIDATED:
            label = InvoiceState.label_of(invoice.state)
            raise PaymentError(f"La facture {invoice.display_number} est « {label} » : seules les factures "
                               "validées peuvent être réglées.")
    try:
        check_may_bill(organisation.id, [line.dossier_id for invoice in invoices for line in invoice.lines]
                       + [invoice.dossier_id for invoice in invoices if invoice.dossier_id])
    except DelegationError as exc:
        raise PaymentError(f"Règlement impossible : {exc}") from None
    plan = preview(organisation, invoices)
    if expected_net is not None and plan["net"] != expected_net:
        raise PaymentError(f"Le règlement a changé depuis sa vérification : le net à verser est maintenant de "
                           f"{montant(plan['net'])} (au lieu de {montant(expected_net)}). Vérifiez-le avant de "
                           "confirmer.")
    reference = f"REG-{next_number('payment'):07d}"
    payment = Payment.create(reference=reference, organisation=organisation, bank_details=bank, date=date,
                             gross=plan["gross"], deductions=plan["deductions"], net=plan["net"],
                             submission_key=submission_key, created_by=user.id if user else None)
    for invoice, dossier_id, amount in plan["lines"]:
        PaymentLine.create(payment=payment, invoice=invoice, dossier=dossier_id, amount=amount)
    for note, amount in plan["applied"]:
        PaymentDeduction.create(payment=payment, credit_note=note, amount=amount)
        settled = note.amount_settled + amount
        if settled >= note.amount:
            apply(CREDIT_NOTE, "imputer", note, user, note=reference,
                  changes={"amount_settled": settled, "settled_at": now()})
        else:
            before = audit.snapshot(note)
            note.amount_settled = settled
            note.save(only=[CreditNote.amount_settled])
            audit.record("credit_note", note.id, "deduct_part", before, note, user=user, note=reference)
    dossier_ids = set()
    for invoice in invoices:
        try:
            pay(invoice, user, reference)
        except InvoiceWorkflowError as exc:  # changed since we read it: give up the whole payment
            raise PaymentError(f"{exc} Recommencez.") from None
        dossier_ids.update(dossiers_of(invoice))
    sync_statuses(dossier_ids)
    audit.record("payment", payment.id, "create", None, payment, user=user,
                 note=f"{len(invoices)} facture(s), brut {plan['gross']}, avoirs {plan['deductions']}")
    webhooks.payment_recorded(payment)
    deducted = f", dont {montant(plan['deductions'])} d'avoirs déduits" if plan["deductions"] else ""
    notify_organisation(organisation, f"Règlement {reference} de {montant(plan['net'])} émis le "
                        f"{date_fr(date)}{deducted}. L'avis de paiement est disponible dans vos règlements.",
                        category="billing")
    return payment


def remittance(payment):
    """Everything the avis de paiement shows: lines with invoice and dossier, deductions."""
    lines = list(PaymentLine.select(PaymentLine, Invoice, Dossier).join(Invoice).switch(PaymentLine)
                 .join(Dossier).where(PaymentLine.payment == payment).order_by(Invoice.number, Dossier.number))
    deductions = list(PaymentDeduction.select(PaymentDeduction, CreditNote, Dossier).join(CreditNote).join(Dossier)
                      .where(PaymentDeduction.payment == payment).order_by(CreditNote.number))
    return {"payment": payment, "lines": lines, "deductions": deductions}
