"""`GET /api/v1/dossiers`, `GET /api/v1/dossiers/{numero}` and its letters: what the CFA's software reads of
its dossiers — state, engagement, schedule with what is billed and paid, payments, letters.

Every read goes through the key's Scope (access/scope.py); the figures are those of the portal's dossier page
(workflows/dossier_rules.py, rules/), never recomputed here."""
import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from peewee import fn

from access import scope as scoped
from models import (Apprentice, ContractProposal, Dossier, Employer, Letter, Organisation, Payment,
                    PaymentLine)
from models.dossier import INSTALLMENT_KINDS, REGIMES, SCHEMES
from models.states import DossierState, InstallmentStatus
from views.downloads import attachment_response, read_stored
from workflows.documents import log_download
from workflows.dossier_rules import dossier_balance, dossier_financing, stored_installments
from workflows.installments import invoiced_and_paid

from . import api_blueprint
from .fast_dump import FastDumpSchema
from .auth import current_api_scope
from .problems import ApiProblem
from .schemas import Instant, Money, OrganismeSchema, PageQuerySchema, PaginationSchema, naive, organisme

blp = api_blueprint("api_dossiers", __name__,
                    "Les dossiers de l'organisme et de ceux qui lui délèguent leurs contrats : état, engagement, "
                    "échéancier, règlements et courriers.")

NOT_FOUND = "Aucun dossier de ce numéro n'est accessible avec cette clé."


# --- schemas ---------------------------------------------------------------------------------------------

class DossierQuerySchema(PageQuerySchema):
    apres = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**53), metadata={
        "description": "Curseur : la valeur `pagination.curseurSuivant` de la page précédente. Avec lui, la page "
                       "suivante coûte ce que coûte la première (à préférer à `page` pour tout parcourir)."})
    etat = ma.fields.String(validate=ma.validate.OneOf(DossierState.values()),
                            metadata={"description": "Ne garder que les dossiers dans cet état."})
    modifieDepuis = ma.fields.DateTime(metadata={
        "description": "Ne garder que les dossiers modifiés depuis cette date (ISO 8601 ; sans fuseau, dans "
                       "l'heure des dates renvoyées).", "example": "2026-01-31T08:00:00"})


class EmployeurSchema(ma.Schema):
    siret = ma.fields.String(metadata={"description": "SIRET de l'employeur.", "example": "44306184100047"})
    denomination = ma.fields.String(metadata={"description": "Raison sociale de l'employeur."})


class ApprentiSchema(ma.Schema):
    nom = ma.fields.String(metadata={"description": "Nom de naissance de l'apprenti.", "example": "MARTIN"})
    prenom = ma.fields.String(metadata={"description": "Prénom de l'apprenti.", "example": "Léa"})
    dateNaissance = ma.fields.Date(metadata={"description": "Date de naissance de l'apprenti."})


class ContratSchema(ma.Schema):
    typeContrat = ma.fields.String(metadata={"description": "Type de contrat.", "example": "Contrat initial"})
    dateConclusion = ma.fields.Date(metadata={"description": "Date de conclusion du contrat."})
    dateDebutContrat = ma.fields.Date(metadata={"description": "Date de début d'exécution du contrat."})
    dateFinContrat = ma.fields.Date(metadata={"description": "Date de fin du contrat."})
    dateRupture = ma.fields.Date(allow_none=True, metadata={"description": "Date de rupture, s'il y en a une."})
    emploiOccupe = ma.fields.String(metadata={"description": "Intitulé de l'emploi occupé."})


class FormationSchema(ma.Schema):
    rncp = ma.fields.String(metadata={"description": "Code RNCP de la certification.", "example": "RNCP35316"})
    codeDiplome = ma.fields.String(metadata={"description": "Code du diplôme.", "example": "32033422"})
    intitule = ma.fields.String(metadata={"description": "Intitulé du diplôme préparé."})
    niveau = ma.fields.Integer(metadata={"description": "Niveau de la qualification (3 à 8)."})
    dateDebutFormation = ma.fields.Date(allow_none=True, metadata={"description": "Début de la formation."})
    dateFinFormation = ma.fields.Date(allow_none=True, metadata={"description": "Fin de la formation."})
    dureeFormation = ma.fields.Integer(metadata={"description": "Durée de la formation, en heures."})


