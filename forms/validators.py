"""WTForms validators that call rules/identifiers and speak French."""
from wtforms.validators import ValidationError

from rules import identifiers


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
