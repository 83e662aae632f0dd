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
from decimal import Decimal

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from infrastructure.formatting import (XLSX_DATE_FORMAT, XLSX_DATETIME_FORMAT, XLSX_EURO_FORMAT, display,
                                       oui_non)
from models import db


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


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, header, rows, preformatted=False):
    """Stream `rows` as CSV (or, with preformatted=True, chunks of CSV text); nothing is held in memory."""
    writer = csv.writer(_Echo(), delimiter=";")

    def generate():
        yield codecs.BOM_UTF8.decode("utf-8") + writer.writerow(header)
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
