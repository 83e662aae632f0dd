"""Forms of the users screen (seed 003 *Gestion des utilisateurs*): search filters, the identity of a new user
(step 1) and the rights per establishment (step 2, and the rights edit)."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from forms import validators as v
from models.user import RIGHTS
from workflows.users import AT_LEAST_ONE_RIGHT, ROLE_LABELS, Grant

ACTIVE_CHOICES = [("", "Tous"), ("oui", "Oui"), ("non", "Non")]
ROLE_CHOICES = [("", "Aucun accès"), *ROLE_LABELS.items()]
NO_RIGHT = f"{AT_LEAST_ONE_RIGHT} à cet utilisateur."
FIELD_NAME = re.compile(r"^o(\d+)_")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UserFiltersForm(FlaskForm):
    """The list's search (GET): parts of the names and of the email, active or not."""

    class Meta:
        csrf = False

    nom = StringField("Nom", filters=[_strip],
                      validators=[Optional(), Length(max=100, message="100 caractères au maximum.")])
    prenom = StringField("Prénom", filters=[_strip],
                         validators=[Optional(), Length(max=100, message="100 caractères au maximum.")])
    email = StringField("E-mail", filters=[_strip],
                        validators=[Optional(), Length(max=254, message="254 caractères au maximum.")])
    actif = SelectField("Actif", choices=ACTIVE_CHOICES, default="", validate_choice=False,
                        validators=[AnyOf([c for c, _ in ACTIVE_CHOICES], message="Choix invalide.")])

    def criteria(self):
        """Keyword arguments of workflows.users.users() (empty when the search is refused)."""
        if self.errors:
            return {}
        return {"last_name": self.nom.data or "", "first_name": self.prenom.data or "", "email": self.email.data or "",
                "active": {"oui": True, "non": False}.get(self.actif.data)}

    def active_filters(self):
        return {name: getattr(self, name).data for name in ("nom", "prenom", "email", "actif")
                if getattr(self, name).data}


class UserIdentityForm(FlaskForm):
    """Step 1: who the new user is; the email is their login."""
    last_name = StringField("Nom", filters=[_strip], validators=[
        DataRequired("Saisissez le nom."), Length(max=100, message="100 caractères au maximum.")])
    first_name = StringField("Prénom", filters=[_strip], validators=[
        DataRequired("Saisissez le prénom."), Length(max=100, message="100 caractères au maximum.")])
    email = EmailField("Adresse e-mail (identifiant de connexion)", filters=[_strip], validators=[
        DataRequired("Saisissez l'adresse e-mail."), Length(max=254, message="254 caractères au maximum."), v.email])


class RightsForm(FlaskForm):
    """Step 2 and the rights edit: per establishment, a role (or no access) and the six rights.

    Built for the administrator's establishments only (`for_establishments`); a field naming another
    organisation is not part of the form — the view refuses such a post (`names_foreign_organisation`).
    """

    establishments = ()

    @classmethod
    def for_establishments(cls, establishments, grants=None, **kwargs):
        """A form class with the fields of `establishments`, filled from `grants` ({id: Grant}) until posted."""
        fields = {}
        for org in establishments:
            fields[f"o{org.id}_role"] = SelectField(
                "Rôle", choices=ROLE_CHOICES, default="", validate_choice=False,
                validators=[AnyOf([c for c, _ in ROLE_CHOICES], message="Choix invalide.")])
            for right, label in RIGHTS:
                fields[f"o{org.id}_{right}"] = BooleanField(label)
        form_class = type("EstablishmentRightsForm", (cls,), {"establishments": tuple(establishments), **fields})
        data = {}
        for org_id, grant in (grants or {}).items():
            data[f"o{org_id}_role"] = grant.role
            data.update({f"o{org_id}_{right}": right in grant.rights for right, _ in RIGHTS})
        return form_class(data=data, **kwargs)

    def rows(self):
        """(organisation, role field, right fields) per establishment, for the template."""
        return [(org, self[f"o{org.id}_role"], [self[f"o{org.id}_{right}"] for right, _ in RIGHTS])
                for org in self.establishments]

    def grants(self):
        """{organisation id: Grant, or None for no access}, as typed."""
        found = {}
        for org, role, rights in self.rows():
            chosen = frozenset(field.name.split("_", 1)[1] for field in rights if field.data)
            found[org.id] = Grant(role.data, chosen) if role.data else None
        return found

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        given = False
        for org, role, rights in self.rows():
            ticked = any(field.data for field in rights)
            if role.data and not ticked:
                role.errors.append(f"{NO_RIGHT} ({org.name})")
            elif ticked and not role.data:
                role.errors.append(f"Choisissez le rôle de l'utilisateur dans {org.name}, ou décochez ses droits.")
            given = given or (bool(role.data) and ticked)
        if not given:
            self.form_errors.append(NO_RIGHT)
        return not self.errors and given

    @staticmethod
    def names_foreign_organisation(formdata, establishments):
        """True when the post carries a field of an organisation outside `establishments` (a forged form)."""
        allowed = {str(org.id) for org in establishments}
        return any((match := FIELD_NAME.match(key)) and match.group(1) not in allowed for key in formdata.keys())

