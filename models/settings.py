"""The schema version the database is at (see models/migrations.py), and the dated settings the OPCO keeps."""
import datetime
from decimal import Decimal

from peewee import DateField, IntegerField

from .base import BaseModel, MoneyField


class SchemaVersion(BaseModel):
    version = IntegerField()


class SmicRate(BaseModel):
    """The SMIC from a date on (hourly and monthly gross): a setting the OPCO maintains, never a constant."""

    effective_from = DateField(unique=True)
    hourly = MoneyField()
    monthly = MoneyField()

    class Meta:
        table_name = "smic_rate"

    def __str__(self):
        return f"SMIC au {self.effective_from:%d/%m/%Y}"


# Rows a new database starts with; staff admins add the next ones in the back office (Paramètres → SMIC).
SMIC_SEED = (
    (datetime.date(2024, 11, 1), Decimal("11.88"), Decimal("1801.80")),
    (datetime.date(2026, 1, 1), Decimal("12.02"), Decimal("1823.03")),
)


def seed_smic_rates():
    """Insert the known rates when the table is empty (new database, or the migration that creates it)."""
    if not SmicRate.select().exists():
        for day, hourly, monthly in SMIC_SEED:
            SmicRate.create(effective_from=day, hourly=hourly, monthly=monthly)
