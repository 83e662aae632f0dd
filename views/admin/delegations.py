"""Back-office list of delegations: the OPCO approves, refuses (with a reason) or ends them (SPEC §4).

States, labels and who may act come from the DELEGATION table (workflows/state_machines.py); nothing here
writes a state.
A delegation is requested from the portal by the delegate organisation, never created or edited here.
"""
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual

from models import Delegation, Organisation
from workflows import delegations as workflow

from .base import ReadOnlyModelView
from .decisions import DecisionMixin


class DelegationView(DecisionMixin, ReadOnlyModelView):
    decision_permission = "delegation.decide"
    column_list = ["delegator", "delegate", "state", "created_at", "decided_at", "ended_at"]
    column_details_list = ["delegator", "delegate", "state", "created_at", "requested_by", "decided_at",
                           "decided_by", "refusal_reason", "ended_at", "ended_by", "note"]
    column_export_list = ["delegator", "delegate", "state", "created_at", "decided_at", "refusal_reason", "ended_at"]
    column_labels = {"delegator": "OF déléguant", "delegate": "OF délégataire", "state": "État",
                     "created_at": "Demandée le", "requested_by": "Demandée par", "decided_at": "Décidée le",
                     "decided_by": "Décidée par", "refusal_reason": "Motif du refus", "ended_at": "Terminée le",
                     "ended_by": "Terminée par", "note": "Note"}
    column_sortable_list = ["state", "created_at", "decided_at", "ended_at"]
    column_default_sort = ("created_at", True)
    column_filters = [FilterEqual(Delegation.state, "État", options=workflow.MACHINE.choices())]
    column_formatters = {"state": lambda v, c, m, n: workflow.label(m.state)}
    column_formatters_export = {"state": lambda v, c, m, n: workflow.label(m.state)}
    errors = (workflow.TransitionRefused,)
    decisions = {
        "approuver": ("Approuver", False, lambda d, reason, user: workflow.approve(d, user)),
        "refuser": ("Refuser", True, lambda d, reason, user: workflow.refuse(d, user, reason)),
        "terminer": ("Terminer", False, lambda d, reason, user: workflow.end(d, user, "terminer")),
    }

    def get_query(self):
        delegate, delegator = Organisation.alias(), Organisation.alias()
        return (Delegation.select(Delegation, delegate, delegator)
                .join(delegate, on=(Delegation.delegate == delegate.id), attr="delegate")
                .switch(Delegation)
                .join(delegator, on=(Delegation.delegator == delegator.id), attr="delegator"))

    def decision_offered(self, name, model):
        return name in {t.name for t in workflow.MACHINE.available(model)}

    @action("approuver", "Approuver", "Approuver les délégations sélectionnées ? Le délégataire verra et facturera "
                                      "les dossiers de l'organisme déléguant.")
    def action_approuver(self, ids):
        return self._run_action("approuver", ids)

    @action("refuser", "Refuser")
    def action_refuser(self, ids):
        return self._run_action("refuser", ids)

    @action("terminer", "Terminer", "Mettre fin aux délégations sélectionnées ? Le délégataire ne verra plus "
                                    "ces dossiers.")
    def action_terminer(self, ids):
        return self._run_action("terminer", ids)


VIEWS = [
    (DelegationView, Delegation, "Délégations", "Organismes"),
]
