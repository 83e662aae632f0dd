"""French display of amounts and dates, used as Jinja filters and in exports."""
import datetime as dt
from decimal import Decimal, ROUND_HALF_UP

NBSP = "\u00a0"


def montant(value, currency=True):
    """26247 -> '26 247,00 €' (never through float)."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = f"{sign}{NBSP.join(groups)},{cents}"
    return f"{text}{NBSP}€" if currency else text


def date_fr(value):
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def parse_date_fr(text):
    """Accept jj/mm/aaaa or ISO; return a date or None."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
