"""`POST /api/v1/factures`: a reimbursement request on one dossier with its invoice PDF, as the portal's
*Demande de remboursement* form (views/portal/reimbursement.py): the same fields one for one, the same checks
(workflows.reimbursement.check, rules/invoice_checks.py) and the same deposit (workflows.reimbursement.submit)."""
import marshmallow as ma
from flask.views import MethodView
from flask_smorest.fields import Upload

from access.permissions import can
from models import Organisation
from models.states import DossierState, InvoiceState
from rules.money import read_amount
from workflows.delegations import DelegationError
from workflows.documents import DocumentError, DocumentTooLarge, is_provided, read_pdf_upload, read_pdf_uploads
from workflows.reimbursement import RequestData, RequestRefused, check, submit

from . import api_blueprint
from .auth import current_api_scope
from .dossier_documents import MULTIPART, dossier_in_scope, multipart
from .idempotency import idempotent
from .problems import ApiProblem
from .schemas import Money

blp = multipart(api_blueprint("api_factures_depot", __name__,
                              "Dépôt des demandes de remboursement (factures) des CFA."))

MAX_QUANTITY = 100_000  # as the portal form's QuantityField
# Each API field and the portal form's field (RequestData's attribute) it fills.
AMOUNTS = {"montantFraisPedagogiques": "teaching_amount", "montantHebergement": "lodging_amount",
           "montantRestauration": "meals_amount", "montantPremierEquipement": "first_equipment_amount",
           "montantMobiliteInternationale": "mobility_amount"}
QUANTITIES = {"nombreNuitees": "nights", "nombreRepas": "meals"}
FIELD_OF = {v: k for k, v in {**AMOUNTS, **QUANTITIES}.items()}
# Which API field a rules/invoice_checks.py refusal is about.
FIELD_OF_RULE = {
    "period_order": "dateFinPeriode", "period_outside_contract": "dateDebutPeriode",
    "period_after_rupture": "dateFinPeriode", "period_after_declared_rupture": "dateFinPeriode",
    "teaching_over_billable": "montantFraisPedagogiques", "teaching_periods_overlap": "dateDebutPeriode",
    "first_equipment_once": "montantPremierEquipement", "first_equipment_max": "montantPremierEquipement",
    "mobility_flat": "montantMobiliteInternationale", "invoice_missing": "facture",
    "certificate_missing": "certificatRealisation", "terms_not_accepted": "acceptationConditions",
    "empty_request": "montantFraisPedagogiques", "delegation": "numeroInterneDossier",
    "lodging_cap": "montantHebergement", "meals_cap": "montantRestauration",
    "first_equipment_cap": "montantPremierEquipement", "mobility_cap": "montantMobiliteInternationale",
    "invoice_date_missing": "dateFacture", "invoice_date_future": "dateFacture", "declared_negative": "montantHT",
    "ht_not_requested_total": "montantHT", "ttc_below_ht": "montantTTC", "ttc_without_vat": "montantTTC",
    "ttc_over_vat_rate": "montantTTC",
}
MAX_SUPPORTING_FILES = 10  # as the portal form


def _amount(description):
    return ma.fields.String(load_default="", metadata={
        "description": description + " En euros, chaîne décimale (ex. \"1234.50\") ; absent ou vide : 0.",
        "example": "1234.50"})


