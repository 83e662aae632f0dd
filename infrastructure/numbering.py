"""Gapless numbering: a counter row updated inside the caller's transaction.

Call `next_number(series)` inside `db.atomic()` together with the insert that uses the number:
if the transaction fails, the counter rolls back too, so no number is lost. On SQLite the
transaction must be IMMEDIATE (`db.atomic("IMMEDIATE")` or `immediate_transaction()`), which
takes the write lock up front; on PostgreSQL the counter row is locked with SELECT … FOR UPDATE.
"""
import random
import time
from contextlib import contextmanager

from peewee import OperationalError

from models import Counter, db, is_postgres



@contextmanager
def immediate_transaction():
    """A write transaction that takes its lock at once (SQLite) — safe for counters."""
    if is_postgres():
        with db.atomic() as txn:
            yield txn
    else:
        if db.in_transaction():
            with db.atomic() as txn:
                yield txn
        else:
            with db.atomic("IMMEDIATE") as txn:
                yield txn


# SQLite busy past its timeout; PostgreSQL serialization failure (40001) or deadlock (40P01).
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
_BUSY_PGCODES = ("40001", "40P01")


def is_busy(exc):
    """True when `exc` says the database was busy: the same write can succeed if tried again."""
    if not isinstance(exc, OperationalError):
        return False
    orig = getattr(exc, "orig", None)
    if getattr(orig, "pgcode", None) in _BUSY_PGCODES:
        return True
    return any(message in str(exc).lower() for message in _BUSY_MESSAGES)


def retry_when_busy(write, attempts=4, delay=0.05):
    """Run `write()` (one whole transaction) again, a few times with a short backoff, while the database is busy.

    Only for a callable whose transaction covers all its effects: a busy error rolled it back entirely.
    The last busy error is raised as is (the app answers it with a 503 "réessayez").
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError as exc:
            if attempt == attempts or not is_busy(exc) or db.in_transaction():
                raise
            time.sleep(delay * (2 ** (attempt - 1)) * (1 + random.random()))


def next_number(series: str) -> int:
    """Allocate the next number of `series`; must run inside immediate_transaction()."""
    if is_postgres():
        db.execute_sql("INSERT INTO counter (name, value) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING", (series,))
        cursor = db.execute_sql("UPDATE counter SET value = value + 1 WHERE name = %s RETURNING value", (series,))
        return cursor.fetchone()[0]
    Counter.insert(name=series, value=0).on_conflict_ignore().execute()
    Counter.update(value=Counter.value + 1).where(Counter.name == series).execute()
    return Counter.get_by_id(series).value
