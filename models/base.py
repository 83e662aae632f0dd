"""Database proxy, base model and the money field shared by every table."""
import datetime as dt
import json
from decimal import Decimal

from peewee import BigIntegerField, CharField, DatabaseProxy, Model, PostgresqlDatabase, TextField

from rules.money import from_cents, to_cents

db = DatabaseProxy()


def is_postgres():
    """True when the bound database is PostgreSQL (row locks, COPY, to_char), False for SQLite."""
    return isinstance(db.obj, PostgresqlDatabase)


def now():
    return dt.datetime.now().replace(microsecond=0)


class MoneyField(BigIntegerField):
    """Integer cents in the database, Decimal euros in Python."""

    def db_value(self, value):
        if value is None:
            return None
        return to_cents(Decimal(str(value)))

    def python_value(self, value):
        if value is None:
            return None
        return from_cents(value)


class ByteOrderCharField(CharField):
    """Text compared byte by byte on PostgreSQL too (COLLATE "C"), as SQLite does: a prefix becomes an index
    range (`key >= 'dup' AND key < 'duq'`) that a linguistic collation, which skips spaces, would not respect."""

    def ddl(self, ctx):
        self.collation = '"C"' if is_postgres() else None
        return super().ddl(ctx)


class JSONField(TextField):
    """JSON document stored as text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)

    def python_value(self, value):
        return None if value in (None, "") else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
