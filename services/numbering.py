"""Gapless numbering: a counter row updated inside the caller's transaction.

Call `next_number(series)` inside `db.atomic()` together with the insert that uses the number:
if the transaction fails, the counter rolls back too, so no number is lost. On SQLite the
transaction must be IMMEDIATE (`db.atomic("IMMEDIATE")` or `immediate_transaction()`), which
takes the write lock up front; on PostgreSQL the counter row is locked with SELECT … FOR UPDATE.
"""
from contextlib import contextmanager

from peewee import PostgresqlDatabase

from models import Counter, db


def _is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


@contextmanager
def immediate_transaction():
    """A write transaction that takes its lock at once (SQLite) — safe for counters."""
    if _is_postgres():
        with db.atomic() as txn:
            yield txn
    else:
        if db.in_transaction():
            with db.atomic() as txn:
                yield txn
        else:
            with db.atomic("IMMEDIATE") as txn:
                yield txn


def next_number(series: str) -> int:
    """Allocate the next number of `series`; must run inside immediate_transaction()."""
    if _is_postgres():
        db.execute_sql("INSERT INTO counter (name, value) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING", (series,))
        cursor = db.execute_sql("UPDATE counter SET value = value + 1 WHERE name = %s RETURNING value", (series,))
        return cursor.fetchone()[0]
    Counter.insert(name=series, value=0).on_conflict_ignore().execute()
    Counter.update(value=Counter.value + 1).where(Counter.name == series).execute()
    return Counter.get_by_id(series).value
