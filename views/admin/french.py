"""The back office in French: Flask-Admin's own words, dates typed jj/mm/aaaa, values shown by the one
formatting layer (infrastructure.formatting), codes by the French label their model field declares."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.form import DatePickerWidget, DateTimePickerWidget
from flask_admin.model import typefmt
from wtforms import DateTimeField

from forms.validators import DateFrField
from infrastructure.formatting import date_fr, montant, oui_non

# Completes Flask-Admin's French catalogue (the page-size menu's "25 items" has no French entry upstream).
# Rebuild the .mo after editing the .po: pybabel compile -d views/admin/translations -D admin
TRANSLATIONS_PATH = str(Path(__file__).with_name("translations"))


def _date(view, value, name):
    return date_fr(value)


def _money(view, value, name):
    return montant(value)


def _yes_no(view, value, name):
    return oui_non(value)


LIST_FORMATTERS = {**typefmt.BASE_FORMATTERS, bool: _yes_no, dt.date: _date, Decimal: _money}
DETAIL_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, bool: _yes_no, dt.date: _date, Decimal: _money}
# Exports keep amounts, dates and booleans typed: infrastructure.exports writes them as French text in CSV and as
# numbers / dates in XLSX.
EXPORT_FORMATTERS = dict(typefmt.EXPORT_FORMATTERS)


def model_choices(model):
    """{column: [(code, French label)]} for every field of `model` that declares its choices."""
    return {name: list(field.choices) for name, field in model._meta.fields.items() if field.choices}


class FrenchDatePickerWidget(DatePickerWidget):
    """Flask-Admin's date picker writing jj/mm/aaaa (its calendar is put in French by admin/staff_master.html)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-date-format", "DD/MM/YYYY")
        return super().__call__(field, **kwargs)


class FrenchDateTimePickerWidget(DateTimePickerWidget):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-date-format", "DD/MM/YYYY HH:mm")
        kwargs.setdefault("placeholder", "jj/mm/aaaa hh:mm")
        return super().__call__(field, **kwargs)


class DateTimeFrField(DateTimeField):
    """A date-time typed jj/mm/aaaa hh:mm (seconds and ISO accepted), refused with a French message."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S",
                                     "%Y-%m-%d %H:%M"])
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Date et heure invalides : saisissez-les au format jj/mm/aaaa hh:mm.") from None


class FrenchModelConverter(CustomModelConverter):
    """Scaffolded forms take dates as jj/mm/aaaa (the portal's DateFrField and its French message) and date-times
    as jj/mm/aaaa hh:mm."""

    def handle_date(self, model, field, **kwargs):
        kwargs["widget"] = FrenchDatePickerWidget()
        return field.name, DateFrField(**kwargs)

    def handle_datetime(self, model, field, **kwargs):
        kwargs["widget"] = FrenchDateTimePickerWidget()
        return field.name, DateTimeFrField(**kwargs)
