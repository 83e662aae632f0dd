"""The generator's billing (issue 14, item 2): invoices, payments, credit notes, notifications and the target's
delegation in realistic proportions, consistent with each other and shown by the portal to the target's user."""
from decimal import Decimal

from peewee import fn

from commands.generate import _next_id, generate, make_siret
from commands.generate_billing import NOTIFICATIONS_PER_USER, generate_billing
from models import (CreditNote, Delegation, Dossier, Invoice, InvoiceLine, Notification, Payment, PaymentLine,
                    Counter)
from models.states import DelegationState

TARGET_SIRET = make_siret(23_456_789)
EMAIL = "banc-facturation@cfa.test"


def _generated(size=2000):
    first = _next_id(Dossier)
    result = generate(size, target_siret=TARGET_SIRET, share=0.9, target_user_email=EMAIL)
    return result, generate_billing(first, result["target_organisation"])


def test_about_a_third_of_the_dossiers_are_invoiced_and_the_paid_half_of_the_validated_ones_have_a_payment(db):
    result, billing = _generated()
    invoices = Invoice.select().count()
    assert billing["invoices"] == invoices and 0.30 <= invoices / 2000 <= 0.40
    states = dict(Invoice.select(Invoice.state, fn.COUNT(Invoice.id)).group_by(Invoice.state).tuples())
    assert set(states) == {"en_traitement", "en_attente", "validee", "payee", "rejetee"}
    assert 0.4 <= states["payee"] / (states["payee"] + states["validee"]) <= 0.6
    assert Payment.select().count() == states["payee"] == PaymentLine.select().count()
    assert InvoiceLine.select().count() == invoices
    # every payment pays its invoice's whole amount, to its organisation
    for line in PaymentLine.select().join(Payment).switch(PaymentLine).join(Invoice).limit(20):
        assert line.amount == line.invoice.total_ttc == line.payment.net > Decimal("0")
        assert line.payment.organisation_id == line.invoice.organisation_id
    assert 0 < CreditNote.select().count() <= invoices * 0.03
    # real numbering continues after the generated numbers
    assert Counter.get_by_id("invoice").value == Invoice.select(fn.MAX(Invoice.number)).scalar()


def test_the_target_manages_a_second_organisation_by_an_approved_delegation_and_its_user_has_notifications(
        db, make_client):
    result, billing = _generated()
    delegation = Delegation.get(Delegation.delegate == result["target_organisation"])
    assert delegation.state == DelegationState.APPROVED.value and delegation.delegator_id != delegation.delegate_id
    assert billing["notifications"] == NOTIFICATIONS_PER_USER == Notification.select().count()
    client = make_client(EMAIL)
    assert client.get("/portail/notifications").status_code == 200
    invoices = client.get("/portail/factures")
    assert invoices.status_code == 200 and "Payée" in invoices.get_data(as_text=True)
