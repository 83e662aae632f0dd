"""Back-office billing views: invoices, credit notes, payments and bank details.

Lists and exports are read-only; every state or money change is an action (list bulk action or
detail-page button, one code path in workflows/) reserved to a comptable or an admin.
"""
from models import BankDetails, CreditNote, Invoice, Payment

from .bank_details import BankDetailsView
from .credit_notes_payments import CreditNoteView, PaymentView
from .invoices import InvoiceView

VIEWS = [
    (InvoiceView, Invoice, "Factures", "Facturation"),
    (CreditNoteView, CreditNote, "Avoirs", "Facturation"),
    (PaymentView, Payment, "Règlements", "Facturation"),
    (BankDetailsView, BankDetails, "Coordonnées bancaires", "Facturation"),
]
