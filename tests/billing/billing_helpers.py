"""Helpers for the billing tests: invoices in a given state, approved RIBs, PDFs, payments."""
import io
import re
from decimal import Decimal

from pypdf import PdfWriter

import models
from services import bank_details as bank_service
from services import invoice_workflow as workflow

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7630004000031234567890143"
BIC = "BNPAFRPPXXX"


def pdf_bytes():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_file(name="piece.pdf"):
    return (io.BytesIO(pdf_bytes()), name)


def invoice(organisation, dossier, amount="1000.00", state="en_traitement", lines=None):
    """An invoice created the way the portal creates one, then moved to `state` through the workflow."""
    lines = lines or [dict(dossier=dossier, nature="teaching", quantity=1, amount=Decimal(amount))]
    inv = workflow.create_invoice(organisation, lines, dossier=dossier)
    if state in ("validee", "payee"):
        inv = workflow.validate(inv)
    elif state == "en_attente":
        inv = workflow.put_on_hold(inv, "Certificat de réalisation manquant.")
    elif state == "rejetee":
        inv = workflow.reject(inv, "Période hors contrat.")
    return models.Invoice.get_by_id(inv.id)


def approved_bank(factory, organisation, iban=IBAN):
    """Bank details entered by the CFA and approved by a comptable."""
    details = models.BankDetails.create(organisation=organisation, iban=iban, bic=BIC, holder=organisation.name)
    return bank_service.approve(details, factory.staff("comptable"))


def admin_client(make_client, factory, role="comptable"):
    user = factory.staff(role)
    return make_client(user.email), user


PAYMENT_RECORD = "/admin/payment/enregistrer/"


def pay_in_back_office(client, org, invoices, date="15/03/2026", key=None):
    """Choose the invoices, then confirm the remittance shown (the two posts of the real pages).

    Returns the answer to the confirmation, or to the choice when it shows no remittance to confirm.
    """
    if key is None:
        page = client.get(f"{PAYMENT_RECORD}?organisation={org.id}").get_data(as_text=True)
        key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    choice = {"organisation": str(org.id), "submission_key": key, "invoices": [str(i.id) for i in invoices],
              "date": date}
    shown = client.post_form(PAYMENT_RECORD, choice)
    expected = re.search(r'name="expected_net"[^>]*value="([^"]*)"', shown.get_data(as_text=True))
    if expected is None:
        return shown
    return client.post_form(PAYMENT_RECORD, {**choice, "confirm": "1", "expected_net": expected.group(1)})
