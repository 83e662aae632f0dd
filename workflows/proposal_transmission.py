"""Transmitting a proposal to the OPCO: the dossier is created in state *reçu* from the CERFA's fields.

Two ways in: the employer, after accepting and completing the proposal (PROPOSAL `transformer`), or the CFA
itself under the employer's management mandate (`transmettre_mandat`, seed 004). Either way the guarded
UPDATE of `workflows.transitions.apply` moves the proposal first and the dossier is created inside the same
transaction, so a proposal transmitted twice (double click, two tabs) creates one dossier: the second
request finds the proposal no longer in a state the transition starts from and is refused in French.

The dossier gets its employer (the Employer row of the SIRET, created when the OPCO does not know it yet),
its apprentice (NIR checked), training and contract data mapped from the catalogue's keys
(rules/cerfa_fields.py), the proposal's documents, the deposit date; the proposal links to it.
"""
import datetime as dt
from decimal import Decimal, InvalidOperation

from models import Apprentice, ContractProposal, Document, Dossier, DossierCounter, Employer, NpecReference, ProposalStep
from models.states import DossierState, ProposalState
from rules.cerfa import check_proposal
from rules.cerfa_fields import FIELDS_BY_KEY, FIRST_CONTRACT, TABS_BY_KEY, YES, tab_of
from rules.identifiers import check_nir, check_siret, normalize_nir, normalize_siret
from infrastructure.numbering import immediate_transaction, next_number
from workflows.audit import actor_user, record
from workflows.npec_import import propose_npec
from workflows.smic import smic_on
from workflows.state_machines import PROPOSAL
from workflows.transitions import TransitionRefused, apply

# The fields without which no dossier can exist (the other checks are rules/cerfa.py's, run before).
NEEDED = {
    "employeur.siret": "le SIRET de l'employeur", "employeur.denomination": "la dénomination de l'employeur",
    "apprenti.nom": "le nom de l'apprenti", "apprenti.prenom": "le prénom de l'apprenti",
    "apprenti.dateNaissance": "la date de naissance de l'apprenti",
    "contrat.dateConclusion": "la date de conclusion du contrat",
    "contrat.dateDebutContrat": "la date de début du contrat", "contrat.dateFinContrat": "la date de fin du contrat",
}


