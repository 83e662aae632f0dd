"""The mandate path (seed 004 *mandat de gestion*): the CFA declares the employer's management mandate with its
signed attestation, then transmits the proposal to the OPCO itself, the employer's step skipped."""
from flask import flash, redirect, render_template, request, url_for

from access.web import current_scope, get_proposal_or_404, require
from forms.employer_proposals import DecisionForm, MandateForm
from infrastructure import clock
from models import ContractProposal, Document
from models.states import ProposalState
from views.portal import bp
from workflows.documents import DocumentError, read_pdf_upload
from workflows.employer_proposals import declare_mandate
from workflows.proposal_transmission import TransmissionRefused, blocking_problems, transmit_under_mandate
from workflows.transitions import TransitionRefused

OPEN_STATES = (ProposalState.DRAFT, ProposalState.SENT)


def _page(proposal, form=None, status=200, problems=None, error=None):
    document = Document.get_or_none(Document.id == proposal.mandate_document_id) if proposal.mandate_document_id else None
    if problems is None and document is not None and proposal.state in OPEN_STATES:
        problems = blocking_problems(proposal.data or {}, clock.today())
    return render_template("portal/employer/mandate.html", proposal=proposal, form=form or MandateForm(),
                           decision_form=DecisionForm(), document=document, problems=problems or [], error=error,
                           open=proposal.state in OPEN_STATES), status


@bp.route("/propositions/<int:proposal_id>/mandat", methods=["GET", "POST"])
@require("proposal.manage")
def proposal_mandate(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    form = MandateForm()
    if request.method == "GET":
        return _page(proposal, form)
    if not form.validate():
        return _page(proposal, form, 400)
    try:
        name, data = read_pdf_upload(request.files.get("document"), label="L'attestation de mandat")
        declare_mandate(proposal, current_scope(), name, data)
    except DocumentError as exc:
        return _page(proposal, form, exc.status, error=str(exc))
    except TransitionRefused as exc:
        return _page(proposal, form, 409, error=f"Déclaration impossible : {exc}.")
    flash("Mandat de gestion déclaré : vous pouvez transmettre le contrat directement à l'OPCO.", "success")
    return redirect(url_for("portal.proposal_mandate", proposal_id=proposal.id))


@bp.route("/propositions/<int:proposal_id>/transmettre-opco", methods=["POST"])
@require("proposal.manage")
def proposal_transmit_under_mandate(proposal_id):
    proposal = get_proposal_or_404(proposal_id)
    if not DecisionForm().validate():
        return _page(proposal, status=400, error="Formulaire expiré : rechargez la page et recommencez.")
    try:
        dossier = transmit_under_mandate(proposal, current_scope(), clock.today())
    except TransmissionRefused as exc:
        return _page(proposal, status=400, problems=exc.problems,
                     error="Le contrat ne peut pas encore être transmis : corrigez les points listés.")
    except TransitionRefused as exc:
        return _page(ContractProposal.get_by_id(proposal.id), status=409, error=f"Transmission impossible : {exc}.")
    flash(f"Contrat transmis à l'OPCO sous mandat de gestion : dossier n° {dossier.number} (reçu).", "success")
    return redirect(url_for("portal.proposal_mandate", proposal_id=proposal.id))
