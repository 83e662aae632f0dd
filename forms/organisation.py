"""The organisation's profile form (seed 003 *Fiche OF*): SIRET and OPCO reference are shown, never posted."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from forms import validators as v
from rules import identifiers
from workflows.organisation_profile import CIVILITIES

YES_NO = [("1", "Oui"), ("0", "Non")]
phone_number = v._checker(identifiers.check_phone)
postal_code_number = v._checker(identifiers.check_postal_code)


def _text(label, size, *checks, required=None):
    first = DataRequired(required) if required else Optional()
    return StringField(label, filters=[_strip], validators=[
        first, Length(max=size, message=f"{size} caractères au maximum."), *checks])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choice(field_class, label, choices, default):
    """A closed choice whose refusal speaks French (WTForms' own message is English)."""
    return field_class(label, choices=choices, default=default, validate_choice=False,
                       validators=[AnyOf([c for c, _ in choices], message="Choix invalide.")])


class OrganisationProfileForm(FlaskForm):
    name = _text("Raison sociale", 200, required="Saisissez la raison sociale.")
    name_suite = _text("Raison sociale (suite)", 200)
    street = _text("Adresse", 200)
    street_suite = _text("Adresse (suite)", 200)
    postal_code = _text("Code postal", 10, postal_code_number)
    city = _text("Ville", 100)
    phone = _text("Téléphone", 20, phone_number)
    email = _text("Adresse électronique", 254, v.email)
    uai = _text("Numéro UAI", 12, v.uai)
    da_number = _text("Numéro de déclaration d'activité (DA)", 20)
    vat_liable = _choice(RadioField, "Assujetti à la TVA", YES_NO, "0")
    contact_civility = _choice(SelectField, "Civilité", CIVILITIES, "")
    contact_last_name = _text("Nom", 100)
    contact_first_name = _text("Prénom", 100)
    contact_function = _text("Fonction", 100)
    contact_phone = _text("Téléphone", 20, phone_number)
    contact_email = _text("Adresse électronique", 254, v.email)
    esignature = _choice(RadioField, "Signature électronique des documents", YES_NO, "0")

    IDENTITY = ("name", "name_suite", "street", "street_suite", "postal_code", "city", "phone", "email", "uai",
                "da_number")
    CONTACT = ("contact_civility", "contact_last_name", "contact_first_name", "contact_function", "contact_phone",
               "contact_email")

    def values(self):
        """The typed values as the workflow expects them (booleans for the Oui/Non questions)."""
        data = {name: (getattr(self, name).data or "") for name in self.IDENTITY + self.CONTACT}
        data["vat_liable"] = self.vat_liable.data == "1"
        data["esignature"] = self.esignature.data == "1"
        return data

    @classmethod
    def of(cls, organisation, **kwargs):
        """The form filled from the organisation (GET), or from the request (POST)."""
        form = cls(obj=organisation, **kwargs)
        if not form.is_submitted():
            form.vat_liable.data = "1" if organisation.vat_liable else "0"
            form.esignature.data = "1" if organisation.esignature else "0"
        return form