class TransmissionRefused(Exception):
    """The proposal cannot become a dossier; `problems` lists each reason in French."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(" ; ".join(self.problems))


def _date(value):
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _int(value, default=0):
    try:
        return int(str(value or "").strip())
    except ValueError:
        return default


def _decimal(value):
    try:
        return Decimal(str(value or "").strip().replace(",", "."))
    except InvalidOperation:
        return None


def blocking_problems(data, today):
    """What stops the proposal's data from making a dossier: rules/cerfa.py's checks, then our own minimum."""
    problems = []
    errors = cerfa_errors(data, today)
    for key, messages in errors.items():
        problems += [f"{_label(key)} : {message}" for message in messages]
    for key, what in NEEDED.items():
        if not str(data.get(key) or "").strip():
            problems.append(f"Il manque {what}.")
        elif key.startswith(("contrat.date", "apprenti.date")) and _date(data.get(key)) is None:
            problems.append(f"{what[0].upper()}{what[1:]} n'est pas une date valide.")
    siret_error = check_siret(data.get("employeur.siret") or "") if data.get("employeur.siret") else None
    if siret_error:
        problems.append(f"Employeur : {siret_error}.")
    nir = data.get("apprenti.nir") or ""
    if nir and check_nir(nir):
        problems.append(f"Apprenti : {check_nir(nir)}.")
    return list(dict.fromkeys(problems))


def cerfa_errors(data, today):
    """Every check of SPEC §7 through rules/cerfa.py: {key: [messages]}, with the SMIC in effect at the contract's
    start (a dated setting) and the RNCP codes of the NPEC referential when it holds any."""
    start = _date((data or {}).get("contrat.dateDebutContrat")) or today
    known = {code for (code,) in NpecReference.select(NpecReference.rncp_code).distinct().tuples()}
    return check_proposal(data or {}, today, smic_on(start), known_rncp=known or None)


def _label(key):
    field = FIELDS_BY_KEY.get(key)
    if field is not None:
        return field.label
    return TABS_BY_KEY[tab_of(key)].title


def transmit_by_employer(proposal, scope, today):
    """The employer's final *Transmettre à l'OPCO*: the accepted, completed proposal becomes a dossier."""
    return _transmit(proposal, scope, today, "transformer", under_mandate=False)


def transmit_under_mandate(proposal, scope, today):
    """The CFA's *Transmettre à l'OPCO* under the employer's declared mandate, skipping the employer's step."""
    if ContractProposal.get_by_id(proposal.id).mandate_document_id is None:
        raise TransmissionRefused(["Déclarez d'abord le mandat de gestion de l'employeur, avec son attestation."])
    return _transmit(proposal, scope, today, "transmettre_mandat", under_mandate=True)


def _transmit(proposal, scope, today, transition, under_mandate):
    current = ContractProposal.get_by_id(proposal.id)
    if current.state not in PROPOSAL.transitions[transition].from_states:
        raise TransitionRefused(f"cette proposition est déjà « {ProposalState.label_of(current.state)} » "
                                "; rechargez la page")
    problems = blocking_problems(current.data or {}, today)
    if problems:
        raise TransmissionRefused(problems)
    made = {}

    def create_dossier(row):
        dossier = _create_dossier(row, scope, today, under_mandate)
        made["dossier"] = dossier
        ContractProposal.update(dossier=dossier.id).where(ContractProposal.id == row.id).execute()
        ProposalStep.create(proposal=row.id, state=row.state, by=actor_user(scope),
                            note=f"Dossier {dossier.number} déposé" + (" (mandat de gestion)" if under_mandate else ""))
        return f"dossier {dossier.number} créé"

    with immediate_transaction():
        apply(PROPOSAL, transition, current, scope, within=create_dossier,
              notice=lambda row: _notice(row, made.get("dossier"), under_mandate))
    return made["dossier"]


def _notice(row, dossier, under_mandate):
    who = "Transmise à l'OPCO par le CFA (mandat de gestion)" if under_mandate else "Transmise à l'OPCO par l'entreprise"
    name = f"{row.apprentice_last_name} {row.apprentice_first_name}".strip()
    number = f" : dossier {dossier.number}, reçu" if dossier else ""
    return f"Proposition de contrat de {name or 'l’apprenti'} — {who}{number}."


def _create_dossier(proposal, scope, today, under_mandate):
    data = proposal.data or {}
    employer = employer_for(data, scope)
    apprentice = apprentice_for(data)
    start, end = _date(data.get("contrat.dateDebutContrat")), _date(data.get("contrat.dateFinContrat"))
    level = _level_of(data.get("formation.typeDiplome"))
    dossier = Dossier.create(
        number=_new_number(today), scheme="apprentissage", state=DossierState.RECEIVED,
        organisation=proposal.organisation_id, employer=employer, apprentice=apprentice,
        apprentice_name=f"{apprentice.birth_name.upper()} {apprentice.first_name}",
        diploma_title=(data.get("formation.intituleQualification") or "")[:200],
        diploma_code=(data.get("formation.codeDiplome") or "").strip()[:8],
        rncp_code=(data.get("formation.rncp") or "").strip().upper()[:12], level=level,
        training_start=_date(data.get("formation.dateDebutFormation")),
        training_end=_date(data.get("formation.dateFinFormation")),
        training_hours=_int(data.get("formation.dureeFormation")),
        distance_percent=min(100, max(0, _int(data.get("formation.partFormationDistance")))),
        contract_type=_contract_type(data.get("contrat.typeContratApp")),
        conclusion_date=_date(data.get("contrat.dateConclusion")), contract_start=start, contract_end=end,
        reduced_duration=data.get("contrat.dureeReduite") == YES,
        npec=_decimal(data.get("financement.npec")) or Decimal("0"),
        cap_nights=_int(data.get("financement.fraisAnnexes.nuitees")),
        cap_meals=_int(data.get("financement.fraisAnnexes.repas")),
        cap_first_equipment=_decimal(data.get("financement.fraisAnnexes.premierEquipement")) or Decimal("0"),
        cap_mobility=_decimal(data.get("financement.fraisAnnexes.mobiliteInternationale")) or Decimal("0"),
        deposit_date=today, under_mandate=under_mandate)
    DossierCounter.created(dossier)
    if not dossier.npec:  # none typed in Synthèse: the referential's (RNCP × IDCC → CPNE), as the back office does
        proposed = propose_npec(dossier, employer=employer)
        if proposed.found:
            Dossier.update(npec=proposed.npec).where(Dossier.id == dossier.id).execute()
            dossier = Dossier.get_by_id(dossier.id)
    attached = attach_documents(proposal, dossier)
    record("dossier", dossier.id, "deposit", None, dossier, user=scope,
           note=f"Contrat de {dossier.apprentice_name} déposé depuis la proposition n° {proposal.id}"
                + (" sous mandat de gestion de l'employeur" if under_mandate else "")
                + (f" ; {attached} pièce(s) jointe(s)" if attached else ""))
    return dossier


def _level_of(diploma_code):
    """The training level from the diploma type's code (CERFA: 8x doctorate … 3x CAP)."""
    first = str(diploma_code or "")[:1]
    return {"8": 8, "7": 7, "6": 6, "5": 5, "4": 4}.get(first, 3)


