"""Forms of the employer's decision on a proposal and of the CFA's mandate declaration.

The fields an employer completes are the catalogue's (rules/cerfa_fields.py), rendered from it and read
from the request by workflows.employer_proposals: the form here only carries the CSRF token.
"""
from flask_wtf import FlaskForm
from wtforms import FileField, TextAreaField
from wtforms.validators import DataRequired, Length


class DecisionForm(FlaskForm):
    """*Accepter*, *Transmettre à l'OPCO*, a tab's *Enregistrer*: nothing typed but the token."""


class RefusalForm(FlaskForm):
    reason = TextAreaField("Motif du refus", validators=[
        DataRequired("Indiquez le motif du refus : le CFA le recevra."),
        Length(max=2000, message="Motif trop long (2 000 caractères au plus).")])


class MandateForm(FlaskForm):
    document = FileField("Attestation de mandat de gestion signée par l'employeur (PDF)")
