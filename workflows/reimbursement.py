"""Reimbursement requests (seed 001): build the rules' context from the database, check, then record.

The checks are rules.check_invoice; this module only gathers what the dossier already holds and writes
the accepted request (invoice, lines, documents, installments, audit, receipt) in one transaction.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

import rules
from models import Invoice, InvoiceEvent, InvoiceLine, db
from models.states import InvoiceState
from rules.engaged import engaged_annex_caps, request_total
from infrastructure import clock
from infrastructure.app_config import setting
from rules.money import from_cents
from workflows.audit import actor_user, record
from workflows.documents import save_document
from workflows.installments import sync_statuses
from workflows.dossier_rules import ACTIVE_INVOICE_STATES, as_rule_installments, stored_installments
from infrastructure.numbering import immediate_transaction, next_number
from workflows.ruptures import declared_rupture

ANNEX_NATURES = ("lodging", "meals", "first_equipment", "mobility")


@dataclass
class RequestData:
    """What the CFA typed (already parsed by the form)."""

    period_start: dt.date
    period_end: dt.date
    teaching_amount: Decimal
    nights: int
    lodging_amount: Decimal
    meals: int
    meals_amount: Decimal
    first_equipment_amount: Decimal
    mobility_amount: Decimal
    cfa_reference: str = ""
    terms_accepted: bool = False
    # The CFA's invoice (seed 004 *Déposer votre facture*): empty amounts and date take their defaults
    # (rules.declared_amounts: HT = total requested, TTC = HT; the date: the day of the deposit).
    invoice_date: dt.date | None = None
    amount_ht: Decimal | None = None
    amount_ttc: Decimal | None = None
    comment: str = ""

    @property
    def total(self):
        return request_total(self.teaching_amount, self.lodging_amount, self.meals_amount,
                             self.first_equipment_amount, self.mobility_amount)


def _line_sums(dossier):
    """Amounts already invoiced on the dossier by nature (invoices not rejected nor drafts)."""
    rows = (InvoiceLine.select(InvoiceLine.nature, fn.COALESCE(fn.SUM(InvoiceLine.amount), 0))
            .join(Invoice).where((InvoiceLine.dossier == dossier.id) & Invoice.state.in_(ACTIVE_INVOICE_STATES))
            .group_by(InvoiceLine.nature).tuples())
    return {nature: from_cents(cents) for nature, cents in rows}


def _teaching_periods(dossier):
    rows = (InvoiceLine.select(InvoiceLine.period_start, InvoiceLine.period_end).join(Invoice)
            .where((InvoiceLine.dossier == dossier.id) & Invoice.state.in_(ACTIVE_INVOICE_STATES)
                   & (InvoiceLine.nature == "teaching") & InvoiceLine.period_start.is_null(False)).tuples())
    return tuple((start, end) for start, end in rows)


def mobility_flat():
    value = setting("MOBILITY_FLAT_AMOUNT")
    return Decimal(str(value)) if value not in (None, "") else None


def build_context(dossier):
    """The rules' InvoiceContext of a dossier: schedule, invoiced so far, periods, caps."""
    sums = _line_sums(dossier)
    return rules.InvoiceContext(
        installments=as_rule_installments(stored_installments(dossier)),
        contract_start=dossier.contract_start,
        contract_end=dossier.contract_end,
        rupture_date=dossier.rupture_date,
        declared_rupture_date=getattr(declared_rupture(dossier), "date", None),
        invoiced_teaching=sums.get("teaching", Decimal("0")) + sums.get("uplift", Decimal("0")),
        teaching_periods=_teaching_periods(dossier),
        first_equipment_billed=sums.get("first_equipment", Decimal("0")) > 0,
        engaged_caps=engaged_annex_caps(dossier.cap_nights, dossier.cap_meals, dossier.cap_first_equipment,
                                        dossier.cap_mobility),
        annex_invoiced=rules.AnnexAmounts(**{n: sums.get(n, Decimal("0")) for n in ANNEX_NATURES}),
        mobility_flat=mobility_flat(),
    )


def as_rule_request(data, invoice_provided, certificate_provided):
    return rules.InvoiceRequest(
        period_start=data.period_start, period_end=data.period_end, teaching_amount=data.teaching_amount,
        nights=data.nights, lodging_amount=data.lodging_amount, meals=data.meals, meals_amount=data.meals_amount,
        first_equipment_amount=data.first_equipment_amount, mobility_amount=data.mobility_amount,
        certificate_provided=certificate_provided, invoice_pdf_provided=invoice_provided,
        terms_accepted=data.terms_accepted)


