"""Streamed CSV (';' + UTF-8 BOM, for French Excel) and XLSX (write-only workbook) responses."""
import codecs
import csv
import tempfile

from flask import Response, stream_with_context
from openpyxl import Workbook

from models import db


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, header, rows):
    writer = csv.writer(_Echo(), delimiter=";")

    def generate():
        yield codecs.BOM_UTF8.decode("utf-8") + writer.writerow(header)
        # The request's connection is closed once the view returns: stream on a connection of our own.
        with db.connection_context():
            buffer = []
            for row in rows:
                buffer.append(writer.writerow(row))
                if len(buffer) >= 500:
                    yield "".join(buffer)
                    buffer = []
            if buffer:
                yield "".join(buffer)

    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def xlsx_response(filename, header, rows):
    """openpyxl's write-only mode keeps memory flat; the file is spooled to disk then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)

    def generate():
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    return Response(generate(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
