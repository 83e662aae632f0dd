"""File downloads as HTTP responses: attachments browsers never render inline nor sniff, every one logged.

The checks and the download log live in workflows/documents.py; this module only turns them into responses
and names the signed-in user as who downloaded.
"""
import unicodedata
from urllib.parse import quote

from flask import Response, abort
from flask_login import current_user

from workflows.documents import download_name, log_download
from infrastructure.storage import get_storage


def signed_in_user():
    """The signed-in User (None when anonymous), for the audit entries of the request."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    return current_user._get_current_object()


def attachment_response(data, filename, mimetype="application/pdf"):
    """A download that browsers never render inline nor sniff."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or "document.pdf"
    ascii_name = ascii_name.replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def read_stored(stored_name):
    """The bytes of a stored file; a missing file or a stored name refused by the storage answers 404, not 500."""
    try:
        return get_storage().read(stored_name)
    except (FileNotFoundError, ValueError):
        abort(404)


def document_response(document, user=None):
    """Send a stored document as a PDF attachment under our own name and log who downloaded it."""
    data = read_stored(document.stored_name)
    log_download("document", document.id, f"{document.get_type_display()} : {document.original_name}",
                 user=user or signed_in_user())
    return attachment_response(data, download_name(document), "application/pdf")


def cerfa_response(record, user=None):
    """The reconstituted CERFA of a proposal or a dossier (workflows/cerfa_pdf.py) as an attachment, logged."""
    from workflows.cerfa_pdf import cerfa_of

    entity, data, filename = cerfa_of(record)
    log_download(entity, record.id, "CERFA reconstitué (PDF)", user=user or signed_in_user())
    return attachment_response(data, filename)