def declared_invoice(data, today=None):
    """The rules' DeclaredInvoice of what the CFA typed, empty fields given their defaults."""
    ht, ttc = rules.declared_amounts(data.amount_ht, data.amount_ttc, data.total)
    return rules.DeclaredInvoice(invoice_date=data.invoice_date or today or clock.today(), amount_ht=ht,
                                 amount_ttc=ttc)


def check(dossier, data, invoice_provided, certificate_provided, organisation=None):
    """Every refusal (rules.Refusal) of the request; an empty list means it can be accepted.

    `organisation` is the one that bills (its VAT liability decides the TTC); the dossier's when not given.
    """
    organisation = organisation or dossier.organisation
    today = clock.today()
    return (rules.check_invoice(as_rule_request(data, invoice_provided, certificate_provided), build_context(dossier))
            + rules.check_declared_invoice(declared_invoice(data, today), data.total, organisation.vat_liable, today))


def certificate_needed(dossier, data):
    """Whether this request needs the completion certificate (not for the first advance alone)."""
    from rules.invoice_checks import covers_first_advance_only
    return not covers_first_advance_only(as_rule_request(data, True, False), build_context(dossier))


def submit(dossier, data, invoice_file, certificate_file, user, submission_key=None, organisation=None,
           supporting_files=()):
    """Record an accepted request; files are (name, bytes) already checked. Returns the Invoice.

    `supporting_files` are the CFA's supporting documents (pièces justificatives), stored with the invoice.

    `user` is the actor (a User, or a Scope: an API key's). `organisation` is the one that bills (the current organisation, the delegate on a delegated dossier;
    workflows/delegations.py): it is the invoice's organisation and the one paid. Re-checks inside the write
    transaction that it may still bill the dossier and that two concurrent requests cannot both pass the ceiling.
    """
    from workflows.delegations import check_may_bill
    from workflows.receipts import store_receipt

    organisation = organisation or dossier.organisation
    organisation_id = organisation.id
    person = actor_user(user)  # a User, or None for an API key (the audit then names the key)
    with immediate_transaction():
        check_may_bill(organisation_id, [dossier.id])
        refusals = check(dossier, data, invoice_file is not None, certificate_file is not None, organisation)
        if refusals:
            raise RequestRefused(refusals)
        now = dt.datetime.now().replace(microsecond=0)
        declared = declared_invoice(data)
        invoice = Invoice.create(
            number=next_number("invoice"), organisation=organisation_id, dossier=dossier, kind="reimbursement",
            state=InvoiceState.PROCESSING, period_start=data.period_start, period_end=data.period_end,
            total_ht=declared.amount_ht, total_ttc=declared.amount_ttc, cfa_reference=(data.cfa_reference or "")[:60],
            cfa_invoice_date=declared.invoice_date, comment=(data.comment or "")[:2000], terms_accepted_at=now,
            created_by=person.id if person else None, submitted_at=now, submission_key=submission_key)
        lines = [("teaching", 1, data.teaching_amount), ("lodging", data.nights, data.lodging_amount),
                 ("meals", data.meals, data.meals_amount), ("first_equipment", 1, data.first_equipment_amount),
                 ("mobility", 1, data.mobility_amount)]
        for nature, quantity, amount in lines:
            if amount and amount > 0:
                InvoiceLine.create(invoice=invoice, dossier=dossier, nature=nature, quantity=max(quantity, 1),
                                   amount=amount, period_start=data.period_start, period_end=data.period_end)
        save_document(invoice_file[0], invoice_file[1], organisation_id, "facture", dossier=dossier,
                      invoice=invoice, user=user)
        if certificate_file is not None:
            save_document(certificate_file[0], certificate_file[1], organisation_id, "certificat",
                          dossier=dossier, invoice=invoice, user=user)
        for name, content in supporting_files:
            save_document(name, content, organisation_id, "justificatif", dossier=dossier, invoice=invoice, user=user)
        sync_statuses([dossier.id])
        InvoiceEvent.create(invoice=invoice, state=InvoiceState.PROCESSING, note="Demande de remboursement déposée",
                            by=person.id if person else None)
        record("invoice", invoice.id, "deposit", after=invoice, user=user,
               note=f"Demande de remboursement {invoice.display_number} sur le dossier {dossier.number}")
        invoice.receipt_number = f"R{next_number('receipt'):07d}"
        invoice.save(only=[Invoice.receipt_number])
        store_receipt(invoice, user=user, certificate_provided=certificate_file is not None)
    return invoice


class RequestRefused(Exception):
    def __init__(self, refusals):
        super().__init__("; ".join(r.message for r in refusals))
        self.refusals = refusals


__all__ = ["RequestData", "build_context", "check", "submit", "RequestRefused", "certificate_needed", "db"]
