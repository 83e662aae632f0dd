"""Forms of the billing workflows: reasons, bank details, settlement mode, payments, avoir upload."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from forms import validators as v
from models.organisation import SETTLEMENT_MODES


class ReasonForm(FlaskForm):
    """A decision that the CFA must understand: the reason is required and shown to them."""

    ids = HiddenField()
    reason = TextAreaField("Motif (affiché au CFA)", validators=[
        DataRequired("Le motif est obligatoire : il est affiché au CFA."),
        Length(max=2000, message="Motif trop long (2 000 caractères au plus).")])


class BankDetailsForm(FlaskForm):
    iban = StringField("IBAN", validators=[DataRequired("Saisissez l'IBAN."), Length(max=42), v.iban])
    bic = StringField("BIC", validators=[DataRequired("Saisissez le BIC."), Length(max=11, message="BIC trop long."),
                                         v.bic])
    holder = StringField("Titulaire du compte", validators=[DataRequired("Saisissez le titulaire du compte."),
                                                            Length(max=200, message="Nom trop long.")])
    third_party = RadioField("Facturation", choices=[
        ("0", "Je facture moi-même mes contrats"),
        ("1", "J'utilise un tiers pour la facturation (organisme gestionnaire, établissement principal ou "
              "affactureur)")], default="0")
    rib = FileField("RIB (PDF)")


class SettlementModeForm(FlaskForm):
    mode = RadioField("Mode de règlement des avoirs", choices=SETTLEMENT_MODES,
                      validators=[DataRequired("Choisissez un mode de règlement.")])


class AvoirUploadForm(FlaskForm):
    avoir = FileField("Votre avoir (PDF)")


class ComplianceDocumentForm(FlaskForm):
    document = FileField("Document demandé (PDF)")
    doc_type = SelectField("Type de document", default="justificatif", choices=[
        ("facture", "Facture"), ("certificat", "Certificat de réalisation"), ("justificatif", "Justificatif"),
        ("autre", "Autre")])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PaymentForm(FlaskForm):
    """Record a payment: the generated submission key makes a repeat return the first payment."""

    organisation = HiddenField(validators=[DataRequired()])
    submission_key = HiddenField(validators=[DataRequired("Formulaire incomplet : rechargez la page.")])
    invoices = MultiCheckboxField("Factures validées à régler", coerce=int,
                                  validators=[DataRequired("Choisissez au moins une facture validée à régler.")])
    date = v.DateFrField("Date du virement", validators=[Optional()])
    # Set by the confirmation page: the net it showed, which the recording checks again under lock.
    expected_net = HiddenField()
    confirm = HiddenField()


class CreditNoteIssueForm(FlaskForm):
    dossier_number = StringField("N° de dossier", validators=[DataRequired("Saisissez le numéro de dossier.")])
    amount = StringField("Montant de l'avoir (€) – vide : tout le trop-perçu calculé", validators=[Optional()])
    reason = SelectField("Motif", choices=[("rupture", "Rupture"), ("amendment", "Avenant"),
                                           ("end_of_contract", "Fin de contrat")])
    reason_detail = TextAreaField("Motif détaillé (affiché au CFA)", validators=[
        DataRequired("Indiquez le motif de l'avoir : il est affiché au CFA."),
        Length(max=2000, message="Motif trop long (2 000 caractères au plus).")])
    confirm = BooleanField("Je confirme l'émission de l'avoir")
