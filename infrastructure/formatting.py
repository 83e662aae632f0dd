"""The one French display of values, on Babel: pages, PDFs, e-mails, CSV exports and the back office.

Amounts read `26 247,00 €`: Babel's fr_FR pattern, with U+00A0 (no-break space) both between thousands and
before the euro sign. Babel's fr_FR data puts a narrow no-break space (U+202F) between thousands, for which the
PDFs' standard fonts have no glyph, so one character is used everywhere (infrastructure.sql_format writes the same text
from the database). Dates read `jj/mm/aaaa`, date-times
`jj/mm/aaaa HH:MM`, booleans `Oui` / `Non`. No Flask import: the workflows and the CLI use it too.
"""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from rules.money import from_cents

LOCALE = Locale.parse("fr_FR")  # parsed once: Babel parses a locale name again on every call (1 ms a date)
NBSP = "\u00a0"
NNBSP = "\u202f"
CENT = Decimal("0.01")
DATE_FORMAT = "%d/%m/%Y"  # strptime side of `jj/mm/aaaa`
XLSX_DATE_FORMAT = "DD/MM/YYYY"
XLSX_DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
XLSX_EURO_FORMAT = '#,##0.00\\ "€";\\-#,##0.00\\ "€"'  # Excel shows it with the reader's own separators


def to_decimal(value):
    """Euros as a Decimal rounded half-up to the cent (SPEC §5), None when there is no amount."""
    if value is None or value == "":
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def montant(value, currency=True):
    """26247 -> '26 247,00 €'; -12.5 -> '-12,50 €'; None -> ''. Never through float arithmetic."""
    amount = to_decimal(value)
    if amount is None:
        return "" if value is None or value == "" else str(value)
    text = format_decimal(amount, format="#,##0.00", locale=LOCALE).replace(NNBSP, NBSP)
    text = text.replace("\u2212", "-")  # some CLDR versions use the minus sign character
    return f"{text}{NBSP}€" if currency else text


def montant_cents(cents, currency=True):
    """An amount stored in cents (rules.money.from_cents converts), displayed like `montant`."""
    return "" if cents is None else montant(from_cents(cents), currency)


def date_fr(value):
    """A date as jj/mm/aaaa, a date-time as jj/mm/aaaa HH:MM, '' for nothing; other values as text."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return datetime_fr(value)
    if isinstance(value, dt.date):
        return format_date(value, "dd/MM/yyyy", locale=LOCALE)
    return str(value)


def datetime_fr(value):
    """jj/mm/aaaa HH:MM (no seconds, no time zone: the records are stored in the OPCO's local time)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return date_fr(value)
    return format_datetime(value, "dd/MM/yyyy HH:mm", locale=LOCALE)


def oui_non(value):
    """True -> 'Oui', False -> 'Non', None -> ''."""
    if value is None or value == "":
        return ""
    return "Oui" if value else "Non"


def parse_date_fr(text):
    """A date typed jj/mm/aaaa (or sent aaaa-mm-jj by a browser date picker); None when it is not one."""
    text = (text or "").strip() if isinstance(text, str) or text is None else str(text)
    if not text or len(text) > 10:
        return None
    for fmt in (DATE_FORMAT, "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def label(value, choices):
    """The French label of a code from a (code, label) list or a dict; an unknown code is shown as it is."""
    if value is None or value == "":
        return ""
    labels = choices if isinstance(choices, dict) else dict(choices)
    return str(labels.get(value, value))


def display(value):
    """Any value as a person reads it: amounts, dates, booleans in French; the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return oui_non(value)
    if isinstance(value, Decimal):
        return montant(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return date_fr(value)
    return str(value)
