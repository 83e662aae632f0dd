"""The form of the API keys screen (seed 004 *Clé d'authentification*): the establishment by its SIRET, a name."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from workflows.api_keys import NAME_MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ApiKeyForm(FlaskForm):
    # a SIRET outside the choices is a forged request (names_foreign_establishment: 403), never a form error
    siret = SelectField("Établissement (SIRET)", validate_choice=False,
                        validators=[DataRequired("Choisissez l'établissement.")])
    name = StringField("Nom de la clé", filters=[_strip], validators=[
        DataRequired("Donnez un nom à la clé (le logiciel qui l'utilisera, par exemple)."),
        Length(max=NAME_MAX_LENGTH, message=f"{NAME_MAX_LENGTH} caractères au maximum.")])

    @classmethod
    def for_establishments(cls, establishments, default_id=None, **kwargs):
        form = cls(**kwargs)
        form.siret.choices = [(o.siret, f"{o.siret} – {o.name}") for o in establishments]
        if not form.is_submitted():
            default = next((o for o in establishments if o.id == default_id), None)
            if default is not None:
                form.siret.data = default.siret
        return form

    @staticmethod
    def names_foreign_establishment(formdata, establishments):
        """A posted SIRET outside the administrator's establishments: a forged request, never a form error."""
        posted = (formdata.get("siret") or "").strip()
        return bool(posted) and posted not in {o.siret for o in establishments}
