"""The schema version the database is at (see models/migrations.py), and the dated settings the OPCO keeps."""
import datetime
from decimal import Decimal

from peewee import CharField, DateField, IntegerField

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


class HelpdeskContact(BaseModel):
    """How CFAs reach the OPCO's customer relations centre (seed 001 *Contacter le Centre de Relation Client*):
    one row, shown in every portal page's footer and on the help page, kept by staff admins in the back office."""

    phone = CharField(max_length=30)
    email = CharField(max_length=254)
    hours = CharField(max_length=120, default="")

    class Meta:
        table_name = "helpdesk_contact"

    def __str__(self):
        return f"Centre de relation client ({self.phone})"


HELPDESK_SEED = {"phone": "01 23 45 67 89", "email": "relation-cfa@opco.test",
                 "hours": "du lundi au vendredi, de 9 h à 17 h"}


def seed_helpdesk_contact():
    """A new database starts with a contact the OPCO then corrects (Référentiels → Contact du centre de relation)."""
    if not HelpdeskContact.select().exists():
        HelpdeskContact.create(**HELPDESK_SEED)


def helpdesk_contact():
    """The contact shown to CFAs (the first row; a blank one when the table is empty)."""
    return HelpdeskContact.select().order_by(HelpdeskContact.id).first() or HelpdeskContact(phone="", email="", hours="")