class DossierSchema(ma.Schema):
    numeroInterneDossier = ma.fields.String(metadata={"description": "N° de dossier à l'OPCO.",
                                                      "example": "2026100001"})
    numeroDeca = ma.fields.String(metadata={"description": "Numéro DECA (vide tant qu'il n'est pas attribué)."})
    etat = ma.fields.String(validate=ma.validate.OneOf(DossierState.values()),
                            metadata={"description": "État du dossier.", "example": "engage"})
    etatLibelle = ma.fields.String(metadata={"description": "Libellé de l'état.", "example": "Engagé"})
    dispositif = ma.fields.String(validate=ma.validate.OneOf([code for code, _ in SCHEMES]),
                                  metadata={"description": "Dispositif.", "example": "apprentissage"})
    employeur = ma.fields.Nested(EmployeurSchema, metadata={"description": "L'employeur."})
    apprenti = ma.fields.Nested(ApprentiSchema, metadata={"description": "L'apprenti."})
    contrat = ma.fields.Nested(ContratSchema, metadata={"description": "Le contrat."})
    formation = ma.fields.Nested(FormationSchema, metadata={"description": "La formation."})
    organismeFormation = ma.fields.Nested(OrganismeSchema, metadata={"description": "Le CFA du dossier."})
    deposeParApi = ma.fields.Boolean(metadata={
        "description": "Vrai si le contrat a été transmis par l'API (par une proposition transmise par API ou "
                       "déposé directement avec une clé d'API)."})
    modifieLe = Instant(metadata={"description": "Date de la dernière modification du dossier."})


class DossierPaginationSchema(PaginationSchema):
    curseurSuivant = ma.fields.Integer(allow_none=True, metadata={
        "description": "À passer en `apres` pour lire la page suivante ; null sur la dernière page."})


class DossierListSchema(FastDumpSchema):
    dossiers = ma.fields.List(ma.fields.Nested(DossierSchema), metadata={"description": "Les dossiers de la page."})
    pagination = ma.fields.Nested(DossierPaginationSchema)


class FraisAnnexesSchema(ma.Schema):
    hebergement = Money(metadata={"description": "Plafond d'hébergement engagé (nuitées × 6 €)."})
    nuitees = ma.fields.Integer(metadata={"description": "Nuitées engagées."})
    restauration = Money(metadata={"description": "Plafond de restauration engagé (repas × 3 €)."})
    repas = ma.fields.Integer(metadata={"description": "Repas engagés."})
    premierEquipement = Money(metadata={"description": "Plafond de premier équipement engagé."})
    mobiliteInternationale = Money(metadata={"description": "Plafond de mobilité internationale engagé."})


class EngagementSchema(ma.Schema):
    regime = ma.fields.String(metadata={"description": "Régime de financement (vide avant l'engagement).",
                                        "example": "2025"})
    regimeLibelle = ma.fields.String(metadata={"description": "Libellé du régime."})
    npecAnnuel = Money(metadata={"description": "Frais pédagogiques : NPEC annuel."})
    majorationHandicap = Money(metadata={"description": "Majoration handicap (RQTH), annuelle."})
    budgetAnnuel = Money(metadata={"description": "Budget d'une année d'exécution (NPEC + majoration)."})
    coutPedagogiqueTotal = Money(metadata={"description": "Coût pédagogique financé sur toute la durée."})
    participationEmployeur = Money(metadata={"description": "Participation de l'employeur, déduite."})
    deltaEmployeur = Money(metadata={"description": "Coût pédagogique du CFA au-delà du NPEC, à facturer à "
                                                    "l'employeur (jamais à l'OPCO)."})
    fraisAnnexes = ma.fields.Nested(FraisAnnexesSchema, metadata={"description": "Plafonds de frais annexes "
                                                                                 "engagés (toute la durée)."})


