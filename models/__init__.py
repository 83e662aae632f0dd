"""Tables of Portail CFA. `MODELS` lists them in dependency order."""
from peewee import _savepoint
from playhouse.db_url import connect

from .audit import AuditEntry
from .bank_details import BankDetails
from .counters import DossierCounter
from .base import BaseModel, JSONField, MoneyField, db, is_postgres, now
from .billing import (Counter, CreditNote, IdempotencyRecord, Invoice, InvoiceEvent, InvoiceLine, Payment,
                      PaymentDeduction, PaymentLine)
from .documents import Document, Letter, Notification, OutboxEmail
from .exports import ExportRequest
from .dossier import (Amendment, Apprentice, Dossier, ExpiredSettlement, IdccCpne, Installment,
                      NpecReference, Rupture, StockVerification)
from .organisation import Delegation, Employer, Organisation
from .proposal import ApiKey, ContractProposal, ProposalStep
from .news import OpcoNews, OpcoNewsRead, OpcoNewsTarget
from .settings import HelpdeskContact, SchemaVersion, SmicRate
from .token import OneTimeToken
from .user import Membership, User, new_session_token
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

MODELS = [
    SchemaVersion, Counter, SmicRate, HelpdeskContact,
    Organisation, Employer, Delegation,
    User, Membership, OneTimeToken,
    Apprentice, Dossier, DossierCounter, Installment, NpecReference, IdccCpne,
    Rupture, Amendment, ExpiredSettlement, StockVerification,
    BankDetails, Invoice, InvoiceLine, InvoiceEvent, CreditNote,
    Payment, PaymentLine, PaymentDeduction, IdempotencyRecord,
    ContractProposal, ProposalStep, ApiKey,
    Document, Letter, Notification, OutboxEmail,
    WebhookEndpoint, WebhookDelivery, WebhookAttempt,
    ExportRequest,
    OpcoNews, OpcoNewsTarget, OpcoNewsRead,
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
        return _track_savepoints(connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE"))
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return _track_savepoints(connect(url, autorollback=True))


class _TrackedSavepoint(_savepoint):
    """peewee runs `after_commit` callbacks when the outer transaction commits, even those registered inside a
    savepoint rolled back meanwhile (a nested atomic() that failed): this one drops them with the savepoint, so a
    job queued for a change that was undone is never queued (infrastructure.jobs.enqueue_after_commit)."""

    def __enter__(self):
        self._callbacks_before = len(self.db._state.commit_callbacks)
        return super().__enter__()

    def rollback(self, begin=True):
        super().rollback(begin)
        del self.db._state.commit_callbacks[self._callbacks_before:]


def _track_savepoints(database):
    database.savepoint = lambda: _TrackedSavepoint(database)
    return database


def bind(url):
    database = make_database(url)
    db.initialize(database)
    return database


from .migrations import (create_schema, fill_apprentice_name_keys, migrate_schema, refresh_planner_statistics,  # noqa: E402
                         SCHEMA_VERSION)

__all__ = [name for name in dir() if not name.startswith("_")]
