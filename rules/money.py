"""Money helpers: euros as ``Decimal``, rounded half-up to the cent (SPEC §5).

Storage uses integer cents (peewee's DecimalField rounds half-even and SQLite
keeps floats), display uses the French format ``26 247,00 €``.
"""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NBSP = "\u00a0"


def round_cents(amount) -> Decimal:
    """Round an amount half-up to the cent (SPEC §5: "round half-up to the cent")."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount) -> int:
    """Euros (``Decimal``) to integer cents, rounding half-up first."""
    return int(round_cents(amount) * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents to euros with two decimals."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_eur(amount) -> str:
    """French display of an amount: ``26 247,00 €``, ``-12,50 €``.

    Thousands are separated, and the euro sign is preceded, by a U+00A0
    no-break space so that the amount never wraps.
    """
    value = round_cents(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"


def parse_eur(text) -> Decimal:
    """Read an amount typed the French or the English way (``1 234,5`` or ``1234.50``)."""
    if isinstance(text, Decimal):
        return round_cents(text)
    cleaned = str(text).replace(NBSP, "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace("€", "").replace(",", ".")
    return round_cents(Decimal(cleaned))
