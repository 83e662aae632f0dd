"""Uploaded documents: PDF check by content, exact size limit, storage under a generated name, download log.

Every upload (dossier pieces, invoice PDFs, RIBs, avoirs, avenants) is checked by `check_pdf` — through
`read_pdf_upload` or `store_upload`, and again by `save_document` for bytes that did not come from them — and
every download goes through `views.downloads.document_response`, so the rules (real PDF only, no HTML disguised as one, 10 MB,
sha256, a file name of ours, nosniff, logged) hold everywhere.
"""
import io
import re
import unicodedata

from pypdf import PdfReader

from models import Document
from models.base import now
from infrastructure.app_config import setting
from workflows.audit import actor_user, record
from infrastructure.storage import get_storage

PDF_MAGIC = b"%PDF-"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# What a browser (or a mail client) would read as a web page in a file's first bytes: a PDF never carries it
# there, an HTML/PDF polyglot does. Hex strings (`<a1b2>`) are why one-letter tags like `<a`/`<b` are not listed.
SNIFF_BYTES = 4096
MARKUP = re.compile(rb"<(?:(?:!doctype|html|head|body|script|iframe|frame|svg|object|embed|img|style|meta|link|"
                    rb"form|input|title|div|span|table|\?php)[\s>/]|!--)|javascript:", re.IGNORECASE)


class DocumentError(ValueError):
    """An upload refused for a reason the user can fix; the message is French and shown as is."""

    status = 400


class DocumentTooLarge(DocumentError):
    """Over the per-file limit: views answer with the French 413 page."""

    status = 413


def max_upload_bytes():
    return int(setting("MAX_UPLOAD_BYTES") or DEFAULT_MAX_BYTES)


def is_provided(file_storage):
    """Whether the form field actually carries a file (browsers send an empty part when none is chosen)."""
    return bool(file_storage is not None and getattr(file_storage, "filename", ""))


class CheckedPdf(bytes):
    """Bytes that passed `check_pdf` (so `save_document` does not parse them twice)."""


def clean_filename(name):
    """Keep a readable original name (accents allowed) without path parts, control or format characters.

    Format characters (Unicode category Cf) include the bidi overrides that make `RIB\u202efdp.hta` display as
    `RIBath.pdf`, and zero-width characters; control characters (Cc) and line separators are dropped too.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\"<>|:*?]", "", name).strip(" .")
    if not name:
        name = "document.pdf"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:8]) if dot else name[:200]
    return name


def check_pdf(data, label="Le fichier"):
    """Check bytes by content, never by name or declared type; return them as CheckedPdf or raise DocumentError.

    The magic bytes, no web markup in the first bytes (an HTML/PDF polyglot), then a real parse with pypdf.
    """
    if isinstance(data, CheckedPdf):
        return data
    if not data:
        raise DocumentError(f"{label} est vide.")
    if not data.startswith(PDF_MAGIC):
        raise DocumentError(f"{label} n'est pas un PDF (seuls les fichiers PDF sont acceptés).")
    if MARKUP.search(data[:SNIFF_BYTES]):
        raise DocumentError(f"{label} contient du code HTML ou un script : ce n'est pas un PDF authentique. "
                            "Enregistrez le document au format PDF depuis votre logiciel et recommencez.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(f"{label} est un PDF protégé par mot de passe ; envoyez une version non protégée.")
        if len(reader.pages) < 1:
            raise DocumentError(f"{label} est un PDF sans aucune page.")
    except DocumentError:
        raise
    except Exception:  # pypdf raises many kinds of errors on broken files
        raise DocumentError(f"{label} est un PDF illisible ou endommagé.") from None
    return CheckedPdf(data)


def read_pdf_upload(file_storage, label="Le fichier"):
    """Read and check an uploaded PDF; return (original_name, bytes) or raise a French DocumentError."""
    if not is_provided(file_storage):
        raise DocumentError(f"{label} est manquant.")
    limit = max_upload_bytes()
    data = file_storage.stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge(f"{label} dépasse la taille maximale de {limit // (1024 * 1024)} Mo.")
    return clean_filename(file_storage.filename), check_pdf(data, label=label)


def read_pdf_uploads(file_storages, label="La pièce justificative", maximum=10):
    """Read and check several uploaded PDFs (a multiple file input): [(original_name, bytes)], or a French
    DocumentError naming the file refused. Empty parts (no file chosen) are skipped."""
    provided = [f for f in (file_storages or []) if is_provided(f)]
    if len(provided) > maximum:
        raise DocumentError(f"{maximum} pièces justificatives au plus par envoi ({len(provided)} choisies).")
    return [read_pdf_upload(f, label=f"{label} « {clean_filename(f.filename)} »") for f in provided]


def download_name(document):
    """The name a document is served under: ours (`<kind>-<dossier>-<date>.pdf`), never the uploader's."""
    if document.dossier_id:
        reference = document.dossier.number
    elif document.invoice_id:
        reference = document.invoice.display_number
    elif document.credit_note_id:
        reference = document.credit_note.display_number
    elif document.proposal_id:
        reference = f"proposition-{document.proposal_id}"
    else:
        reference = document.organisation.siret or str(document.organisation_id)
    reference = re.sub(r"[^A-Za-z0-9_-]+", "-", str(reference)).strip("-") or str(document.id)
    day = (document.uploaded_at or now()).strftime("%Y-%m-%d")
    return f"{document.doc_type}-{reference}-{day}.pdf"


def save_document(name, data, organisation, doc_type, dossier=None, invoice=None, credit_note=None,
                  bank_details=None, user=None, proposal=None):
    """Store checked bytes and create their Document row (call inside the caller's transaction).

    Bytes that did not come from `check_pdf` are checked here, so no path stores an unchecked file.
    """
    data = check_pdf(data)
    name = clean_filename(name)
    stored_name, sha256, size = get_storage().save(data, suffix=".pdf")
    person = actor_user(user)  # None for an API key: the audit entry names the key
    document = Document.create(
        organisation=organisation, dossier=dossier, invoice=invoice, credit_note=credit_note,
        bank_details=bank_details, proposal=proposal, doc_type=doc_type, original_name=name, stored_name=stored_name,
        content_type="application/pdf", size=size, sha256=sha256, uploaded_by=person.id if person else None)
    record("document", document.id, "deposit", after=document, user=user,
           note=f"{document.get_type_display()} : {name}")
    return document


def store_upload(file_storage, organisation, doc_type, dossier=None, invoice=None, user=None, label="Le fichier",
                 credit_note=None, bank_details=None):
    """Check an uploaded PDF and store it; return the Document. Raises DocumentError (French) when refused.

    Call inside the transaction that links the document to what it proves, so a refused form writes nothing.
    For forms with several files, check them all first with `read_pdf_upload` then call `save_document`.
    """
    name, data = read_pdf_upload(file_storage, label=label)
    return save_document(name, data, organisation, doc_type, dossier=dossier, invoice=invoice,
                         credit_note=credit_note, bank_details=bank_details, user=user)


def log_download(entity, entity_id, label, user=None):
    """Every nominative download leaves a trace: who, what, when (the audit log)."""
    record(entity, entity_id, "download", user=user, note=label)
