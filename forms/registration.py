"""Forms of the registration by SIRET (seed 001): *Validation du SIRET*, *Création de compte*, the registration
sheet *Validation des Données OF*, and the request of a new activation link."""
import re

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from forms import validators as v
from forms.organisation import YES_NO, _choice, _strip, _text, phone_number, postal_code_number
from forms.password_reset import PASSWORD_RULE, password_policy
from workflows.organisation_profile import CIVILITIES

# *Zone d'intervention* (seed 001): the regions of France, and the whole country.
ZONES = [(name, name) for name in (
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire", "Corse", "Grand Est",
    "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur", "Guadeloupe", "Guyane", "La Réunion", "Martinique", "Mayotte",
    "France entière")]
DA_RULE = "11 chiffres, ou la mention « CFA » pour un CFA historique sans numéro de déclaration d'activité."


def _siret_required(form, field):
    if not (field.data or "").strip():
        raise ValidationError("Saisissez le numéro SIRET de votre organisme (14 chiffres).")


def da_number(form, field):
    value = re.sub(r"\s", "", field.data or "")
    if value.upper() == "CFA":
        field.data = "CFA"
    elif re.fullmatch(r"[0-9]{11}", value):
        field.data = value
    else:
        raise ValidationError("Numéro de déclaration d'activité invalide : " + DA_RULE)


class SiretForm(FlaskForm):
    siret = StringField("Siret", filters=[_strip], validators=[
        _siret_required, Length(max=40, message="SIRET invalide : 14 chiffres attendus."), v.siret])


class AccountFields:
    """Email + confirmation, password + confirmation (seed 001 *Création de compte*)."""

    email = EmailField("Adresse e-mail", filters=[_strip], validators=[
        DataRequired("Saisissez votre adresse e-mail."), Length(max=254, message="Adresse e-mail trop longue."),
        v.email])
    confirm_email = EmailField("Confirmation de l'e-mail", filters=[_strip], validators=[
        DataRequired("Confirmez votre adresse e-mail.")])
    password = PasswordField("Définition d'un mot de passe", description=PASSWORD_RULE, validators=[
        DataRequired("Choisissez un mot de passe."),
        Length(max=200, message="Mot de passe trop long (200 caractères au plus)."), password_policy])
    confirm = PasswordField("Confirmation du mot de passe", validators=[
        DataRequired("Confirmez le mot de passe."),
        EqualTo("password", message="Les deux mots de passe ne sont pas identiques.")])

    def validate_confirm_email(self, field):
        if (field.data or "").strip().lower() != (self.email.data or "").strip().lower():
            raise ValidationError("Les deux adresses e-mail ne sont pas identiques.")


class AccountForm(AccountFields, FlaskForm):
    pass


def _yes_no(label):
    return RadioField(label, choices=YES_NO, validate_choice=False, validators=[
        DataRequired("Répondez par oui ou par non."), v_any_of(YES_NO)])


def v_any_of(choices):
    allowed = {code for code, _ in choices}

    def check(form, field):
        if field.data not in allowed:
            raise ValidationError("Choix invalide.")
    return check