class InvoiceRequestSchema(ma.Schema):
    numeroInterneDossier = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20), metadata={
        "description": "Numéro du dossier facturé (engagé, avec subrogation).", "example": "2026000123"})
    dateDebutPeriode = ma.fields.Date(required=True, metadata={
        "description": "Début de la période facturée (champ « Date de début » du portail).", "example": "2026-09-01"})
    dateFinPeriode = ma.fields.Date(required=True, metadata={
        "description": "Fin de la période facturée (champ « Date de fin » du portail).", "example": "2027-02-28"})
    montantFraisPedagogiques = _amount("Frais pédagogiques.")
    nombreNuitees = ma.fields.String(load_default="", metadata={"description": "Nombre de nuitées (entier).",
                                                                 "example": "0"})
    montantHebergement = _amount("Frais d'hébergement (nuitées).")
    nombreRepas = ma.fields.String(load_default="", metadata={"description": "Nombre de repas (entier).",
                                                               "example": "0"})
    montantRestauration = _amount("Frais de restauration (repas).")
    montantPremierEquipement = _amount("Frais divers : premier équipement.")
    montantMobiliteInternationale = _amount("Frais de mobilité internationale.")
    referenceFactureCFA = ma.fields.String(load_default="", validate=ma.validate.Length(max=60), metadata={
        "description": "Référence de la facture dans le logiciel du CFA (60 caractères au plus).",
        "example": "FAC-2026-0042"})
    dateFacture = ma.fields.Date(load_default=None, metadata={
        "description": "Date de la facture du CFA (absente : le jour du dépôt ; jamais postérieure à aujourd'hui).",
        "example": "2025-09-05"})
    montantHT = ma.fields.String(load_default="", metadata={
        "description": "Montant HT de la facture du CFA : égal au total demandé. Chaîne décimale ; absent ou vide : "
                       "le total demandé.", "example": "2800.00"})
    montantTTC = ma.fields.String(load_default="", metadata={
        "description": "Montant TTC de la facture : égal au HT pour un organisme non assujetti à la TVA, au plus "
                       "HT + 20 % sinon. Chaîne décimale ; absent ou vide : égal au montant HT.",
        "example": "2800.00"})
    commentaire = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000), metadata={
        "description": "Commentaire sur la facture (2 000 caractères au plus).", "example": ""})
    acceptationConditions = ma.fields.Boolean(load_default=False, metadata={
        "description": "true : le CFA accepte les conditions générales de gestion de l'apprentissage "
                       "(obligatoire, comme la case du portail).", "example": True})
    facture = Upload(metadata={"description": "La facture : PDF authentique, 10 Mo au plus (obligatoire)."})
    certificatRealisation = Upload(metadata={
        "description": "Le certificat de réalisation (PDF, 10 Mo au plus) : obligatoire sauf pour une demande qui "
                       "ne couvre que la première avance."})
    justificatifs = ma.fields.List(Upload(), load_default=list, metadata={
        "description": f"Pièces justificatives (PDF, 10 Mo au plus chacune, {MAX_SUPPORTING_FILES} au plus) : "
                       "le champ répété une fois par fichier."})


class InvoiceDepositSchema(ma.Schema):
    numeroInterneFacture = ma.fields.String(metadata={"description": "Numéro de la facture à l'OPCO.",
                                                      "example": "F0000123"})
    etatFacture = ma.fields.String(metadata={"description": "État de la facture (en_traitement au dépôt).",
                                             "example": InvoiceState.PROCESSING.value})
    libelleEtat = ma.fields.String(metadata={"example": InvoiceState.PROCESSING.label})
    montantFacture = Money(metadata={"description": "Montant TTC de la facture."})
    montantHT = Money(metadata={"description": "Montant HT de la facture (le total demandé)."})
    dateFacture = ma.fields.Date()
    referenceFactureCFA = ma.fields.String()
    numeroRecepisse = ma.fields.String(metadata={"description": "Numéro du récépissé de dépôt.",
                                                 "example": "R0000123"})
    numeroInterneDossier = ma.fields.String(metadata={"example": "2026000123"})


def _quantity(text, name, errors):
    """As the portal's QuantityField: empty means zero, a whole number otherwise."""
    text = (text or "").strip()
    if not text:
        return 0
    if not text.lstrip("-").isdigit() or len(text) > 8:
        errors.append({"champ": name, "message": "Nombre entier attendu."})
        return 0
    if abs(int(text)) > MAX_QUANTITY:
        errors.append({"champ": name, "message": f"Nombre hors limites ({MAX_QUANTITY} au plus)."})
        return 0
    return int(text)


def request_data(form):
    """The portal form's RequestData from the API's fields, or a 422 problem listing each unreadable field."""
    errors, values = [], {}
    for name, attribute in AMOUNTS.items():
        try:
            values[attribute] = read_amount(form[name])  # the portal's one reader of typed amounts
        except ValueError as error:
            errors.append({"champ": name, "message": str(error)})
    for name, attribute in QUANTITIES.items():
        values[attribute] = _quantity(form[name], name, errors)
    for name, attribute in (("montantHT", "amount_ht"), ("montantTTC", "amount_ttc")):
        try:  # empty: None, the rules' default (HT = total requested, TTC = HT)
            values[attribute] = read_amount(form[name], exact_cents=True) if form[name].strip() else None
        except ValueError as error:
            errors.append({"champ": name, "message": str(error)})
    if errors:
        raise ApiProblem(422, errors=errors)
    return RequestData(period_start=form["dateDebutPeriode"], period_end=form["dateFinPeriode"],
                       cfa_reference=form["referenceFactureCFA"].strip(),
                       terms_accepted=bool(form["acceptationConditions"]), invoice_date=form["dateFacture"],
                       comment=form["commentaire"].strip(), **values)


