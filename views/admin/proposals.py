"""Back-office contract proposals (issue 12, item 9): every state, filters, search, CSV/XLSX export, and the
details page with the step history (ProposalStep), the CERFA PDF, the dossier it became and possible duplicates.

Read-only: proposals change through the CFA's and the employer's actions, never typed here.
"""
from flask import abort
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual, FilterLike
from peewee import JOIN

from models import ContractProposal, Dossier, Organisation, ProposalStep, User
from models.states import ProposalState
from rules.double_funding import as_date
from views.downloads import cerfa_response
from workflows.double_funding import possible_duplicates
from infrastructure.formatting import date_fr

from .base import ReadOnlyModelView

CONTRACT_START = "contrat.dateDebutContrat"
CONTRACT_END = "contrat.dateFinContrat"


def _dossier_number(view, context, proposal, name):
    return proposal.dossier.number if proposal.dossier_id and proposal.dossier else ""


def _data_date(key):
    def formatter(view, context, proposal, name):
        day = as_date((proposal.data or {}).get(key)) if isinstance(proposal.data, dict) else None
        return date_fr(day) if day else ""
    return formatter


class ContractProposalView(ReadOnlyModelView):
    details_template = "admin/proposal_details.html"
    simple_list_pager = True
    joined_models = (Organisation,)
    column_list = ["id", "state", "apprentice_last_name", "apprentice_first_name", "organisation", "employer_siret",
                   "employer_name", "contract_start", "contract_end", "dossier", "created_at", "updated_at"]
    column_export_list = column_list
    column_details_list = ["id", "state", "organisation", "employer_siret", "employer_name", "apprentice_last_name",
                           "apprentice_first_name", "contract_start", "contract_end", "dossier", "created_by",
                           "created_at", "updated_at"]
    column_filters = ["state", FilterLike(Organisation.name, "Nom du CFA"), FilterEqual(Organisation.siret, "SIRET du CFA"),
                      FilterEqual(ContractProposal.employer_siret, "SIRET de l'employeur"), "created_at", "updated_at"]
    column_searchable_list = ["apprentice_last_name", "apprentice_first_name", "employer_name", "employer_siret"]
    column_sortable_list = ["id", "state", "apprentice_last_name", "employer_name", "created_at", "updated_at",
                            ("organisation", Organisation.name)]
    column_default_sort = ("id", True)
    column_formatters = {"dossier": _dossier_number, "contract_start": _data_date(CONTRACT_START),
                         "contract_end": _data_date(CONTRACT_END)}
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters
    column_labels = {"id": "N°", "organisation": "CFA", "employer_siret": "SIRET employeur", "employer_name": "Employeur",
                     "apprentice_last_name": "Nom de l'apprenti", "apprentice_first_name": "Prénom",
                     "state": "État", "updated_at": "Mis à jour le", "data": "Données CERFA", "dossier": "Dossier",
                     "created_by": "Créé par", "created_at": "Créé le", "contract_start": "Début du contrat",
                     "contract_end": "Fin du contrat"}

    def search_placeholder(self):
        return "Nom ou prénom de l'apprenti, employeur ou SIRET"

    def get_query(self):
        # one query per page: the CFA and the dossier joined, not one per row
        return (ContractProposal.select(ContractProposal, Organisation, Dossier)
                .join(Organisation, on=(ContractProposal.organisation == Organisation.id))
                .switch(ContractProposal)
                .join(Dossier, JOIN.LEFT_OUTER, on=(ContractProposal.dossier == Dossier.id)))

    def get_one(self, id):
        try:
            proposal_id = int(id)
        except (TypeError, ValueError):
            return None
        return self.get_query().where(ContractProposal.id == proposal_id).first()

    def proposal_page(self, proposal):
        """The step history (oldest first) and the possible duplicates the details page shows."""
        steps = list(ProposalStep.select(ProposalStep, User)
                     .join(User, JOIN.LEFT_OUTER, on=(ProposalStep.by == User.id))
                     .where(ProposalStep.proposal == proposal.id).order_by(ProposalStep.at, ProposalStep.id))
        return {
            "steps": steps,
            "state_labels": ProposalState.labels(),
            "state_label": ProposalState.label_of(proposal.state),
            "duplicates": possible_duplicates(proposal.data, exclude_dossier_id=proposal.dossier_id),
        }

    @expose("/<int:proposal_id>/cerfa.pdf")
    def cerfa_pdf(self, proposal_id):
        """The proposal's reconstituted CERFA, with its error pages while errors remain."""
        return cerfa_response(ContractProposal.get_or_none(ContractProposal.id == proposal_id) or abort(404),
                              self.actor)


VIEWS = [
    (ContractProposalView, ContractProposal, "Propositions de contrat", "Dossiers"),
]
