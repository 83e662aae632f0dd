"""`POST /api/v1/dossiers/{numero}/ruptures`: the CFA declares the rupture of a contract, as on the portal
(workflows.ruptures.declare_rupture): a fact the OPCO confirms later; from then on no invoice may cover a
period after the declared date."""
import marshmallow as ma
from flask.views import MethodView

from access.permissions import can
from models.states import RuptureState
from workflows.ruptures import RuptureError, check_engaged, declare_rupture

from . import api_blueprint
from .auth import current_api_scope
from .dossier_documents import with_dossier
from .idempotency import idempotent
from .problems import ApiProblem
from .schemas import Money

blp = api_blueprint("api_ruptures", __name__, "Déclaration de la rupture d'un contrat.")


class RuptureInputSchema(ma.Schema):
    dateRupture = ma.fields.Date(required=True, metadata={
        "description": "Date de rupture : dernier jour du contrat (comprise dans le contrat).", "example": "2027-01-31"})
    motif = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000), metadata={
        "description": "Motif de la rupture (2 000 caractères au plus).", "example": "Rupture d'un commun accord"})
    poursuiteCfa = ma.fields.Boolean(load_default=False, metadata={
        "description": "Vrai si l'apprenti(e) poursuit sa formation au CFA.", "example": False})
    dateNouveauContrat = ma.fields.Date(load_default=None, allow_none=True, metadata={
        "description": "Date du nouveau contrat, si connue (seulement quand l'apprenti(e) poursuit au CFA ; "
                       "après la date de rupture).", "example": None})


class RuptureSchema(ma.Schema):
    identifiant = ma.fields.Integer(metadata={"description": "Identifiant de la rupture."})
    numeroInterneDossier = ma.fields.String(metadata={"example": "2026000123"})
    dateRupture = ma.fields.Date()
    poursuiteCfa = ma.fields.Boolean()
    dateNouveauContrat = ma.fields.Date(allow_none=True)
    etatRupture = ma.fields.String(metadata={"description": "declaree (à confirmer par l'OPCO) ou confirmee.",
                                             "example": RuptureState.DECLARED.value})
    libelleEtat = ma.fields.String(metadata={"example": RuptureState.DECLARED.label})
    montantDu = Money(metadata={"description": "Montant dû au CFA après la rupture, selon le calcul du jour."})
    montantAvoir = Money(metadata={"description": "Avoir attendu du CFA (trop-perçu), selon le calcul du jour."})


# Which request field a refusal of workflows.ruptures.validate_inputs is about (by its French message).
FIELD_OF_MESSAGE = (("nouveau contrat", "dateNouveauContrat"), ("motif", "motif"), ("date de rupture", "dateRupture"))


def _field_of(message):
    lowered = message.lower()
    return next((name for words, name in FIELD_OF_MESSAGE if words in lowered), "dateRupture")


@blp.route("/dossiers/<numero>/ruptures")
class DossierRupturesView(MethodView):
    @idempotent
    @with_dossier
    @blp.arguments(RuptureInputSchema, location="json")
    @blp.response(201, RuptureSchema)
    @blp.alt_response(404, description="Dossier inconnu ou hors du périmètre de la clé.")
    @blp.alt_response(409, description="Dossier non engagé, ou rupture déjà enregistrée ou déclarée.")
    @blp.alt_response(422, description="Date hors du contrat, motif manquant…")
    def post(self, declared, dossier):
        """Déclarer une rupture de contrat

        La rupture est déclarée (état `declaree`) : l'OPCO la confirme, l'échéancier est alors recalculé et le
        courrier de rupture adressé au CFA. Dès la déclaration, aucune facture ne peut couvrir une période
        postérieure à la date de rupture."""
        scope = current_api_scope()
        if not can(scope, "dossier.change_contract", dossier):
            raise ApiProblem(403, "Ce dossier n'a pas de contrat dont la rupture puisse être déclarée.")
        try:
            check_engaged(dossier)
        except RuptureError as conflict:
            raise ApiProblem(409, str(conflict), code="etat_incompatible") from None
        try:
            rupture = declare_rupture(dossier, declared["dateRupture"], declared["motif"],
                                      continues_at_cfa=declared["poursuiteCfa"],
                                      new_contract=declared["dateNouveauContrat"], user=scope)
        except RuptureError as refused:
            raise ApiProblem(422, errors=[{"champ": _field_of(str(refused)), "message": str(refused)}]) from None
        return {"identifiant": rupture.id, "numeroInterneDossier": dossier.number, "dateRupture": rupture.date,
                "poursuiteCfa": rupture.continues_at_cfa, "dateNouveauContrat": rupture.new_contract_date,
                "etatRupture": rupture.state, "libelleEtat": RuptureState.label_of(rupture.state),
                "montantDu": rupture.due, "montantAvoir": rupture.credit_note_amount}, 201