def _field_of(refusal):
    if refusal.rule == "negative_amount":
        return FIELD_OF.get(refusal.figures.get("field"), "")
    if refusal.rule == "negative_quantity":
        return "nombreNuitees" if refusal.figures.get("nights", 0) < 0 else "nombreRepas"
    return FIELD_OF_RULE.get(refusal.rule, "")


def refusals_problem(refusals, file_errors=(), status=422):
    errors = list(file_errors) + [{"champ": _field_of(r), "message": r.message} for r in refusals]
    return ApiProblem(status, "La demande de remboursement est refusée : voir « erreurs ».",
                      code="demande_refusee", errors=errors)


@blp.route("/factures")
class InvoiceDepositView(MethodView):
    @idempotent
    @blp.arguments(InvoiceRequestSchema, location=MULTIPART)
    @blp.response(201, InvoiceDepositSchema, headers={"Location": {
        "description": "La facture dans l'API.", "schema": {"type": "string"}}})
    @blp.alt_response(404, description="Dossier inconnu ou hors du périmètre de la clé.")
    @blp.alt_response(409, description="Dossier non facturable (non engagé ou sans subrogation), délégation "
                                       "terminée, ou demande concurrente.")
    @blp.alt_response(413, description="Fichier de plus de 10 Mo.")
    @blp.alt_response(422, description="Demande refusée : les erreurs sont listées par champ.")
    def post(self, form):
        """Déposer une demande de remboursement

        Envoi en multipart/form-data : les champs du formulaire *Demande de remboursement* du portail (dont la
        date et les montants HT et TTC de la facture du CFA, et son commentaire), la facture (`facture`, PDF),
        sauf pour la première avance seule le certificat de réalisation (`certificatRealisation`) et, au besoin,
        des pièces justificatives (`justificatifs`, champ répété). Les contrôles et les refus sont ceux du portail (plafonds, périodes,
        rupture, frais annexes…)."""
        scope = current_api_scope()
        dossier = dossier_in_scope(form["numeroInterneDossier"])
        if not can(scope, "dossier.bill", dossier):
            raise ApiProblem(403, "Cette clé ne permet pas de facturer ce dossier.")
        if not (dossier.state == DossierState.ENGAGED and dossier.subrogated):
            raise ApiProblem(409, "Seul un dossier engagé, avec subrogation, peut faire l'objet d'une demande de "
                                  f"remboursement (ce dossier est « {DossierState.label_of(dossier.state)} »"
                                  f"{'' if dossier.subrogated else ', sans subrogation'}).",
                             code="dossier_non_facturable")
        data = request_data(form)
        pdfs, file_errors = {}, []
        for name, label in (("facture", "La facture"), ("certificatRealisation", "Le certificat de réalisation")):
            upload = form.get(name)
            if not is_provided(upload):
                continue
            try:
                pdfs[name] = read_pdf_upload(upload, label=label)
            except DocumentTooLarge as error:
                raise ApiProblem(413, str(error)) from None
            except DocumentError as error:
                file_errors.append({"champ": name, "message": str(error)})
        supporting = []
        try:
            supporting = read_pdf_uploads(form["justificatifs"], maximum=MAX_SUPPORTING_FILES)
        except DocumentTooLarge as error:
            raise ApiProblem(413, str(error)) from None
        except DocumentError as error:
            file_errors.append({"champ": "justificatifs", "message": str(error)})
        organisation = Organisation.get_by_id(scope.organisation_id)  # the one that bills: the key's
        refusals = check(dossier, data, "facture" in pdfs, "certificatRealisation" in pdfs, organisation)
        if file_errors or refusals:
            raise refusals_problem(refusals, file_errors)
        try:
            invoice = submit(dossier, data, pdfs["facture"], pdfs.get("certificatRealisation"), scope,
                             organisation=organisation, supporting_files=supporting)
        except RequestRefused as refused:  # a concurrent request changed what is left to invoice
            raise refusals_problem(refused.refusals, status=409) from None
        except DelegationError as refused:
            raise ApiProblem(409, str(refused), code="delegation_terminee") from None
        return {"numeroInterneFacture": invoice.display_number, "etatFacture": invoice.state,
                "libelleEtat": InvoiceState.label_of(invoice.state), "montantFacture": invoice.total_ttc,
                "montantHT": invoice.total_ht, "dateFacture": invoice.cfa_invoice_date,
                "referenceFactureCFA": invoice.cfa_reference, "numeroRecepisse": invoice.receipt_number,
                "numeroInterneDossier": dossier.number}, 201, {"Location": f"/api/v1/factures/{invoice.display_number}"}
