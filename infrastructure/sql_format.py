"""French formatting done by the database, for exports of a million rows (SQLite and PostgreSQL).

The same texts as infrastructure.formatting and rules.identifiers.mask_nir, computed in SQL so that the
export loop only hands tuples to the CSV writer.
"""
from peewee import SQL, Case, fn

from infrastructure.formatting import NBSP
from models import is_postgres

APOSTROPHE = "''''"  # the SQL literal for one apostrophe



def date_fr(column):
    """jj/mm/aaaa, or '' when empty."""
    text = fn.to_char(column, "DD/MM/YYYY") if is_postgres() else fn.strftime("%d/%m/%Y", column)
    return fn.COALESCE(text, "")


def montant(column):
    """Integer cents as infrastructure.formatting.montant writes them: '-26 247,00 €', '' when empty."""
    hundred = SQL("100")  # literals: a number next to a MoneyField would be converted to cents
    positive = fn.ABS(column)
    euros = positive / hundred  # integer division on both databases (integer operands)
    cents = positive - euros * hundred  # not `%`: peewee reads it as LIKE
    sign = Case(None, [(column < SQL("0"), "-")], "")
    if is_postgres():
        grouped = fn.REPLACE(fn.to_char(euros, "FM999,999,999,999,990"), ",", NBSP)
        text = fn.CONCAT(sign, grouped, ",", fn.LPAD(cents.cast("text"), 2, "0"), NBSP + "€")
    else:
        grouped = fn.REPLACE(fn.printf("%,d", euros), ",", NBSP)
        text = sign.concat(grouped).concat(fn.printf(",%02d", cents)).concat(NBSP + "€")
    return Case(None, [(column.is_null(), "")], text)  # SQLite's printf reads NULL as 0


def label(column, choices):
    """The French label of a coded value (the code itself when unknown)."""
    return Case(column, list(choices), column)


def masked_nir(column):
    """'2 92 07 •• ••• ••• ••' like rules.identifiers.mask_nir, '' when there is no NIR."""
    shown = (fn.SUBSTR(column, 1, 1).concat(" ").concat(fn.SUBSTR(column, 2, 2)).concat(" ")
             .concat(fn.SUBSTR(column, 4, 2)).concat(" •• ••• ••• ••"))
    return Case(None, [(fn.LENGTH(fn.COALESCE(column, "")) >= 5, shown)], "")


def csv_quoted(expression):
    """A CSV field quoted the RFC 4180 way ('"' doubled), so any text is safe between ';'.

    Text starting like a spreadsheet formula (= + - @) gets a leading apostrophe so that Excel shows
    it as text instead of running it (CSV injection); the export's values are never negative numbers.
    """
    text = fn.COALESCE(expression, "")
    formula = fn.SUBSTR(text, 1, 1).in_(["=", "+", "-", "@"])
    guarded = Case(None, [(formula, SQL(APOSTROPHE).concat(text))], text)
    return SQL("'\"'").concat(fn.REPLACE(guarded, '"', '""')).concat(SQL("'\"'"))


def csv_line(expressions, separator=";"):
    """One CSV line per row, built by the database: the export loop then only joins lines."""
    line = csv_quoted(expressions[0])
    for expression in expressions[1:]:
        line = line.concat(separator).concat(csv_quoted(expression))
    return line


def oui_non(column):
    """'Oui' / 'Non', '' when empty (infrastructure.formatting.oui_non)."""
    return Case(None, [(column.is_null(), ""), (column, "Oui")], "Non")


def as_text(column):
    """A number as its digits, '' when empty."""
    return fn.COALESCE(column.cast("text"), "")


FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def formula_safe(expression):
    """Text as typed, '' when empty, with a leading apostrophe when it starts like a spreadsheet formula
    (infrastructure.exports.spreadsheet_safe; here any text starting so, number-like or not)."""
    text = fn.COALESCE(expression, "")
    return Case(None, [(fn.SUBSTR(text, 1, 1).in_(FORMULA_STARTS), SQL(APOSTROPHE).concat(text))], text)


def name_and_siret(name, siret):
    """'Nom (SIRET)' as Organisation.__str__ and Employer.__str__ write it, never a formula."""
    return formula_safe(fn.COALESCE(name, "").concat(" (").concat(fn.COALESCE(siret, "")).concat(")"))