class SoldePartieSchema(ma.Schema):
    engage = Money(metadata={"description": "Financement engagé (toute la durée)."})
    facturableADate = Money(metadata={"description": "Facturable à ce jour."})
    facture = Money(metadata={"description": "Facturé (hors factures rejetées)."})
    valide = Money(metadata={"description": "Validé (bon à payer)."})
    regle = Money(metadata={"description": "Payé."})
    avoirs = Money(metadata={"description": "Avoirs."})
    resteAFacturer = Money(metadata={"description": "Reste à facturer."})


class SoldeSchema(ma.Schema):
    coutPedagogique = ma.fields.Nested(SoldePartieSchema, metadata={"description": "Coût pédagogique."})
    fraisAnnexes = ma.fields.Nested(SoldePartieSchema, metadata={"description": "Frais annexes."})
    total = ma.fields.Nested(SoldePartieSchema, metadata={"description": "Total."})


class EcheanceSchema(ma.Schema):
    numero = ma.fields.Integer(metadata={"description": "Numéro de l'échéance dans l'échéancier."})
    annee = ma.fields.Integer(metadata={"description": "Année d'exécution du contrat (1, 2, 3…)."})
    nature = ma.fields.String(validate=ma.validate.OneOf([code for code, _ in INSTALLMENT_KINDS]),
                              metadata={"description": "Nature : avance, solde ou solde final."})
    natureLibelle = ma.fields.String(metadata={"description": "Libellé de la nature."})
    dateFacturable = ma.fields.Date(metadata={"description": "Facturable à partir de cette date."})
    dateDebut = ma.fields.Date(metadata={"description": "Début de la période couverte."})
    dateFin = ma.fields.Date(metadata={"description": "Fin de la période couverte."})
    montantTotal = Money(metadata={"description": "Montant de l'échéance."})
    montantFacture = Money(metadata={"description": "Montant facturé de l'échéance (toute l'échéance dès "
                                                    "qu'elle est facturée)."})
    montantRegle = Money(metadata={"description": "Montant réglé de l'échéance."})
    etat = ma.fields.String(validate=ma.validate.OneOf(InstallmentStatus.values()),
                            metadata={"description": "État de l'échéance.", "example": "invoiced"})
    etatLibelle = ma.fields.String(metadata={"description": "Libellé de l'état.", "example": "Facturée"})


class ReglementDossierSchema(ma.Schema):
    referenceVirement = ma.fields.String(metadata={"description": "Référence du virement."})
    dateReglement = ma.fields.Date(metadata={"description": "Date du règlement."})
    modeReglement = ma.fields.String(metadata={"description": "Mode de règlement.", "example": "virement"})
    montant = Money(metadata={"description": "Montant réglé pour ce dossier."})


class CourrierSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "Identifiant du courrier."})
    type = ma.fields.String(metadata={"description": "Type de courrier (accord, relance, refus, rupture…).",
                                      "example": "accord"})
    titre = ma.fields.String(metadata={"description": "Titre du courrier."})
    date = Instant(metadata={"description": "Date d'émission."})
    url = ma.fields.String(metadata={"description": "Adresse du PDF du courrier (même clé d'API).",
                                     "example": "/api/v1/dossiers/2026100001/courriers/12"})


class DossierDetailSchema(DossierSchema):
    engagement = ma.fields.Nested(EngagementSchema, metadata={"description": "Montants engagés."})
    solde = ma.fields.Nested(SoldeSchema, metadata={"description": "Solde courant du dossier, comme sur le portail."})
    echeances = ma.fields.List(ma.fields.Nested(EcheanceSchema), metadata={"description": "L'échéancier."})
    reglements = ma.fields.List(ma.fields.Nested(ReglementDossierSchema),
                                metadata={"description": "Les règlements reçus pour ce dossier."})
    courriers = ma.fields.List(ma.fields.Nested(CourrierSchema), metadata={"description": "Les courriers de l'OPCO."})


