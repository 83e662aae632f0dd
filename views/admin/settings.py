"""Dated settings the OPCO maintains in the back office: the SMIC (CERFA minimum pay in euros)."""
from wtforms.validators import InputRequired, NumberRange

from forms import validators as v
from models import SmicRate

from .base import StaffModelView


class EuroField(v.MoneyField):
    """An amount typed the French way (``1 823,03``), shown again as such when the record is edited."""

    def _value(self):
        if hasattr(self, "raw"):
            return self.raw
        return "" if self.data in (None, "") else str(self.data).replace(".", ",")


class SmicRateView(StaffModelView):
    """Staff admins add the SMIC of each revaluation; every change is audited like any back-office edit."""

    manage_permission = "settings.manage"
    column_list = ["effective_from", "hourly", "monthly"]
    column_sortable_list = ["effective_from"]
    column_default_sort = ("effective_from", True)
    column_labels = {"effective_from": "En vigueur à partir du", "hourly": "SMIC horaire brut",
                     "monthly": "SMIC mensuel brut (35 h)"}
    form_overrides = {"hourly": EuroField, "monthly": EuroField}
    form_args = {"hourly": {"validators": [InputRequired("Montant obligatoire"),
                                           NumberRange(min=1, max=1000, message="Entre 1 et 1 000 €")]},
                 "monthly": {"validators": [InputRequired("Montant obligatoire"),
                                            NumberRange(min=100, max=100_000, message="Entre 100 et 100 000 €")]}}


VIEWS = [
    (SmicRateView, SmicRate, "SMIC", "Référentiels"),
]
