"""WTForms validators and fields that call rules/ checks and speak French."""
from wtforms import StringField
from wtforms.validators import ValidationError

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
