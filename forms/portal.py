"""Portal forms: reimbursement request and delegation. Amount rules live in rules/, not here."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms import validators as v

MAX_QUANTITY = 100_000
AmountField = v.MoneyField
DateFrField = v.DateFrField  # bounded at rules.money.MAX_AMOUNT (10 M€)


class QuantityField(StringField):
    """A whole number of nights or meals; empty means zero."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "") or ""
        self.data = self.raw.strip()[:20]

    def pre_validate(self, form):
        text = (getattr(self, "raw", "") or "").strip()
        if not text:
            self.data = 0
            return
        if not re.fullmatch(r"-?\d{1,7}", text):
            raise ValidationError("Nombre entier attendu.")
        value = int(text)
        if abs(value) > MAX_QUANTITY:
            raise ValidationError(f"Nombre hors limites ({MAX_QUANTITY} au plus).")
        self.data = value

    def _value(self):
        return self.raw if hasattr(self, "raw") else ""


MAX_SUPPORTING_FILES = 10


class OptionalMoneyField(v.MoneyField):
    """An amount that may be left empty: `data` is None then (the rules give it its default)."""

    def pre_validate(self, form):
        if not (getattr(self, "raw", "") or "").strip():
            self.data = None
            return
        super().pre_validate(form)


def invoice_date_field():
    return DateFrField("Date de la facture", min_year=2018)


def amount_ht_field():
    return OptionalMoneyField("Montant HT de la facture", exact_cents=True)


def amount_ttc_field():
    return OptionalMoneyField("Montant TTC de la facture", exact_cents=True)


def comment_field():
    return TextAreaField("Commentaire", validators=[
        Optional(), Length(max=2000, message="Commentaire trop long (2 000 caractères au plus).")])


def supporting_files_field():
    return MultipleFileField("Pièces justificatives (PDF)")


def _required_date(form, field):
    if not (field.raw or "").strip():
        raise ValidationError("Date obligatoire.")


class ReimbursementForm(FlaskForm):
    """Seed 001 *Saisir une demande de remboursement*."""

    period_start = DateFrField("Date de début", validators=[_required_date], min_year=1990)
    period_end = DateFrField("Date de fin", validators=[_required_date], min_year=1990)
    teaching_amount = AmountField("Frais pédagogiques")
    nights = QuantityField("Nombre de nuitées")
    lodging_amount = AmountField("Frais d'hébergement (nuitées)")
    meals = QuantityField("Nombre de repas")
    meals_amount = AmountField("Frais de restauration (repas)")
    first_equipment_amount = AmountField("Frais divers (premier équipement)")
    mobility_amount = AmountField("Frais de mobilité internationale")
    cfa_reference = StringField("Référence de votre facture", validators=[
        Optional(), Length(max=60, message="60 caractères au plus.")])
    cfa_invoice_date = invoice_date_field()
    amount_ht = amount_ht_field()
    amount_ttc = amount_ttc_field()
    comment = comment_field()
    invoice_pdf = FileField("Facture (PDF)")
    supporting_pdfs = supporting_files_field()
    certificate_pdf = FileField("Certificat de réalisation (PDF)")
    terms = BooleanField("J'accepte les conditions générales de gestion de l'apprentissage")
    submission_key = HiddenField()

    def amounts(self):
        return [self.teaching_amount.data, self.lodging_amount.data, self.meals_amount.data,
                self.first_equipment_amount.data, self.mobility_amount.data]


class DelegationForm(FlaskForm):
    """Seed 001 *Gestion des accès – ajouter un OF déléguant*."""

    siret = StringField("Numéro de SIRET", validators=[
        DataRequired("Saisissez le SIRET de l'organisme déléguant."), Length(max=20, message="SIRET trop long."),
        v.siret])
    name = StringField("Nom de l'établissement", validators=[
        DataRequired("Saisissez le nom de l'établissement."), Length(max=200, message="Nom trop long.")])


class WebhookForm(FlaskForm):
    """Webhooks: the HTTPS URL the CFA's software listens on (checked by infrastructure.webhook_http)."""

    url = StringField("Adresse (URL HTTPS)", validators=[
        DataRequired("Indiquez l'adresse (URL) qui recevra les notifications."),
        Length(max=500, message="L'adresse ne doit pas dépasser 500 caractères.")])
    description = StringField("Description", validators=[
        Optional(), Length(max=200, message="La description ne doit pas dépasser 200 caractères.")])
