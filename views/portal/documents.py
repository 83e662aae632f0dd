"""Documents of a dossier: typed PDF upload, entitled downloads (logged), letters of the dossier."""
from flask import abort, flash, redirect, render_template, request, url_for

from access.web import cfa_required, get_document_or_404, get_dossier_or_404, get_letter_or_404
from models import db
from workflows.documents import DocumentError, DocumentTooLarge, log_download, store_upload
from views.downloads import attachment_response, document_response, read_stored, signed_in_user
from views.portal import bp
from views.portal.dossiers import UPLOAD_TYPES


@bp.route("/dossiers/<number>/documents", methods=["POST"])
@cfa_required
def document_upload(number):
    dossier = get_dossier_or_404(number)
    doc_type = request.form.get("doc_type", "")
    if doc_type not in dict(UPLOAD_TYPES):
        return _refused(dossier, "Choisissez le type du document (convention, CERFA, certificat, facture ou autre).")
    try:
        with db.atomic():
            document = store_upload(request.files.get("file"), dossier.organisation, doc_type, dossier=dossier,
                                    label="Le document", user=signed_in_user())
    except DocumentTooLarge:
        abort(413)
    except DocumentError as error:
        return _refused(dossier, str(error))
    flash(f"Document « {document.original_name} » joint au dossier {dossier.number}.", "success")
    return redirect(url_for("portal.dossier", number=dossier.number) + "#documents")


def _refused(dossier, message):
    return render_template("portal/upload_refused.html", d=dossier, message=message), 400


@bp.route("/documents/<int:document_id>")
@cfa_required
def document_download(document_id):

    return document_response(get_document_or_404(document_id))


@bp.route("/dossiers/<number>/courriers/<int:letter_id>")
@cfa_required
def letter_download(number, letter_id):
    dossier = get_dossier_or_404(number)
    letter = get_letter_or_404(letter_id, dossier=dossier)
    data = read_stored(letter.stored_name)
    log_download("letter", letter.id, f"{letter.title} – dossier {dossier.number}", user=signed_in_user())
    return attachment_response(data, f"{letter.title} {dossier.number}.pdf")
