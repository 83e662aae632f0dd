"""Money helpers: euros as ``Decimal``, rounded half-up to the cent (SPEC §5).

Storage uses integer cents (peewee's DecimalField rounds half-even and SQLite
keeps floats), display uses the French format ``26 247,00 €``.
"""
import re
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


MAX_AMOUNT = Decimal("10000000")  # 10 M€: far above any real figure, keeps cents well inside a 64-bit column
_TYPED_AMOUNT = re.compile(r"[-+]?(\d+([.]\d*)?|[.]\d+)")


def read_amount(text, maximum=MAX_AMOUNT, exact_cents=False) -> Decimal:
    """A typed amount in euros, bounded: the one reader behind every money input (empty means zero).

    Raises ValueError with a French message for text that is not a plain number (no exponent, at most 40
    characters), for an amount beyond ±`maximum`, and — with `exact_cents` — for fractions of a cent.
    """
    cleaned = str(text or "").strip().replace(NBSP, "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace("€", "").replace(",", ".")
    if not cleaned:
        return ZERO
    if len(cleaned) > 40 or not _TYPED_AMOUNT.fullmatch(cleaned):
        raise ValueError("Montant invalide : saisissez un nombre comme 1 234,56.")
    value = Decimal(cleaned)
    if abs(value) > maximum:
        raise ValueError(f"Montant hors limites ({format_eur(maximum)} au plus).")
    if exact_cents and value != value.quantize(CENT):
        raise ValueError("Un montant s'exprime au centime près.")
    return round_cents(value)
