"""The state vocabulary in templates: one label and one badge helper, the enums as Jinja globals.

Templates never spell a stored state: they compare with the enums (`inv.state == InvoiceState.ON_HOLD`)
and show `state_label(obj)` / `state_badge(obj)`, read from models/states.py through the tables.
"""
from models import Installment
from models import states
from workflows.state_machines import BY_MODEL

# model -> (state column, State enum or {value: label}); installments are derived, not a machine
STATE_COLUMNS = {model: (m.column, m.states) for model, m in BY_MODEL.items()}
STATE_COLUMNS[Installment] = ("status", states.InstallmentStatus)


def _state_of(obj):
    column, vocabulary = STATE_COLUMNS[type(obj)]
    return getattr(obj, column), vocabulary


def state_label(obj):
    """The French label of a record's state (a replaced RIB says since when)."""
    if hasattr(obj, "get_status_display"):
        return obj.get_status_display()
    value, vocabulary = _state_of(obj)
    if isinstance(vocabulary, dict):
        return vocabulary.get(value, str(value))
    return vocabulary.label_of(value)


def state_colour(obj):
    value, vocabulary = _state_of(obj)
    return "secondary" if isinstance(vocabulary, dict) else vocabulary.badge_of(value)


def state_value(obj):
    return _state_of(obj)[0]


def register_state_helpers(app):
    env = app.jinja_env

    def state_badge(obj):
        """A Bootstrap badge with the state's colour and label (templates/shared/state_badge.html)."""
        return env.get_template("shared/state_badge.html").module.state_badge(obj)

    env.globals.update(state_label=state_label, state_colour=state_colour, state_value=state_value,
                       state_badge=state_badge)
    for name in ("DossierState", "InstallmentStatus", "InvoiceState", "CreditNoteState", "BankDetailsStatus",
                 "DelegationState", "AmendmentState", "RuptureState", "OrganisationStatus", "EmployerStatus",
                 "ProposalState", "StockCheck"):
        app.jinja_env.globals[name] = getattr(states, name)
