"""Streamed CSV (';' + UTF-8 BOM, for French Excel) and XLSX (write-only workbook) responses.

Rows hold plain values. CSV cells are French text (`26 247,00 €`, `jj/mm/aaaa`, `Oui`/`Non`, from
infrastructure.formatting); XLSX cells are typed — amounts (Decimal euros) as numbers with a euro format, dates as
dates shown dd/mm/yyyy — so that sums and sorts work in Excel.
"""
import codecs
import csv
import datetime as dt
import io
import re
import tempfile
import uuid
from contextlib import contextmanager
from decimal import Decimal

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from infrastructure.formatting import (XLSX_DATE_FORMAT, XLSX_DATETIME_FORMAT, XLSX_EURO_FORMAT, display,
                                       oui_non)
from models import db, is_postgres

EXPORT_BATCH = 2000  # rows fetched at a time: a few MB whatever the export's size


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[-+]?[\d\s\u00a0\u202f.,]+(?:\s?€)?")


def spreadsheet_safe(value):
    """A CFA-typed "=HYPERLINK(…)" must open in a spreadsheet as text, never as a formula (CSV injection).

    Numbers and amounts (even negative) are left alone; applying it twice changes nothing more.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(value):
        return "'" + value
    return value


def csv_cell(value):
    """One CSV cell: the French display of the value, never a formula."""
    return spreadsheet_safe(display(value))


def _csv_row(row):
    return [csv_cell(value) for value in row]


def xlsx_cell(sheet, value):
    """One typed XLSX cell: euros and dates keep their type (with a French-looking format), text is safe."""
    if isinstance(value, bool):
        return oui_non(value)
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_EURO_FORMAT
        return cell
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    if value is None or isinstance(value, (int, float)):
        return value
    return spreadsheet_safe(str(value))


@contextmanager
def streaming_cursor(query, size=EXPORT_BATCH):
    """A cursor over `query` whose rows come `size` at a time, never the whole result in the worker.

    psycopg2's default cursor loads every row on `execute` (+2.5 GB for a million dossiers): on PostgreSQL the
    query runs in a server-side cursor (DECLARE … / FETCH FORWARD), inside a transaction that holds its snapshot.
    peewee's connections are in autocommit, where psycopg2 only declares WITH HOLD cursors; inside the
    transaction such a cursor streams like any other (it would only be copied at COMMIT, and it is closed
    before). SQLite's cursor already steps through the rows as they are fetched.
    """
    if not is_postgres():
        yield db.execute(query)
        return
    sql, params = query.sql()
    with db.atomic():
        cursor = db.connection().cursor(name=f"export_{uuid.uuid4().hex}", withhold=True)
        cursor.itersize = size
        try:
            db._log_query(sql, params)
            cursor.execute(sql, params)
            yield cursor
        finally:
            cursor.close()


def streamed_batches(query, size=EXPORT_BATCH):
    """Lists of row tuples of `query`, `size` at a time (see streaming_cursor)."""
    with streaming_cursor(query, size) as cursor:
        while batch := cursor.fetchmany(size):
            yield batch


def streamed_rows(query, size=EXPORT_BATCH):
    """The rows of `query` in its own row type (model instances, tuples…), fetched `size` at a time."""
    from playhouse.postgres_ext import FetchManyCursor

    with streaming_cursor(query, size) as cursor:
        # A named cursor's fetchone() is one round trip per row: peewee's wrapper reads them by batches.
        cursor = FetchManyCursor(cursor, size) if is_postgres() else cursor
        yield from query._get_cursor_wrapper(cursor).iterator()


class _Echo:
    def write(self, value):
        return value


def csv_head(header):
    """The first line of every CSV: the UTF-8 BOM (French Excel reads the accents) and the header row."""
    return codecs.BOM_UTF8.decode("utf-8") + csv.writer(_Echo(), delimiter=";").writerow(header)


def write_csv_file(handle, header, chunks):
    """Write the CSV of `header` and `chunks` (CSV text) to a binary file, chunk by chunk: the same bytes
    as csv_response sends, for an export computed in the background."""
    handle.write(csv_head(header).encode("utf-8"))
    for chunk in chunks:
        handle.write(chunk.encode("utf-8"))


def csv_response(filename, header, rows, preformatted=False):
    """Stream `rows` as CSV (or, with preformatted=True, chunks of CSV text); nothing is held in memory."""

    def generate():
        yield csv_head(header)
        # The request's connection is closed once the view returns: stream on a connection of our own.
        with db.connection_context():
            if preformatted:
                yield from rows
                return
            for batch in _batches(rows):
                out = io.StringIO()
                csv.writer(out, delimiter=";").writerows(batch)
                yield out.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _batches(rows, size=500):
    batch = []
    for row in rows:
        batch.append(_csv_row(row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def xlsx_response(filename, header, rows):
    """openpyxl's write-only mode keeps memory flat; the file is spooled to disk then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)

    def generate():
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    return Response(generate(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
