"""Invoices, credit notes, payments and the gapless counters that number them."""
from peewee import (CharField, DateField, DateTimeField, ForeignKeyField, IntegerField,
                    TextField)

from .bank_details import BankDetails
from .base import BaseModel, JSONField, MoneyField, now
from .dossier import Dossier, Installment
from .organisation import Organisation
from .states import CreditNoteState, InvoiceState
from .user import User

INVOICE_STATES = InvoiceState.choices()
INVOICE_KINDS = [("reimbursement", "Demande de remboursement"), ("mass", "Facturation en masse")]
LINE_NATURES = [
    ("teaching", "Coût pédagogique"),
    ("uplift", "Majoration handicap (RQTH)"),
    ("lodging", "Hébergement"),
    ("meals", "Restauration"),
    ("first_equipment", "Premier équipement"),
    ("mobility", "Mobilité internationale"),
]
CREDIT_NOTE_STATES = CreditNoteState.choices()
CREDIT_NOTE_REASONS = [("rupture", "Rupture"), ("amendment", "Avenant"), ("end_of_contract", "Fin de contrat")]


class Counter(BaseModel):
    """One row per gapless series (invoice, credit_note, payment, receipt)."""

    name = CharField(max_length=30, primary_key=True)
    value = IntegerField(default=0)


class Invoice(BaseModel):
    number = IntegerField(null=True, unique=True)  # allocated when sent, never for drafts
    organisation = ForeignKeyField(Organisation, backref="invoices", on_delete="RESTRICT")
    dossier = ForeignKeyField(Dossier, null=True, backref="invoices", on_delete="RESTRICT")
    kind = CharField(max_length=14, choices=INVOICE_KINDS, default="reimbursement")
    state = CharField(max_length=14, choices=INVOICE_STATES, default=InvoiceState.DRAFT.value)
    period_start = DateField(null=True)
    period_end = DateField(null=True)
    total_ht = MoneyField(default=0)
    total_ttc = MoneyField(default=0)
    cfa_reference = CharField(max_length=60, default="")
    cfa_invoice_date = DateField(null=True)
    comment = TextField(default="")  # the CFA's comment on its invoice (seed 004 *Déposer votre facture*)
    terms_accepted_at = DateTimeField(null=True)
    hold_reason = TextField(default="")
    rejection_reason = TextField(default="")
    receipt_number = CharField(max_length=30, default="")
    draft = JSONField(null=True)  # mass-invoicing steps saved for later
    submission_key = CharField(max_length=64, null=True, unique=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    submitted_at = DateTimeField(null=True, index=True)  # the back office's sort
    validated_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)

    class Meta:
        # (organisation, id): the portal's list, newest first, one organisation's range at a time; one
        # (organisation, column, id) per other sort it offers (amount, invoice date), so no page sorts an organisation;
        # (organisation, kind, id): the portal's mass-invoicing history
        indexes = ((("organisation", "state"), False), (("dossier", "state"), False), (("organisation", "id"), False),
                   (("organisation", "total_ttc", "id"), False), (("organisation", "cfa_invoice_date", "id"), False),
                   (("organisation", "kind", "id"), False))

    def __str__(self):
        return self.display_number

    @property
    def display_number(self):
        return f"F{self.number:07d}" if self.number else f"Brouillon #{self.id}"


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    dossier = ForeignKeyField(Dossier, backref="invoice_lines", on_delete="RESTRICT")
    installment = ForeignKeyField(Installment, null=True, backref="invoice_lines", on_delete="SET NULL")
    nature = CharField(max_length=16, choices=LINE_NATURES)
    quantity = IntegerField(default=1)
    amount = MoneyField()
    period_start = DateField(null=True)
    period_end = DateField(null=True)

    class Meta:
        indexes = ((("dossier", "nature"), False),)


class InvoiceEvent(BaseModel):
    """State history of an invoice, shown to the CFA."""

    invoice = ForeignKeyField(Invoice, backref="events", on_delete="CASCADE")
    state = CharField(max_length=14, choices=INVOICE_STATES)
    note = TextField(default="")
    by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=now)


class CreditNote(BaseModel):
    number = IntegerField(unique=True)
    organisation = ForeignKeyField(Organisation, backref="credit_notes", on_delete="RESTRICT")
    dossier = ForeignKeyField(Dossier, backref="credit_notes", on_delete="RESTRICT")
    amount = MoneyField()
    amount_settled = MoneyField(default=0)
    reason = CharField(max_length=16, choices=CREDIT_NOTE_REASONS)
    reason_detail = TextField(default="")  # why, in the words shown to the CFA (credit notes issued by hand)
    settlement_mode = CharField(max_length=10, default="deduction")
    state = CharField(max_length=12, choices=CREDIT_NOTE_STATES, default=CreditNoteState.TO_ISSUE.value)
    issued_on = DateField()
    due_date = DateField(null=True)
    settled_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("organisation", "state"), False),)

    def __str__(self):
        return self.display_number

    @property
    def display_number(self):
        return f"PRO-{self.number}"

    @property
    def transfer_reference(self):
        return f"AVCAP PRO-{self.number}"


class Payment(BaseModel):
    reference = CharField(max_length=30, unique=True)
    organisation = ForeignKeyField(Organisation, backref="payments", on_delete="RESTRICT")
    bank_details = ForeignKeyField(BankDetails, backref="payments", on_delete="RESTRICT")
    date = DateField()
    mode = CharField(max_length=12, default="virement")
    gross = MoneyField()
    deductions = MoneyField(default=0)
    net = MoneyField()
    submission_key = CharField(max_length=64, unique=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)

    class Meta:
        # the portal's list, newest payment first, read on one organisation's range
        indexes = ((("organisation", "date", "id"), False),)

    def __str__(self):
        return self.reference


class PaymentLine(BaseModel):
    payment = ForeignKeyField(Payment, backref="lines", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, backref="payment_lines", on_delete="RESTRICT")
    dossier = ForeignKeyField(Dossier, backref="payment_lines", on_delete="RESTRICT")
    amount = MoneyField()


class PaymentDeduction(BaseModel):
    payment = ForeignKeyField(Payment, backref="deduction_lines", on_delete="CASCADE")
    credit_note = ForeignKeyField(CreditNote, backref="deductions", on_delete="RESTRICT")
    amount = MoneyField()


class IdempotencyRecord(BaseModel):
    """First answer given to a POST with an Idempotency-Key (API) or a form submission key."""

    key = CharField(max_length=100, unique=True)
    status = IntegerField(default=200)
    response = JSONField(null=True)
    created_at = DateTimeField(default=now, index=True)
    fingerprint = CharField(max_length=64, default="")  # sha256 of the request it answered (API)
    completed_at = DateTimeField(null=True)  # None while the first request is still being answered


