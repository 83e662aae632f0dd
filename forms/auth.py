"""Sign-in form."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from forms import validators as v


class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[
        DataRequired("Saisissez votre adresse e-mail."),
        v.email,
        Length(max=254, message="Adresse e-mail trop longue."),
    ])
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Saisissez votre mot de passe."),
        Length(max=200, message="Mot de passe trop long."),
    ])
