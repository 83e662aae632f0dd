"""Forms of the password reset: the email that asks for a link, the new password it allows."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from forms import validators as v
from infrastructure.passwords import password_problems

PASSWORD_RULE = ("Au moins 8 caractères, dont une lettre minuscule et une lettre majuscule ; "
                 "une phrase de passe plus longue est bienvenue. Les mots de passe trop courants sont refusés.")


def password_policy(form, field):
    problems = password_problems(field.data or "")
    if problems:
        raise ValidationError(" ".join(problems))


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Adresse e-mail de connexion", validators=[
        DataRequired("Saisissez votre adresse e-mail."),
        Length(max=254, message="Adresse e-mail trop longue."),
        v.email,
    ])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("Nouveau mot de passe", description=PASSWORD_RULE, validators=[
        DataRequired("Saisissez un nouveau mot de passe."),
        Length(max=200, message="Mot de passe trop long (200 caractères au plus)."),
        password_policy,
    ])
    confirm = PasswordField("Confirmation du mot de passe", validators=[
        DataRequired("Confirmez le nouveau mot de passe."),
        EqualTo("password", message="Les deux mots de passe ne sont pas identiques."),
    ])
