"""WTForms validators and fields that call rules/ checks and speak French."""
import datetime as dt

from wtforms import StringField
from wtforms.validators import StopValidation, ValidationError

from infrastructure.formatting import date_fr, parse_date_fr
from rules import identifiers
from rules.money import MAX_AMOUNT, read_amount


def _checker(check):
    def validator(form, field):
        value = (field.data or "").strip() if isinstance(field.data, str) else field.data
        if not value:
            return
        message = check(value)
        if message:
            raise ValidationError(message)

    return validator


siret = _checker(identifiers.check_siret)
nir = _checker(identifiers.check_nir)
iban = _checker(identifiers.check_iban)
bic = _checker(identifiers.check_bic)
uai = _checker(identifiers.check_uai)
email = _checker(identifiers.check_email)
naf = _checker(identifiers.check_naf)
idcc = _checker(identifiers.check_idcc)
rncp = _checker(identifiers.check_rncp)
diploma_code = _checker(identifiers.check_diploma_code)


class MoneyField(StringField):
    """An amount in euros typed the French way (``1 234,56``), bounded by `maximum`; empty means zero.

    What was typed is shown again when the form is refused; `data` is the Decimal once validated.
    """

    def __init__(self, label=None, validators=None, maximum=MAX_AMOUNT, exact_cents=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum, self.exact_cents = maximum, exact_cents

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "") or ""
        self.data = self.raw.strip()[:40]

    def pre_validate(self, form):
        try:
            self.data = read_amount(getattr(self, "raw", ""), self.maximum, self.exact_cents)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _value(self):
        return self.raw if hasattr(self, "raw") else ""


DATE_MESSAGE = "Date invalide : saisissez-la au format jj/mm/aaaa."


class DateFrField(StringField):
    """A date typed jj/mm/aaaa (aaaa-mm-jj from a date picker accepted): the one date input of the portal and
    the back office. `data` is the date (None when empty or invalid); what was typed is shown again when the
    form is refused, with a French message that stops the other validators (DataRequired would hide it).
    """

    def __init__(self, label=None, validators=None, min_year=1900, max_year=2100, **kwargs):
        render_kw = {"placeholder": "jj/mm/aaaa", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.min_year, self.max_year = min_year, max_year
        self.raw = None

    def _parse(self, text):
        value = parse_date_fr(text)
        return value if value is not None and self.min_year <= value.year <= self.max_year else None

    def process_data(self, value):
        """A date from the record, or the text of a saved draft."""
        if isinstance(value, str):
            self.raw, self.data = value, self._parse(value)
        else:
            self.raw, self.data = None, value if isinstance(value, dt.date) else None

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw = (valuelist[0] or "")[:40]
            self.data = self._parse(self.raw)

    def pre_validate(self, form):
        if (self.raw or "").strip() and self.data is None:
            raise StopValidation(DATE_MESSAGE)

    def _value(self):
        return self.raw if self.raw is not None else date_fr(self.data)
