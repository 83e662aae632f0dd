"""*Étape 1 : Vérifier mes contrats stockés* (seed 003): confirm a stock contract, or report an anomaly."""
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField

from models.dossier import STOCK_ANSWERS

ANSWER_LABELS = {"confirme": "Je confirme ce contrat", "signale": "Je signale une anomalie"}


class StockVerificationForm(FlaskForm):
    """The answer and the comment are checked by workflows.stock_contracts.verify (French messages there)."""

    answer = RadioField("Votre vérification", choices=[(code, ANSWER_LABELS[code]) for code, _ in STOCK_ANSWERS],
                        validate_choice=False)
    comment = TextAreaField("Commentaire (obligatoire pour signaler une anomalie)")
