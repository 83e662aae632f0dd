"""Back-office CSV exports formatted by the database, like the portal's (infrastructure.sql_format).

Flask-Admin's export builds a model instance per row and formats each cell in Python (10k rows/s): a million
dossiers took 97 s. A view that mixes in SqlCsvExport selects one French text per column instead — amounts,
dates, Oui/Non and labels written by the database — on the list's own query (filters, search, sort), and the
export loop hands each batch of tuples to the C CSV writer. Same header, same cells, same quoting as the
Python path; the XLSX export keeps typed cells (infrastructure.exports.xlsx_cell).
"""
import csv
import io

from peewee import (Case, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField,
                    fn)
from werkzeug.utils import secure_filename

from infrastructure import sql_format
from infrastructure.exports import csv_response, streamed_batches
from models import Dossier, Employer, MoneyField, Organisation, User


class SqlCsvExport:
    """Mixin for a StaffModelView: the CSV export computed in SQL.

    `export_sql_columns` gives the expression of the columns the field types cannot tell (foreign keys,
    computed columns); the others follow their field: money, date, boolean, coded value (French label), text
    (never a formula), integer. A column with a Python export formatter, or of another type, keeps the whole
    export on the Python path.
    """

    export_sql_columns = {}

    def sql_export_expressions(self):
        """One SQL text expression per export column, or None when one cannot be written in SQL."""
        expressions = []
        for name, _ in self._export_columns:
            if name in self.export_sql_columns:
                expressions.append(self.export_sql_columns[name])
                continue
            if name in (self.column_formatters_export or {}):
                return None
            field = self.model._meta.fields.get(name)
            expression = self._field_text(name, field) if field is not None else None
            if expression is None:
                return None
            expressions.append(expression)
        return expressions

    def _field_text(self, name, field):
        choices = self.column_choices.get(name) if self.column_choices else None
        if choices:
            return sql_format.label(field, [(code, str(label)) for code, label in choices])
        if isinstance(field, MoneyField):
            return sql_format.montant(field)
        if isinstance(field, DateTimeField):
            return None  # written jj/mm/aaaa HH:MM by Python (no export of a dossier has one)
        if isinstance(field, DateField):
            return sql_format.date_fr(field)
        if isinstance(field, BooleanField):
            return sql_format.oui_non(field)
        if isinstance(field, ForeignKeyField):
            return None
        if isinstance(field, (CharField, TextField)):
            return sql_format.formula_safe(field)
        if isinstance(field, IntegerField):
            return sql_format.as_text(field)
        return None

    def sql_csv(self):
        """(header, chunks of CSV text) of the list as the request's arguments filter, search and sort it, or
        None when a column cannot be written in SQL. The download and the background export
        (views/admin/background_exports.py) both write these."""
        expressions = self.sql_export_expressions()
        if expressions is None:
            return None
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        sort_column = sort_column[0] if sort_column else None
        _, query = self.get_list(0, sort_column, view_args.sort_desc, view_args.search, view_args.filters,
                                 execute=False, page_size=0)
        header = [str(label) for _, label in self._export_columns]
        return header, CsvChunks(query.select(*expressions))

    def _export_csv(self, return_url):
        table = self.sql_csv()
        if table is None:
            return super()._export_csv(return_url)
        header, chunks = table
        return csv_response(secure_filename(self.get_export_name(export_type="csv")), header, chunks,
                            preformatted=True)


class CsvChunks:
    """CSV text, one chunk per fetched batch: the only Python per row is the C writer's. `rows` counts the rows
    written so far (the background export records it)."""

    def __init__(self, query):
        self.query = query
        self.rows = 0

    def __iter__(self):
        for batch in streamed_batches(self.query):
            self.rows += len(batch)
            out = io.StringIO()
            csv.writer(out, delimiter=";").writerows(batch)
            yield out.getvalue()


def user_text(user_column):
    """'Prénom Nom <e-mail>' (or the e-mail alone) as User.__str__ writes it, '' for nobody: a subquery on the
    primary key, so the list's own joins stay as they are."""
    user = User.alias("export_user")
    name = fn.TRIM(fn.COALESCE(user.first_name, "").concat(" ").concat(fn.COALESCE(user.last_name, "")))
    text = Case(None, [(name != "", name.concat(" <").concat(user.email).concat(">"))], user.email)
    return sql_format.formula_safe(user.select(text).where(user.id == user_column))


# The back-office dossier list joins the CFA and the employer (views.admin.dossiers.DossierView.get_query).
DOSSIER_EXPORT_SQL = {
    "organisation": sql_format.name_and_siret(Organisation.name, Organisation.siret),
    "employer": sql_format.name_and_siret(Employer.name, Employer.siret),
    "advisor": user_text(Dossier.advisor),
}
