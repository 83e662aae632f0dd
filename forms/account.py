"""*Mon compte* forms, shared by the portal and the back office."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from forms import validators as v

PASSWORD_RULE = ("Au moins 8 caractères, dont une lettre minuscule et une lettre majuscule ; plus long est mieux. "
                 "Les mots de passe trop courants sont refusés.")


class AccountForm(FlaskForm):
    form_name = HiddenField(default="profil")
    last_name = StringField("Nom", validators=[DataRequired("Saisissez votre nom."),
                                               Length(max=100, message="100 caractères au plus.")])
    first_name = StringField("Prénom", validators=[DataRequired("Saisissez votre prénom."),
                                                   Length(max=100, message="100 caractères au plus.")])
    notification_email = EmailField(
        "E-mail de notification", filters=[lambda value: (value or "").strip()],
        description="Adresse qui reçoit le récapitulatif de vos notifications ; vide : votre adresse de connexion.",
        validators=[Optional(), v.email,
                    Length(max=254, message="254 caractères au plus.")])
    newsletter = RadioField("Recevoir la lettre d'information", choices=[("oui", "Oui"), ("non", "Non")],
                            default="non", validate_choice=False)
    daily_digest = BooleanField("Recevoir chaque jour le récapitulatif de mes notifications non lues")

    def validate_newsletter(self, field):
        if field.data not in ("oui", "non"):
            field.data = "non"
            raise ValidationError("Choisissez Oui ou Non.")

    def validate_last_name(self, field):
        _no_control_characters(field)

    def validate_first_name(self, field):
        _no_control_characters(field)


class PasswordChangeForm(FlaskForm):
    form_name = HiddenField(default="mot_de_passe")
    current_password = PasswordField("Mot de passe actuel", validators=[
        DataRequired("Saisissez votre mot de passe actuel."), Length(max=200, message="Mot de passe trop long.")])
    new_password = PasswordField("Nouveau mot de passe", description=PASSWORD_RULE, validators=[
        DataRequired("Saisissez le nouveau mot de passe."), Length(max=200, message="Mot de passe trop long.")])
    confirmation = PasswordField("Confirmation du nouveau mot de passe", validators=[
        DataRequired("Confirmez le nouveau mot de passe."),
        EqualTo("new_password", message="La confirmation ne correspond pas au nouveau mot de passe.")])


class EmailChangeForm(FlaskForm):
    """A new login email, typed twice, and the current password (the link goes to the new address)."""
    form_name = HiddenField(default="email")
    new_email = EmailField("Nouvelle adresse e-mail de connexion", validators=[
        DataRequired("Saisissez la nouvelle adresse e-mail."),
        Length(max=254, message="Adresse e-mail trop longue (254 caractères au plus)."), v.email])
    new_email_confirmation = EmailField("Confirmation de la nouvelle adresse", validators=[
        DataRequired("Confirmez la nouvelle adresse e-mail.")])
    email_password = PasswordField("Mot de passe actuel", validators=[
        DataRequired("Saisissez votre mot de passe actuel."), Length(max=200, message="Mot de passe trop long.")])

    def validate_new_email_confirmation(self, field):
        if (field.data or "").strip().lower() != (self.new_email.data or "").strip().lower():
            raise ValidationError("La confirmation ne correspond pas à la nouvelle adresse.")


def _no_control_characters(field):
    value = field.data or ""
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or ord(c) == 0x7F for c in value):
        raise ValidationError("Caractères non autorisés.")
    if not value.strip():
        raise ValidationError("Ce champ est obligatoire.")