# --- queries ---------------------------------------------------------------------------------------------

def deposited_by_api():
    """True when the dossier came through the API: its proposal was deposited by a key (`api_key_id`)."""
    by_key = ContractProposal.select(ContractProposal.id).where(
        (ContractProposal.dossier == Dossier.id) & ContractProposal.api_key_id.is_null(False))
    return fn.EXISTS(by_key).alias("deposited_by_api")


def dossier_rows(scope):
    """The scope's dossiers with their employer, apprentice and organisation: one query."""
    return scoped.dossiers(scope, Dossier.select(Dossier, Employer, Apprentice, Organisation, deposited_by_api())
                           .join(Employer).switch(Dossier).join(Apprentice).switch(Dossier).join(Organisation))


# The columns a list item shows, read as plain rows (a page of 100 built as model instances costs more than
# the query itself).
ITEM_COLUMNS = (
    Dossier.id, Dossier.number, Dossier.deca_number, Dossier.state, Dossier.scheme, Dossier.contract_type,
    Dossier.conclusion_date, Dossier.contract_start, Dossier.contract_end, Dossier.rupture_date, Dossier.job_title,
    Dossier.rncp_code, Dossier.diploma_code, Dossier.diploma_title, Dossier.level, Dossier.training_start,
    Dossier.training_end, Dossier.training_hours, Dossier.updated_at,
    Employer.siret.alias("employer_siret"), Employer.name.alias("employer_name"),
    Apprentice.birth_name, Apprentice.first_name, Apprentice.birth_date,
    Organisation.siret.alias("organisation_siret"), Organisation.uai.alias("organisation_uai"),
    Organisation.name.alias("organisation_name"), deposited_by_api())


def item_rows(scope):
    """The scope's dossiers as list items: one query, plain dicts."""
    return scoped.dossiers(scope, Dossier.select(*ITEM_COLUMNS).join(Employer).switch(Dossier).join(Apprentice)
                           .switch(Dossier).join(Organisation)).dicts()


def item_document(r):
    """A list item from a row of `item_rows` (the same fields as `dossier_document`)."""
    return {
        "numeroInterneDossier": r["number"], "numeroDeca": r["deca_number"], "etat": r["state"],
        "etatLibelle": DossierState.label_of(r["state"]), "dispositif": r["scheme"],
        "employeur": {"siret": r["employer_siret"], "denomination": r["employer_name"]},
        "apprenti": {"nom": r["birth_name"].upper(), "prenom": r["first_name"], "dateNaissance": r["birth_date"]},
        "contrat": {"typeContrat": r["contract_type"], "dateConclusion": r["conclusion_date"],
                    "dateDebutContrat": r["contract_start"], "dateFinContrat": r["contract_end"],
                    "dateRupture": r["rupture_date"], "emploiOccupe": r["job_title"]},
        "formation": {"rncp": r["rncp_code"], "codeDiplome": r["diploma_code"], "intitule": r["diploma_title"],
                      "niveau": r["level"], "dateDebutFormation": r["training_start"],
                      "dateFinFormation": r["training_end"], "dureeFormation": r["training_hours"]},
        "organismeFormation": {"siret": r["organisation_siret"], "uaiCfa": r["organisation_uai"],
                               "denomination": r["organisation_name"]},
        "deposeParApi": bool(r["deposited_by_api"]),
        "modifieLe": r["updated_at"],
    }


def dossier_or_404(scope, number):
    dossier = dossier_rows(scope).where(Dossier.number == str(number)).first()
    if dossier is None:
        raise ApiProblem(404, NOT_FOUND)
    return dossier


# --- documents -------------------------------------------------------------------------------------------