class SheetForm(AccountFields, FlaskForm):
    """*Validation des Données OF*: the SIRET is shown read-only (kept by the session, never posted)."""

    opco_reference = _text("Votre référence chez l'OPCO", 40)
    name = _text("Raison sociale (nom)", 200, required="Saisissez la raison sociale.")
    name_suite = _text("Suite raison sociale", 200)
    street = _text("Rue, voie", 200, required="Saisissez l'adresse.")
    street_suite = _text("Suite rue, voie", 200)
    postal_code = _text("Code postal", 10, postal_code_number, required="Saisissez le code postal.")
    city = _text("Ville", 100, required="Saisissez la ville.")
    phone = _text("Téléphone", 20, phone_number)
    org_email = StringField("E-mail de l'organisme", filters=[_strip], validators=[
        DataRequired("Saisissez l'adresse e-mail de l'organisme."),
        Length(max=254, message="Adresse e-mail trop longue."), v.email])
    is_fpc_provider = _yes_no("Êtes-vous un OF qui intervient dans le champ de la FPC ?")
    is_cfa = _yes_no("Et/ou êtes-vous CFA ?")
    da_number = StringField("Votre n° DA (déclaration d'activité)", filters=[_strip], description=DA_RULE,
                            validators=[DataRequired("Saisissez le n° de déclaration d'activité, ou « CFA »."),
                                        Length(max=20, message="20 caractères au maximum."), da_number])
    for_profit = _yes_no("Êtes-vous à but lucratif ?")
    vat_liable = _yes_no("Êtes-vous assujetti à la TVA ?")
    contact_civility = _choice(SelectField, "Civilité", CIVILITIES, "")
    contact_last_name = _text("Nom", 100, required="Saisissez le nom de l'interlocuteur.")
    contact_first_name = _text("Prénom", 100, required="Saisissez le prénom de l'interlocuteur.")
    contact_phone = _text("Téléphone", 20, phone_number, required="Saisissez le téléphone de l'interlocuteur.")
    contact_email = _text("E-mail", 254, v.email, required="Saisissez l'e-mail de l'interlocuteur.")
    contact_function = _text("Fonction", 100, required="Saisissez la fonction de l'interlocuteur.")
    zone = SelectField("Zone d'intervention", choices=[("", "Veuillez sélectionner une option")] + ZONES,
                       validate_choice=False)
    registration_comment = TextAreaField("Commentaire", filters=[_strip], validators=[
        Optional(), Length(max=2000, message="2000 caractères au maximum.")])

    ORGANISATION = ("opco_reference", "name", "name_suite", "street", "street_suite", "postal_code", "city",
                    "phone")
    CONTACT = ("contact_civility", "contact_last_name", "contact_first_name", "contact_phone", "contact_email",
               "contact_function")
    BOOLEANS = ("is_fpc_provider", "is_cfa", "for_profit", "vat_liable")

    def validate_contact_civility(self, field):
        if not field.data:
            raise ValidationError("Choisissez la civilité de l'interlocuteur.")

    def validate_is_cfa(self, field):
        if field.data == "0" and self.is_fpc_provider.data == "0":
            raise ValidationError("Un organisme de formation intervient dans le champ de la FPC et/ou est CFA : "
                                  "répondez oui à l'une des deux questions au moins.")

    def validate_zone(self, field):
        if field.data not in dict(ZONES):
            raise ValidationError("Choisissez la zone d'intervention dans la liste.")

    def sheet(self):
        """The organisation's values as the workflow expects them (booleans for the Oui/Non questions)."""
        values = {name: getattr(self, name).data or "" for name in self.ORGANISATION + self.CONTACT}
        values.update({name: getattr(self, name).data == "1" for name in self.BOOLEANS})
        values.update(email=self.org_email.data, da_number=self.da_number.data, zone=self.zone.data,
                      registration_comment=self.registration_comment.data or "")
        return values


class ResendActivationForm(FlaskForm):
    email = EmailField("Adresse e-mail du compte", filters=[_strip], validators=[
        DataRequired("Saisissez votre adresse e-mail."), Length(max=254, message="Adresse e-mail trop longue."),
        v.email])


class ActivateForm(FlaskForm):
    """The button of the activation page (a POST: mail scanners that open links do not activate accounts)."""


class RegistrationRefusalForm(FlaskForm):
    """Staff refuse a registration: the reason is required and emailed to the requester."""

    ids = HiddenField()
    reason = TextAreaField("Motif du refus (envoyé au demandeur)", filters=[_strip], validators=[
        DataRequired("Le motif est obligatoire : il est envoyé au demandeur."),
        Length(max=2000, message="Motif trop long (2 000 caractères au plus).")])
