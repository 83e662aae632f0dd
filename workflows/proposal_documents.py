"""The Documents tab of a contract proposal: the CFA joins the pieces of the contract (checked PDFs) while it can
edit the proposal, and removes one while the employer has not accepted it; at transmission they go to the dossier
(workflows/proposal_transmission.attach_documents). A document of a dossier is never removed."""
from peewee import JOIN

from models import ContractProposal, Document, User
from models.documents import DOCUMENT_TYPES
from models.states import ProposalState
from infrastructure.numbering import immediate_transaction
from workflows.audit import record
from workflows.documents import save_document
from workflows.proposals import is_editable, may_manage
from workflows.transitions import TransitionRefused

PROPOSAL_DOCUMENT_TYPES = [(code, label) for code, label in DOCUMENT_TYPES
                           if code in ("convention", "piece_identite", "autorisation", "derogation", "autre")]
REMOVABLE = (ProposalState.DRAFT.value, ProposalState.SENT.value)


def documents_of(proposal):
    """The documents joined on the proposal, with who uploaded them, oldest first."""
    return list(Document.select(Document, User).join(User, on=(Document.uploaded_by == User.id), join_type=JOIN.LEFT_OUTER)
                .where(Document.proposal == proposal.id).order_by(Document.uploaded_at, Document.id))


def upload(scope, proposal, doc_type, name, data):
    """Join a checked PDF (workflows.documents.read_pdf_upload) to the proposal; one audit entry (the deposit)."""
    if doc_type not in dict(PROPOSAL_DOCUMENT_TYPES):
        raise ValueError(doc_type)
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit de joindre un document à cette proposition")
    with immediate_transaction():
        current = ContractProposal.get_by_id(proposal.id)
        if not is_editable(current) or current.dossier_id:
            raise TransitionRefused("l'entreprise s'est prononcée : la proposition n'est plus modifiable par le CFA")
        return save_document(name, data, current.organisation_id, doc_type, user=scope, proposal=current.id)


def may_remove(proposal, document):
    return proposal.state in REMOVABLE and not proposal.dossier_id and not document.dossier_id


def remove(scope, proposal, document):
    """Remove a document joined to a proposal not yet accepted nor transmitted (no money, no dossier); audited."""
    if not may_manage(scope, proposal):
        raise TransitionRefused("vous n'avez pas le droit de retirer ce document")
    with immediate_transaction():
        current = ContractProposal.get_by_id(proposal.id)
        row = Document.get_or_none((Document.id == document.id) & (Document.proposal == current.id))
        if row is None or not may_remove(current, row):
            raise TransitionRefused("le document ne peut plus être retiré : l'entreprise a accepté la proposition "
                                    "ou le dossier est créé")
        delete_row(row, scope)


def delete_row(row, scope, note=None):
    """Delete a proposal's document (never one of a dossier) with its audit entry; inside the caller's transaction."""
    deleted = Document.delete().where((Document.id == row.id) & Document.dossier.is_null()).execute()
    if deleted != 1:
        raise TransitionRefused("le document est rattaché à un dossier : il ne peut pas être retiré")
    record("document", row.id, "delete", before=row, user=scope,
           note=note or f"Retiré de la proposition n° {row.proposal_id} : {row.get_type_display()} : {row.original_name}")
