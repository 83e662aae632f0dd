"""One WTForms form per CERFA tab, generated from the catalogue (rules/cerfa_fields.py).

Field names are the catalogue keys with ``.`` written ``__``. A form checks formats only (via rules.cerfa);
the rules across fields (ages, durations, pay) are counted on the tabs and block the sending, not the draft.
"""
import datetime as dt
from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from forms import validators as v
from rules import cerfa_fields as fields
from rules.cerfa import field_error, normalize_value

# What the first screen of a new proposal asks: either draft minimum (SPEC §7).
START_KEYS = ("employeur.siret", "employeur.denomination", "apprenti.nom", "apprenti.prenom")


def name_of(key):
    return key.replace(".", "__")


def _checked(spec):
    def validator(form, field):
        if spec.kind in ("date", "bool"):
            return
        raw = field.data if isinstance(field.data, str) else ""
        if len(raw) > max(spec.max_length, 40):
            raise ValidationError(f"{spec.max_length} caractères au plus")
        value = normalize_value(spec, raw)
        message = field_error(spec, value) if value else None
        if message:
            raise ValidationError(message)

    return validator


def _field(spec):
    kwargs = {"label": spec.label, "validators": [_checked(spec)], "description": spec.help}
    if spec.kind == "date":
        return v.DateFrField(spec.label, description=spec.help)
    if spec.kind == "bool":
        return BooleanField(spec.label, description=spec.help)
    if spec.kind == "choice":
        choices = [("", "— choisir —")] + [c for c in spec.choices if c[0] != ""]
        return SelectField(choices=choices, validate_choice=False, **kwargs)
    if spec.kind == "textarea":
        return TextAreaField(**kwargs)
    return StringField(**kwargs)


class CerfaForm(FlaskForm):
    specs = ()

    @classmethod
    def of(cls, data, formdata=None):
        """The form filled from a proposal's `data` (or from the POST when `formdata` is given)."""
        initial = {}
        for spec in cls.specs:
            value = (data or {}).get(spec.key, "")
            if spec.kind == "date":
                try:
                    value = dt.date.fromisoformat(value) if value else None
                except ValueError:
                    pass  # a text the draft kept: shown as typed
            elif spec.kind == "bool":
                value = value == fields.YES
            initial[name_of(spec.key)] = value
        return cls(formdata=formdata, data=initial) if formdata is not None else cls(data=initial)

    def values(self):
        """{catalogue key: stored string} of the form's fields ('' empties a field)."""
        out = {}
        for spec in self.specs:
            field = self[name_of(spec.key)]
            if spec.kind == "date":
                out[spec.key] = field.data.isoformat() if isinstance(field.data, dt.date) else ""
            elif spec.kind == "bool":
                out[spec.key] = fields.YES if field.data else fields.NO
            else:
                out[spec.key] = normalize_value(spec, field.data if isinstance(field.data, str) else "")
        return out

    def errors_by_key(self):
        return {spec.key: list(self[name_of(spec.key)].errors) for spec in self.specs
                if self[name_of(spec.key)].errors}


def _build(name, specs):
    attrs = {name_of(spec.key): _field(spec) for spec in specs}
    attrs["specs"] = tuple(specs)
    return type(name, (CerfaForm,), attrs)


@lru_cache(maxsize=None)
def tab_form(tab_key):
    """The form class of one tab (tabs without fields give an empty form: only the CSRF token)."""
    return _build(f"Tab{tab_key.title()}Form", fields.fields_of(tab_key))


@lru_cache(maxsize=None)
def start_form():
    return _build("StartProposalForm", [fields.FIELDS_BY_KEY[k] for k in START_KEYS])


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token (duplicate, delete, send)."""