def _contract_type(code):
    """The dossier's contract type: « Contrat initial » for a first contract, else the CERFA's label."""
    if code in (None, "", FIRST_CONTRACT):
        return "Contrat initial"
    return FIELDS_BY_KEY["contrat.typeContratApp"].choice_label(code)[:60]


def employer_for(data, scope):
    """The Employer row of the proposal's SIRET, created (and audited) when the OPCO does not know it yet."""
    siret = normalize_siret(data.get("employeur.siret"))
    employer = Employer.get_or_none(Employer.siret == siret)
    if employer is not None:
        return employer
    employer = Employer.create(
        siret=siret, name=(data.get("employeur.denomination") or siret)[:200],
        street=" ".join(x for x in (data.get("employeur.adresse.numero"), data.get("employeur.adresse.voie")) if x)[:200],
        postal_code=(data.get("employeur.adresse.codePostal") or "")[:5],
        city=(data.get("employeur.adresse.commune") or "")[:100], naf=(data.get("employeur.naf") or "")[:5],
        idcc=(data.get("employeur.codeIdcc") or "")[:4],
        headcount=_int(data.get("employeur.nombreDeSalaries"), None),
        email=(data.get("employeur.courriel") or "")[:254], phone=(data.get("employeur.telephone") or "")[:20])
    record("employer", employer.id, "create", None, employer, user=scope,
           note="Employeur créé au dépôt d'une proposition de contrat")
    return employer


def apprentice_for(data):
    """A new Apprentice row from the CERFA's identity (the NIR stored normalised, checked before)."""
    street = " ".join(x for x in (data.get("apprenti.adresse.numero"), data.get("apprenti.adresse.voie")) if x)
    guardian = " ".join(x for x in (data.get("apprenti.responsableLegal.prenom"),
                                    data.get("apprenti.responsableLegal.nom")) if x)
    return Apprentice.create(
        birth_name=(data.get("apprenti.nom") or "").strip().upper()[:100],
        usage_name=(data.get("apprenti.nomUsage") or "").strip()[:100],
        first_name=(data.get("apprenti.prenom") or "").strip()[:100],
        birth_date=_date(data.get("apprenti.dateNaissance")),
        nir=normalize_nir(data.get("apprenti.nir") or "")[:15], sex=(data.get("apprenti.sexe") or "")[:1],
        rqth=data.get("apprenti.handicap") == YES,
        birth_department=(data.get("apprenti.departementNaissance") or "")[:3],
        birth_city=(data.get("apprenti.communeNaissance") or "")[:100],
        nationality=_nationality(data.get("apprenti.nationalite")), street=street[:200],
        postal_code=(data.get("apprenti.adresse.codePostal") or "")[:5],
        city=(data.get("apprenti.adresse.commune") or "")[:100], phone=(data.get("apprenti.telephone") or "")[:20],
        email=(data.get("apprenti.courriel") or "")[:254], legal_representative=guardian[:200])


def _nationality(code):
    return {"1": "Française", "2": "Union européenne", "3": "Étranger hors Union européenne"}.get(code, "Française")


def proposal_documents(proposal):
    """The documents of a proposal: those uploaded on it and its mandate attestation."""
    condition = (Document.id == (proposal.mandate_document_id or -1)) | (Document.proposal == proposal.id)
    return Document.select().where(condition).order_by(Document.id)


def attach_documents(proposal, dossier):
    """Attach the proposal's documents to its new dossier; return how many."""
    ids = [d.id for d in proposal_documents(proposal) if d.dossier_id is None]
    if ids:
        Document.update(dossier=dossier.id).where(Document.id.in_(ids)).execute()
    return len(ids)


def _new_number(today):
    """A new dossier number `AAAA` + 6 digits from the year's counter (numbers already taken are skipped)."""
    while True:
        number = f"{today.year}{next_number(f'dossier-{today.year}'):06d}"
        if not Dossier.select().where(Dossier.number == number).exists():
            return number
