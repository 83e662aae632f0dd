"""The reconstituted CERFA PDF in the portal: a proposal's (its CFA, or the employer of its SIRET) and a dossier's.

A proposal of another CFA or addressed to another employer answers 404, never a hint it exists.
"""
from flask import abort
from flask_login import current_user

from access import scope as scoped
from access.permissions import can
from access.web import cfa_required, current_scope, get_dossier_or_404, portal_login_required
from models import ContractProposal
from views.downloads import cerfa_response
from views.portal import bp
from workflows.double_funding import possible_duplicates


def get_proposal_for_reading_or_404(proposal_id):
    """A proposal the signed-in user may read: its CFA (contracts right), or the employer of its SIRET once the
    proposal is in the employer's space (access.scope.employer_proposals: never a draft)."""
    scope = current_scope()
    if current_user.kind == "employer":
        proposal = scoped.employer_proposals(scope).where(ContractProposal.id == proposal_id).first()
        if proposal is None or not can(scope, "proposal.decide", proposal):
            abort(404)
        return proposal
    proposal = ContractProposal.get_or_none(ContractProposal.id == proposal_id)
    if proposal is None or not scope.covers(proposal.organisation_id):
        abort(404)
    if not can(scope, "proposal.manage", proposal):
        abort(403)
    return proposal


@bp.app_template_global()
def proposal_duplicates(proposal):
    """For templates/portal/proposals/_duplicates.html: the dossiers that may already fund this apprentice."""
    return possible_duplicates(proposal.data, scope=current_scope(), exclude_dossier_id=proposal.dossier_id)


@bp.route("/propositions/<int:proposal_id>/cerfa.pdf")
@portal_login_required
def proposal_pdf(proposal_id):
    """The proposal's CERFA, with the pages of remaining errors while it cannot be transmitted."""
    return cerfa_response(get_proposal_for_reading_or_404(proposal_id))


@bp.route("/dossiers/<number>/cerfa.pdf")
@cfa_required
def dossier_cerfa_pdf_download(number):
    """*Affichage* of seed 004: the dossier's CERFA."""
    return cerfa_response(get_dossier_or_404(number))