def dossier_document(d):
    a = d.apprentice
    return {
        "numeroInterneDossier": d.number, "numeroDeca": d.deca_number, "etat": d.state,
        "etatLibelle": DossierState.label_of(d.state), "dispositif": d.scheme,
        "employeur": {"siret": d.employer.siret, "denomination": d.employer.name},
        "apprenti": {"nom": a.birth_name.upper(), "prenom": a.first_name, "dateNaissance": a.birth_date},
        "contrat": {"typeContrat": d.contract_type, "dateConclusion": d.conclusion_date,
                    "dateDebutContrat": d.contract_start, "dateFinContrat": d.contract_end,
                    "dateRupture": d.rupture_date, "emploiOccupe": d.job_title},
        "formation": {"rncp": d.rncp_code, "codeDiplome": d.diploma_code, "intitule": d.diploma_title,
                      "niveau": d.level, "dateDebutFormation": d.training_start,
                      "dateFinFormation": d.training_end, "dureeFormation": d.training_hours},
        "organismeFormation": organisme(d.organisation),
        "deposeParApi": bool(getattr(d, "deposited_by_api", False)),
        "modifieLe": d.updated_at,
    }


def engagement_document(d, financing):
    """The portal's *Aspect financier* (views/portal/dossiers.py dossier_financing), in the norm's names."""
    caps = financing["caps"]
    return {
        "regime": d.regime, "regimeLibelle": dict(REGIMES).get(d.regime, ""),
        "npecAnnuel": financing["teaching"], "majorationHandicap": financing["uplift"],
        "budgetAnnuel": financing["annual_budget"], "coutPedagogiqueTotal": financing["total_financed"],
        "participationEmployeur": financing["employer_share"], "deltaEmployeur": financing["delta"],
        "fraisAnnexes": {"hebergement": caps.lodging, "nuitees": d.cap_nights, "restauration": caps.meals,
                         "repas": d.cap_meals, "premierEquipement": caps.first_equipment,
                         "mobiliteInternationale": caps.mobility},
    }


BALANCE_NAMES = {"committed": "engage", "billable_to_date": "facturableADate", "invoiced": "facture",
                 "validated": "valide", "paid": "regle", "credited": "avoirs", "remaining": "resteAFacturer"}


def balance_document(balance):
    def part(running):
        return {name: getattr(running, figure) for figure, name in BALANCE_NAMES.items()}

    return {"coutPedagogique": part(balance.teaching), "fraisAnnexes": part(balance.annexes),
            "total": part(balance.total)}


def installment_document(i):
    invoiced, paid = invoiced_and_paid(i)
    return {"numero": i.number, "annee": i.year, "nature": i.kind,
            "natureLibelle": dict(INSTALLMENT_KINDS).get(i.kind, i.kind),
            "dateFacturable": i.billable_from, "dateDebut": i.period_start, "dateFin": i.period_end,
            "montantTotal": i.amount, "montantFacture": invoiced, "montantRegle": paid, "etat": i.status,
            "etatLibelle": InstallmentStatus.label_of(i.status)}


def letter_url(dossier, letter):
    return url_for("api_dossiers.DossierLetter", numero=dossier.number, courrier_id=letter.id)


def detail_document(scope, d):
    balance = dossier_balance(d)
    in_scope = scoped.payments(scope, Payment.select(Payment.id))
    payments = (PaymentLine.select(PaymentLine, Payment).join(Payment)
                .where((PaymentLine.dossier == d.id) & PaymentLine.payment.in_(in_scope))
                .order_by(Payment.date, Payment.id, PaymentLine.id))
    letters = scoped.letters(scope, Letter.select()).where(Letter.dossier == d.id).order_by(Letter.issued_at, Letter.id)
    return {
        **dossier_document(d),
        "engagement": engagement_document(d, dossier_financing(d, balance.annual_budget)),
        "solde": balance_document(balance),
        "echeances": [installment_document(i) for i in stored_installments(d, include_cancelled=True)],
        "reglements": [{"referenceVirement": line.payment.reference, "dateReglement": line.payment.date,
                        "modeReglement": line.payment.mode, "montant": line.amount} for line in payments],
        "courriers": [{"id": letter.id, "type": letter.kind, "titre": letter.title, "date": letter.issued_at,
                       "url": letter_url(d, letter)} for letter in letters],
    }


