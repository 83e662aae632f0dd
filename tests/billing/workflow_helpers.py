"""Helpers for the billing-workflow tests: installments of a dossier, invoices paid in one step.

The record builders are in tests/factories.py.
"""
import datetime as dt
from decimal import Decimal

import models


def installments(dossier, status=None):
    query = models.Installment.select().where(models.Installment.dossier == dossier.id).order_by(
        models.Installment.number)
    if status:
        query = query.where(models.Installment.status == status)
    return list(query)


def invoice_and_pay(dossier, count, paid=True):
    """Invoice the first `count` open installments in one invoice, and pay it when `paid`."""
    items = installments(dossier, "to_invoice")[:count]
    total = sum((i.amount for i in items), Decimal("0.00"))
    invoice = models.Invoice.create(organisation=dossier.organisation_id, dossier=dossier.id, kind="reimbursement",
                                    state="payee" if paid else "en_traitement", total_ht=total, total_ttc=total,
                                    number=models.Invoice.select().count() + 1000)
    for item in items:
        models.InvoiceLine.create(invoice=invoice, dossier=dossier.id, installment=item.id, nature="teaching",
                                  amount=item.amount, period_start=item.period_start, period_end=item.period_end)
        item.status = "paid" if paid else "invoiced"
        item.save()
    if paid:
        bank = models.BankDetails.create(organisation=dossier.organisation_id, iban="FR7630006000011234567890189",
                                         bic="AGRIFRPP", holder="CFA", status="approved")
        payment = models.Payment.create(reference=f"REG{invoice.id:05d}", organisation=dossier.organisation_id,
                                        bank_details=bank, date=dt.date(2026, 1, 15), gross=total, net=total,
                                        submission_key=f"pay-{invoice.id}")
        models.PaymentLine.create(payment=payment, invoice=invoice, dossier=dossier.id, amount=total)
    return invoice, total

