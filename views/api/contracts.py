"""`POST /api/v1/contrats`: a CFA's software deposits a CERFA, as the portal's pre-entry would.

The payload's schema is generated from rules/cerfa_fields.py (one nested object per dotted key: `employeur.siret`
is `{"employeur": {"siret": …}}`), so the API and the portal's CERFA never diverge. The deposit runs the
portal's workflow (workflows.proposals.deposit_from_api): checked by rules/cerfa.py, then sent to the employer
(*transmis par API*), or — with the employer's management mandate and its signed attestation — transmitted
to the OPCO as a dossier *reçu*."""
import base64
import binascii
import datetime as dt

import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from infrastructure import clock
from models.states import DossierState, ProposalState
from rules import cerfa_fields as cerfa
from rules.cerfa import normalize_value
from workflows import proposals as workflow
from workflows.documents import DocumentError, DocumentTooLarge, check_pdf, max_upload_bytes
from workflows.smic import smic_on
from workflows.transitions import TransitionRefused

from . import api_blueprint
from .auth import current_api_scope
from .idempotency import idempotent
from .problems import ApiProblem

blp = api_blueprint("api_contrats", __name__, "Dépôt de contrats d'apprentissage (CERFA FA13) par le logiciel du CFA.")

MANDATE_FIELD = "attestationMandat"
MANDATE_NAME = "attestation-mandat.pdf"
EXAMPLES = {"siret": "73282932000074", "date": "2026-09-01", "bool": True, "int": 12, "decimal": "1234.50",
            "percent": "53", "email": "contact@exemple.fr", "phone": "0102030405", "uai": "0751234A",
            "rncp": "RNCP34567", "diploma": "32031211", "idcc": "1486", "naf": "6201Z", "postal": "75011",
            "department": "75", "nir": "104017511200148"}


def _description(spec):
    text = spec.label + "."
    if spec.help:
        text += " " + spec.help
    if spec.required and spec.by_employer:
        text += " Renseigné par l'employeur (obligatoire sous mandat de gestion)."
    elif spec.required:
        text += " Obligatoire."
    if spec.kind == "choice":
        text += " Codes : " + " ; ".join(f"{code or '(vide)'} = {label}" for code, label in spec.choices) + "."
    return text


def _field_for(spec):
    """The marshmallow field of one CERFA field: JSON booleans and integers, ISO dates, strings otherwise (amounts
    as decimal strings); the checks of content are rules/cerfa.py's, reported per field."""
    metadata = {"description": _description(spec)}
    if spec.kind in EXAMPLES:
        metadata["example"] = EXAMPLES[spec.kind]
    if spec.kind == "bool":
        return ma.fields.Boolean(allow_none=True, metadata=metadata)
    if spec.kind == "int":
        return ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(min=0, max=999999),
                                 metadata=metadata)
    if spec.kind == "date":
        return ma.fields.Date(allow_none=True, metadata=metadata)
    if spec.kind == "choice":
        metadata["example"] = next((code for code, _ in spec.choices if code), "")
        return ma.fields.String(allow_none=True, validate=ma.validate.OneOf([code for code, _ in spec.choices]),
                                metadata=metadata)
    return ma.fields.String(allow_none=True, validate=ma.validate.Length(max=max(spec.max_length, 15)),
                            metadata=metadata)


def _tree():
    """{"employeur": {"siret": Field, "adresse": {…}}, …} from the catalogue's dotted keys."""
    root = {}
    for spec in cerfa.FIELDS:
        *parents, leaf = spec.key.split(".")
        node = root
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = spec
    return root


def _schema(name, node, extra=None):
    attrs = {}
    for key, value in node.items():
        if isinstance(value, dict):
            child = _schema(name + key[:1].upper() + key[1:], value)
            attrs[key] = ma.fields.Nested(child, allow_none=True, metadata={"description": _group_title(key)})
        else:
            attrs[key] = _field_for(value)
    attrs.update(extra or {})
    return ma.Schema.from_dict(attrs, name=name)


def _group_title(key):
    tab = cerfa.TABS_BY_KEY.get(key)
    return tab.title if tab else f"Bloc « {key} » du CERFA."


ContractSchema = _schema("Cerfa", _tree(), {
    MANDATE_FIELD: ma.fields.String(allow_none=True, metadata={
        "description": "Attestation de mandat de gestion signée par l'employeur : un PDF encodé en base64 (10 Mo "
                       "au plus). Obligatoire quand attestation.mandatGestion vaut true : le contrat est alors "
                       "transmis directement à l'OPCO (dossier reçu) ; sans mandat, il est transmis à "
                       "l'entreprise, qui l'accepte et le complète dans son espace.",
        "example": "JVBERi0xLjQK…"}),
})


class ContractDepositSchema(ma.Schema):
    numeroProposition = ma.fields.Integer(metadata={"description": "Numéro de la proposition de contrat créée."})
    etatProposition = ma.fields.String(metadata={
        "description": "État de la proposition : " + " ; ".join(f"{s.value} = {s.label}" for s in ProposalState)
                       + ".", "example": ProposalState.FROM_API.value})
    libelleEtatProposition = ma.fields.String(metadata={"example": ProposalState.FROM_API.label})
    numeroInterneDossier = ma.fields.String(allow_none=True, metadata={
        "description": "Numéro du dossier créé (sous mandat de gestion seulement), sinon null.",
        "example": "2026000123"})
    etatDossier = ma.fields.String(allow_none=True, metadata={
        "description": "État du dossier créé (recu), sinon null.", "example": DossierState.RECEIVED.value})
    destinataires = ma.fields.List(ma.fields.String(), metadata={
        "description": "Adresses de l'entreprise auxquelles la proposition a été envoyée (sans mandat)."})


