"""Database proxy, base model and the money field shared by every table."""
import datetime as dt
import json
from decimal import Decimal, ROUND_HALF_UP

from peewee import BigIntegerField, DatabaseProxy, Model, TextField

db = DatabaseProxy()

CENT = Decimal("0.01")


def now():
    return dt.datetime.now().replace(microsecond=0)


class MoneyField(BigIntegerField):
    """Integer cents in the database, Decimal euros in Python."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        euros = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
        return int(euros * 100)

    def python_value(self, value):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


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
