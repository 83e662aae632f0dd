"""Step-3 form of mass invoicing (the CFA's invoice: reference, date, HT and TTC, comment, supporting documents,
terms); steps 1-2 are dynamic per dossier."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.portal import amount_ht_field, amount_ttc_field, comment_field, supporting_files_field
from forms.validators import DateFrField
from infrastructure import clock


class MassInvoiceSendForm(FlaskForm):
    cfa_reference = StringField("Référence de votre facture", validators=[
        DataRequired("Saisissez la référence de votre facture."), Length(max=60, message="60 caractères au plus.")])
    cfa_invoice_date = DateFrField("Date de la facture", validators=[DataRequired("Saisissez la date de la facture.")])
    amount_ht = amount_ht_field()
    amount_ttc = amount_ttc_field()
    comment = comment_field()
    supporting_pdfs = supporting_files_field()
    terms = BooleanField("J'atteste l'exactitude des informations et j'accepte les conditions générales de facturation")

    def validate_cfa_invoice_date(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("La date de la facture ne peut pas être dans le futur.")
        if field.data and field.data.year < 2018:
            raise ValidationError("Date de facture invalide.")

    def validate_terms(self, field):
        if not field.data:
            raise ValidationError("Vous devez accepter les conditions générales pour transmettre la facture.")
