"""The upload form of a proposal's Documents tab (the file itself is checked by workflows.documents)."""
from flask_wtf import FlaskForm
from wtforms import FileField, SelectField
from wtforms.validators import InputRequired, ValidationError

from workflows.proposal_documents import PROPOSAL_DOCUMENT_TYPES


class ProposalDocumentForm(FlaskForm):
    doc_type = SelectField("Type de document", choices=[("", "— choisir —")] + PROPOSAL_DOCUMENT_TYPES,
                           validators=[InputRequired("Choisissez le type du document.")],
                           validate_choice=False)
    file = FileField("Fichier (PDF)")

    def validate_doc_type(self, field):
        if field.data not in dict(PROPOSAL_DOCUMENT_TYPES):
            raise ValidationError("Choisissez le type du document dans la liste.")
