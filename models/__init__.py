"""Tables of Portail CFA. `MODELS` lists them in dependency order."""
from playhouse.db_url import connect

from .audit import AuditEntry
from .bank_details import BankDetails
from .counters import DossierCounter
from .base import BaseModel, JSONField, MoneyField, db, is_postgres, now
from .billing import (Counter, CreditNote, IdempotencyRecord, Invoice, InvoiceEvent, InvoiceLine, Payment,
                      PaymentDeduction, PaymentLine)
from .documents import Document, Letter, Notification, OutboxEmail
from .dossier import (Amendment, Apprentice, Dossier, ExpiredSettlement, IdccCpne, Installment,
                      NpecReference, Rupture)
from .organisation import Delegation, Employer, Organisation
from .proposal import ApiKey, ContractProposal, ProposalStep
from .settings import SchemaVersion, SmicRate
from .token import OneTimeToken
from .user import Membership, User, new_session_token
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

MODELS = [
    SchemaVersion, Counter, SmicRate,
    Organisation, Employer, Delegation,
    User, Membership, OneTimeToken,
    Apprentice, Dossier, DossierCounter, Installment, NpecReference, IdccCpne,
    Rupture, Amendment, ExpiredSettlement,
    BankDetails, Invoice, InvoiceLine, InvoiceEvent, CreditNote,
    Payment, PaymentLine, PaymentDeduction, IdempotencyRecord,
    ContractProposal, ProposalStep, ApiKey,
    Document, Letter, Notification, OutboxEmail,
    WebhookEndpoint, WebhookDelivery, WebhookAttempt,
    AuditEntry,
]

SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal",
                  "cache_size": -16000}


def make_database(url):
    """Build a peewee database from a URL; SQLite gets WAL, foreign keys and IMMEDIATE transactions.

    In WAL mode a transaction that began by reading and then writes, after another process
    committed, fails at once with "database is locked" (its snapshot is stale; the busy timeout
    does not apply). BEGIN IMMEDIATE takes the write lock up front, so every transaction waits its
    turn (busy_timeout) instead; reads outside transactions are not affected.
    """
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return connect(url, autorollback=True)


def bind(url):
    database = make_database(url)
    db.initialize(database)
    return database


from .migrations import create_schema, migrate_schema, SCHEMA_VERSION  # noqa: E402

__all__ = [name for name in dir() if not name.startswith("_")]