def flatten(payload, prefix=""):
    """The nested payload as the catalogue's {dotted key: stored string} (the portal form's `values()`)."""
    values = {}
    for key, value in payload.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            values.update(flatten(value, dotted))
            continue
        spec = cerfa.FIELDS_BY_KEY.get(dotted)
        if spec is None or value is None:
            continue
        if spec.kind == "bool":
            values[dotted] = cerfa.YES if value else cerfa.NO
        elif isinstance(value, dt.date):
            values[dotted] = value.isoformat()
        else:
            values[dotted] = normalize_value(spec, str(value))
    return values


def _mandate(encoded):
    """(file name, checked PDF bytes) of the base64 attestation, or a 413/422 problem."""
    limit = max_upload_bytes()
    if len(encoded) > (limit + 2) // 3 * 4 + 4:
        raise ApiProblem(413, f"L'attestation de mandat dépasse la taille maximale de {limit // (1024 * 1024)} Mo.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiProblem(422, errors=[{"champ": MANDATE_FIELD, "message": "PDF encodé en base64 attendu."}]) from None
    if len(data) > limit:
        raise ApiProblem(413, f"L'attestation de mandat dépasse la taille maximale de {limit // (1024 * 1024)} Mo.")
    try:
        return MANDATE_NAME, check_pdf(data, label="L'attestation de mandat")
    except DocumentTooLarge as error:
        raise ApiProblem(413, str(error)) from None
    except DocumentError as error:
        raise ApiProblem(422, errors=[{"champ": MANDATE_FIELD, "message": str(error)}]) from None


def refusal(errors):
    """A ProposalRefused's {field key: [messages]} as the problem's field errors (same dotted keys)."""
    return [{"champ": key, "message": message} for key, messages in errors.items() for message in messages]


@blp.route("/contrats")
class ContractsView(MethodView):
    @idempotent
    @blp.arguments(ContractSchema, location="json")
    @blp.response(201, ContractDepositSchema, headers={"Location": {
        "description": "Sans mandat : la page de la proposition sur le portail ; sous mandat : le dossier dans "
                       "l'API.", "schema": {"type": "string"}}})
    @blp.alt_response(404, description="Ressource introuvable.")
    @blp.alt_response(409, description="La proposition a changé d'état entre-temps.")
    @blp.alt_response(413, description="Attestation de mandat de plus de 10 Mo.")
    @blp.alt_response(422, description="CERFA refusé : les erreurs sont listées par champ (clé pointée).")
    def post(self, payload):
        """Déposer un contrat (CERFA)

        Les contrôles sont ceux du portail (âge de l'apprenti, durée du contrat, rémunération minimale, NIR,
        SIRET, maîtres d'apprentissage…) ; un refus liste chaque erreur avec la clé pointée du champ
        (`employeur.siret`, `contrat.dateDebutContrat`…) et ne crée rien. Sans mandat de gestion, la proposition
        est transmise à l'entreprise (état `transmis_api`) qui l'accepte et la complète dans son espace ; avec
        `attestation.mandatGestion` à true et l'attestation signée (`attestationMandat`, PDF en base64), le
        contrat est transmis à l'OPCO : un dossier reçu est créé."""
        scope = current_api_scope()
        encoded = payload.pop(MANDATE_FIELD, None)
        values = flatten(payload)
        under_mandate = values.get("attestation.mandatGestion") == cerfa.YES
        if under_mandate and not encoded:
            raise ApiProblem(422, errors=[{"champ": MANDATE_FIELD, "message": "Joignez l'attestation de mandat "
                                           "de gestion signée par l'employeur (PDF en base64)."}])
        if encoded and not under_mandate:
            raise ApiProblem(422, errors=[{"champ": "attestation.mandatGestion", "message": "Déclarez le mandat "
                                           "(true) pour joindre son attestation."}])
        mandate = _mandate(encoded) if under_mandate else None
        today = clock.today()
        start = _date(values.get("contrat.dateDebutContrat")) or today

        def link_for(secret):
            from infrastructure import signed_links
            return url_for("invitation.accept", token=signed_links.sign(secret, "invitation"), _external=True)

        try:
            proposal, dossier, outcome = workflow.deposit_from_api(
                scope, values, today, smic_on(start), link_for, url_for("portal.dashboard", _external=True),
                mandate=mandate)
        except workflow.ProposalRefused as refused:
            raise ApiProblem(422, "Le contrat est refusé : corrigez les champs listés dans « erreurs ».",
                             code="contrat_refuse", errors=refusal(refused.errors)) from None
        except TransitionRefused as refused:
            raise ApiProblem(409, f"Dépôt impossible : {refused}.") from None
        body = {"numeroProposition": proposal.id, "etatProposition": proposal.state,
                "libelleEtatProposition": ProposalState.label_of(proposal.state),
                "numeroInterneDossier": dossier.number if dossier else None,
                "etatDossier": dossier.state if dossier else None,
                "destinataires": list(outcome.recipients) if outcome else []}
        location = (f"/api/v1/dossiers/{dossier.number}" if dossier
                    else url_for("portal.proposal", proposal_id=proposal.id))
        return body, 201, {"Location": location}


def _date(value):
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None
