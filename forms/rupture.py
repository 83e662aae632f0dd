"""Forms of the rupture and amendment workflows (portal and back office).

Dates are typed jj/mm/aaaa (ISO accepted too); checks that need the dossier
(inside the contract, engaged state) live in workflows.ruptures / workflows.amendments.
"""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms import validators as v
from rules.identifiers import normalize_rncp
from rules.money import read_amount


DateFrField = v.DateFrField


class RuptureForm(FlaskForm):
    date = DateFrField("Date de rupture (dernier jour du contrat)",
                       validators=[DataRequired("Saisissez la date de rupture.")])
    reason = TextAreaField("Motif de la rupture", validators=[
        DataRequired("Indiquez le motif de la rupture."), Length(max=2000, message="Motif trop long (2 000 caractères au plus).")])
    continues_at_cfa = BooleanField("L'apprenti(e) poursuit sa formation au CFA")
    new_contract_date = DateFrField("Date du nouveau contrat (si connue)", validators=[Optional()])

    def validate_new_contract_date(self, field):
        if field.data and not self.continues_at_cfa.data:
            raise ValidationError("Une date de nouveau contrat n'a de sens que si l'apprenti(e) poursuit au CFA.")
        if field.data and self.date.data and field.data <= self.date.data:
            raise ValidationError("Le nouveau contrat doit commencer après la date de rupture.")

    def inputs(self):
        """The declared values, as the services take them."""
        return dict(date=self.date.data, reason=(self.reason.data or "").strip(),
                    continues_at_cfa=bool(self.continues_at_cfa.data), new_contract=self.new_contract_date.data)


class AmendmentForm(FlaskForm):
    new_end = DateFrField("Nouvelle date de fin de contrat", validators=[Optional()])
    new_npec = StringField("Nouveau NPEC annuel (€)", validators=[Optional()], render_kw={"placeholder": "ex. 7 500,00"})
    new_training = StringField("Nouvelle formation (intitulé du diplôme)", validators=[
        Optional(), Length(max=200, message="Intitulé trop long (200 caractères au plus).")])
    new_rncp_code = StringField("Code RNCP de la nouvelle formation", validators=[Optional(), v.rncp],
                                render_kw={"placeholder": "ex. RNCP34567"})
    reason = TextAreaField("Objet de l'avenant", validators=[
        DataRequired("Indiquez l'objet de l'avenant."), Length(max=2000, message="Texte trop long (2 000 caractères au plus).")])

    def validate_new_npec(self, field):
        self.npec_value = None
        if not (field.data or "").strip():
            return
        try:
            value = read_amount(field.data, maximum=Decimal("100000"), exact_cents=True)
        except ValueError as exc:
            raise ValidationError(f"{exc} Le NPEC est un montant positif de 100 000 € au plus.") from None
        if value <= 0:
            raise ValidationError("Le NPEC doit être un montant positif (100 000 € au plus).")
        self.npec_value = value

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if (ok and not self.new_end.data and getattr(self, "npec_value", None) is None
                and not (self.new_training.data or "").strip() and not (self.new_rncp_code.data or "").strip()):
            self.new_end.errors = list(self.new_end.errors) + [
                "Indiquez une nouvelle date de fin et/ou un nouveau NPEC et/ou une nouvelle formation."]
            return False
        return ok

    def inputs(self):
        return dict(new_end=self.new_end.data, new_npec=getattr(self, "npec_value", None),
                    new_training=(self.new_training.data or "").strip(),
                    new_rncp_code=normalize_rncp(self.new_rncp_code.data) if (self.new_rncp_code.data or "").strip()
                    else "",
                    reason=(self.reason.data or "").strip())