# --- routes ----------------------------------------------------------------------------------------------

@blp.route("/dossiers")
class DossierList(MethodView):
    @blp.arguments(DossierQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DossierListSchema)
    def get(self, page, parPage, apres=None, etat=None, modifieDepuis=None):
        """Liste des dossiers

        Les dossiers de l'organisme de la clé et des organismes qui lui délèguent leurs contrats, du plus récent
        au plus ancien, par pages de 100 au plus ; filtres par état et par date de modification. Pour tout
        parcourir, suivre `pagination.curseurSuivant` (paramètre `apres`)."""
        scope = current_api_scope()
        skip = 0 if apres is not None else (page - 1) * parPage
        ids = page_ids(scope, skip + parPage + 1, apres, etat, naive(modifieDepuis) if modifieDepuis else None)
        more, ids = len(ids) > skip + parPage, ids[skip:skip + parPage]
        rows = list(item_rows(scope).where(Dossier.id.in_(ids)).order_by(Dossier.id.desc())) if ids else []
        return {"dossiers": [item_document(r) for r in rows],
                "pagination": {"page": page, "parPage": parPage, "suivante": more,
                               "curseurSuivant": ids[-1] if more else None}}


def page_ids(scope, limit, before_id, state, modified_since):
    """The ids of the first `limit` dossiers of the scope (newest first, before `before_id`): each
    organisation's (organisation, id) — or (organisation, state, id) — index range read in order and the few
    ids merged, where `organisation IN (…) ORDER BY id DESC` would sort every dossier of the organisations."""
    branches = []
    for organisation_id in scoped.organisation_ids(scope):
        query = scoped.dossiers(scope, Dossier.select(Dossier.id), organisation_id=organisation_id)
        if before_id is not None:
            query = query.where(Dossier.id < before_id)
        if state:
            query = query.where(Dossier.state == state)
        if modified_since is not None:
            query = query.where(Dossier.updated_at >= modified_since)
        branches.append(query.order_by(Dossier.id.desc()).limit(limit))
    ids = sorted({i for branch in branches for (i,) in branch.tuples()}, reverse=True)
    return ids[:limit]


@blp.route("/dossiers/<numero>")
class DossierDetail(MethodView):
    @blp.response(200, DossierDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND", description="Dossier inconnu ou hors du périmètre de la clé.")
    def get(self, numero):
        """Un dossier

        L'état du dossier, son engagement, son solde courant, son échéancier avec les montants facturés et
        réglés, ses règlements et ses courriers (liens vers leurs PDF) — les mêmes chiffres que la page du
        dossier sur le portail."""
        scope = current_api_scope()
        return detail_document(scope, dossier_or_404(scope, numero))


@blp.route("/dossiers/<numero>/courriers/<int:courrier_id>")
class DossierLetter(MethodView):
    @blp.response(200, content_type="application/pdf", description="Le courrier en PDF.")
    @blp.doc(responses={"200": {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    @blp.alt_response(404, response="NOT_FOUND", description="Courrier inconnu ou hors du périmètre de la clé.")
    def get(self, numero, courrier_id):
        """Le PDF d'un courrier

        Le courrier de l'OPCO (accord de prise en charge, demande de pièces, refus…) en PDF ; le
        téléchargement est inscrit au journal, au nom de la clé."""
        scope = current_api_scope()
        dossier = dossier_or_404(scope, numero)
        letter = scoped.letters(scope).where((Letter.id == courrier_id) & (Letter.dossier == dossier.id)).first()
        if letter is None:
            raise ApiProblem(404, "Aucun courrier de ce numéro n'est accessible pour ce dossier.")
        data = read_stored(letter.stored_name)
        log_download("letter", letter.id, f"{letter.title} – dossier {dossier.number}", user=scope)
        return attachment_response(data, f"{letter.title} {dossier.number}.pdf")
