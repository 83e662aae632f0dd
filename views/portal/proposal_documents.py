"""The Documents tab of the CERFA editor: upload (checked PDF), list, download and removal of a proposal's pieces;
the employer downloads them from its space once the proposal was sent. Decisions in workflows/proposal_documents.py."""
from flask import abort, flash, redirect, request, url_for

from access.web import current_scope, first_or_404, get_proposal_or_404, int_or_404, require
from forms.proposal_documents import ProposalDocumentForm
from forms.proposals import ConfirmForm, tab_form
from models import ContractProposal, Document
from views.downloads import document_response
from views.portal import bp
from views.portal.employer import employer_required, get_proposal_or_404 as employer_proposal_or_404
from views.portal.proposals import _editor
from workflows import proposal_documents as workflow
from workflows.documents import DocumentError, read_pdf_upload
from workflows.transitions import TransitionRefused

proposal_required = require("proposal.manage")


def _document_or_404(proposal, document_id):
    return first_or_404(Document.select().where((Document.id == int_or_404(document_id))
                                                & (Document.proposal == proposal.id)))


def _tab(proposal, form, status, error=None):
    if error:
        flash(error, "danger")
    fresh = ContractProposal.get_by_id(proposal.id)
    return _editor(fresh, "documents", tab_form("documents").of(fresh.data), status, upload_form=form)


@bp.route("/propositions/<int:proposal_id>/documents", methods=("POST",))
@proposal_required
def proposal_document_upload(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    form = ProposalDocumentForm()
    if not form.validate_on_submit():
        return _tab(proposal, form, 400, "Le document n'a pas été joint : corrigez les champs signalés.")
    try:
        name, data = read_pdf_upload(request.files.get("file"), label="Le document")
        document = workflow.upload(current_scope(), proposal, form.doc_type.data, name, data)
    except DocumentError as error:
        form.file.errors = [str(error)]
        return _tab(proposal, form, error.status, f"Le document n'a pas été joint : {error}")
    except TransitionRefused as refused:
        return _tab(proposal, form, 409, f"Le document n'a pas été joint : {refused}.")
    flash(f"Document « {document.original_name} » joint à la proposition.", "success")
    return redirect(url_for("portal.proposal_edit", proposal_id=proposal.id, onglet="documents"))


@bp.route("/propositions/<int:proposal_id>/documents/<int:document_id>")
@proposal_required
def proposal_document_download(proposal_id, document_id):
    proposal = get_proposal_or_404(proposal_id)
    return document_response(_document_or_404(proposal, document_id))


@bp.route("/propositions/<int:proposal_id>/documents/<int:document_id>/retirer", methods=("POST",))
@proposal_required
def proposal_document_remove(proposal_id, document_id):
    proposal = get_proposal_or_404(proposal_id)
    document = _document_or_404(proposal, document_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        workflow.remove(current_scope(), proposal, document)
    except TransitionRefused as refused:
        return _tab(proposal, None, 409, f"Retrait impossible : {refused}.")
    flash(f"Document « {document.original_name} » retiré de la proposition.", "success")
    return redirect(url_for("portal.proposal_edit", proposal_id=proposal.id, onglet="documents"))


@bp.route("/entreprise/propositions/<int:proposal_id>/documents/<int:document_id>")
@employer_required
def employer_proposal_document(proposal_id, document_id):
    proposal = employer_proposal_or_404(proposal_id)
    return document_response(_document_or_404(proposal, document_id))
