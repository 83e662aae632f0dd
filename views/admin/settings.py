"""Settings the OPCO maintains in the back office: the SMIC (CERFA minimum pay in euros), the contact of its
customer relations centre shown to CFAs."""
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forms import validators as v
from models import HelpdeskContact, SmicRate
from forms.organisation import phone_number

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
    deletable = False  # a rate once in effect stays in the history: a typo is corrected by editing it
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


class HelpdeskContactView(StaffModelView):
    """The one contact row (seeded with the database): staff admins correct it, nobody adds or deletes one."""

    manage_permission = "settings.manage"
    deletable = False
    can_export = False
    column_list = ["phone", "email", "hours"]
    column_labels = {"phone": "Téléphone", "email": "E-mail", "hours": "Horaires"}
    form_columns = ["phone", "email", "hours"]
    form_args = {"phone": {"validators": [InputRequired("Téléphone obligatoire"), phone_number]},
                 "email": {"validators": [InputRequired("E-mail obligatoire"), v.email]},
                 "hours": {"validators": [Optional(), Length(max=120, message="120 caractères au plus")]}}

    @property
    def can_create(self):
        return self.allowed(self.manage_permission) and not HelpdeskContact.select().exists()


VIEWS = [
    (SmicRateView, SmicRate, "SMIC", "Référentiels"),
    (HelpdeskContactView, HelpdeskContact, "Contact du centre de relation client", "Référentiels"),
]
