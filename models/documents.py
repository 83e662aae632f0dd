"""Uploaded documents, generated letters and notifications."""
from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .bank_details import BankDetails
from .base import BaseModel, now
from .billing import CreditNote, Invoice
from .dossier import Dossier
from .organisation import Organisation
from .proposal import ContractProposal
from .user import User

DOCUMENT_TYPES = [
    ("convention", "Convention de formation"),
    ("cerfa", "CERFA"),
    ("avenant", "Avenant"),
    ("certificat", "Certificat de réalisation"),
    ("facture", "Facture"),
    ("justificatif", "Justificatif"),
    ("rib", "RIB"),
    ("avoir", "Avoir"),
    ("autre", "Autre"),
    ("recepisse", "Récépissé de demande de remboursement"),
    ("mandat", "Mandat de gestion de l'employeur"),
    ("piece_identite", "Pièce d'identité de l'apprenti"),
    ("autorisation", "Autorisation du représentant légal"),
    ("derogation", "Dérogation / justificatif RQTH"),
]


class Document(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="documents", on_delete="RESTRICT")
    dossier = ForeignKeyField(Dossier, null=True, backref="documents", on_delete="RESTRICT")
    invoice = ForeignKeyField(Invoice, null=True, backref="documents", on_delete="RESTRICT")
    credit_note = ForeignKeyField(CreditNote, null=True, backref="documents", on_delete="RESTRICT")
    bank_details = ForeignKeyField(BankDetails, null=True, backref="documents", on_delete="RESTRICT")
    proposal = ForeignKeyField(ContractProposal, null=True, backref="documents", on_delete="RESTRICT")
    doc_type = CharField(max_length=14, choices=DOCUMENT_TYPES)
    original_name = CharField(max_length=255)
    stored_name = CharField(max_length=80, unique=True)
    content_type = CharField(max_length=60, default="application/pdf")
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    uploaded_at = DateTimeField(default=now)

    def __str__(self):
        return self.original_name

    def get_type_display(self):
        return dict(DOCUMENT_TYPES).get(self.doc_type, self.doc_type)


class Letter(BaseModel):
    dossier = ForeignKeyField(Dossier, backref="letters", on_delete="RESTRICT")
    kind = CharField(max_length=20)  # accord, relance, refus, rupture, avenant, ...
    title = CharField(max_length=120)
    stored_name = CharField(max_length=80, unique=True)
    sha256 = CharField(max_length=64)
    size = BigIntegerField(default=0)
    issued_at = DateTimeField(default=now)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    def __str__(self):
        return f"{self.title} – {self.dossier.number}"


class Notification(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="notifications", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="notifications", on_delete="CASCADE")
    dossier = ForeignKeyField(Dossier, null=True, backref="notifications", on_delete="CASCADE")
    category = CharField(max_length=20, default="dossier")
    message = TextField()
    read_at = DateTimeField(null=True)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("organisation", "read_at"), False), (("organisation", "created_at"), False))


class OutboxEmail(BaseModel):
    """Every email is written here first; with MAIL_SERVER set, infrastructure.mail sends it after commit."""

    recipient = CharField(max_length=254)
    subject = CharField(max_length=200)
    body = TextField()
    html_body = TextField(null=True)
    created_at = DateTimeField(default=now)
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    claimed_at = DateTimeField(null=True)  # a worker is sending it; stale after infrastructure.mail.CLAIM_TIMEOUT
