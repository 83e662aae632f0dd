"""Money invariants of billing, over random sequences of invoices, credit notes and payments.

Stated precisely, for every payment:   gross = Σ its lines,   net = gross − deductions ≥ 0,
                                        deductions = Σ its PaymentDeduction rows;
for every dossier:                      paid (Σ payment lines on it, i.e. cash paid + credit notes absorbed)
                                        never exceeds invoiced (Σ its lines on invoices not rejected), and
                                        equals it once none of its invoices waits for payment;
for every credit note:                  0 ≤ amount_settled = Σ its deductions ≤ amount (imputee iff fully);
for the organisation:                   Σ net (cash) + Σ deductions (credited) = Σ gross ≤ Σ invoiced.
"""
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from workflows import invoice_workflow as workflow
from workflows.credit_notes import create_credit_note
from workflows.payments import PaymentError, payable_invoices, record_payment
from tests.factories import BIC, IBAN, comptable

TOUCHED = [models.PaymentDeduction, models.PaymentLine, models.Payment, models.InvoiceEvent, models.InvoiceLine,
           models.Invoice, models.CreditNote, models.BankDetails, models.Notification, models.AuditEntry,
           models.Counter, models.Installment, models.Dossier, models.Apprentice, models.Employer,
           models.Organisation]


def _reset():
    """Each example starts empty (plain DELETEs: a TRUNCATE per example is slow on PostgreSQL)."""
    for model in TOUCHED:
        model.delete().execute()

cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
steps = st.lists(st.one_of(
    st.tuples(st.just("invoice"), st.integers(0, 2), cents, cents),
    st.tuples(st.just("validate"), st.integers(0, 20)),
    st.tuples(st.just("reject"), st.integers(0, 20)),
    st.tuples(st.just("credit"), st.integers(0, 2), cents),
    st.tuples(st.just("pay"), st.integers(1, 7)),
), min_size=1, max_size=25)



@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_payments_never_pay_more_than_invoiced_and_lines_add_up(db, steps):
    _reset()
    org = models.Organisation.create(siret="11111111100011", name="CFA Propriétés")
    employer = models.Employer.create(siret="22222222200022", name="Employeur")
    apprentice = models.Apprentice.create(birth_name="NOM", first_name="Prénom", birth_date="2004-01-01")
    dossiers = [models.Dossier.create(number=f"D{i}", organisation=org, employer=employer, apprentice=apprentice,
                                      state="engage", conclusion_date="2025-08-01", contract_start="2025-09-01",
                                      contract_end="2027-08-31") for i in range(3)]
    details = models.BankDetails.create(organisation=org, iban=IBAN, bic=BIC, holder="CFA")
    models.BankDetails.update(status="approved").where(models.BankDetails.id == details.id).execute()
    key = 0
    for step in steps:
        kind = step[0]
        if kind == "invoice":
            _, d, a, b = step
            workflow.create_invoice(org, [dict(dossier=dossiers[d], nature="teaching", quantity=1, amount=a),
                                          dict(dossier=dossiers[(d + 1) % 3], nature="meals", quantity=1, amount=b)])
        elif kind in ("validate", "reject"):
            waiting = list(models.Invoice.select().where(models.Invoice.state == "en_traitement")
                           .order_by(models.Invoice.id))
            if waiting:
                target = waiting[step[1] % len(waiting)]
                workflow.validate(target, comptable()) if kind == "validate" else workflow.reject(target, "motif", comptable())
        elif kind == "credit":
            create_credit_note(dossiers[step[1]], step[2], "rupture")
        elif kind == "pay":
            ready = payable_invoices(org)[: step[1]]
            key += 1
            try:
                record_payment(org, [i.id for i in ready], f"k{key}", user=comptable())
            except PaymentError:
                assert not ready

    for payment in models.Payment.select():
        lines = sum((l.amount for l in payment.lines), Decimal("0.00"))
        deducted = sum((d.amount for d in payment.deduction_lines), Decimal("0.00"))
        assert payment.gross == lines
        assert payment.deductions == deducted
        assert payment.net == payment.gross - payment.deductions >= 0

    for dossier in dossiers:
        invoiced = sum((l.amount for l in models.InvoiceLine.select().join(models.Invoice).where(
            (models.InvoiceLine.dossier == dossier) & (models.Invoice.state != "rejetee"))), Decimal("0.00"))
        paid = sum((l.amount for l in models.PaymentLine.select().where(models.PaymentLine.dossier == dossier)),
                   Decimal("0.00"))
        assert paid <= invoiced
        unpaid = models.Invoice.select().join(models.InvoiceLine).where(
            (models.InvoiceLine.dossier == dossier) & models.Invoice.state.in_(("en_traitement", "validee"))).exists()
        if not unpaid:
            assert paid == invoiced

    for note in models.CreditNote.select():
        absorbed = sum((d.amount for d in note.deductions), Decimal("0.00"))
        assert Decimal("0.00") <= note.amount_settled == absorbed <= note.amount
        assert (note.state == "imputee") == (note.amount_settled == note.amount)

    gross = sum((p.gross for p in models.Payment.select()), Decimal("0.00"))
    net = sum((p.net for p in models.Payment.select()), Decimal("0.00"))
    deductions = sum((p.deductions for p in models.Payment.select()), Decimal("0.00"))
    invoiced_total = sum((i.total_ttc for i in models.Invoice.select().where(models.Invoice.state != "rejetee")),
                         Decimal("0.00"))
    assert net + deductions == gross <= invoiced_total
