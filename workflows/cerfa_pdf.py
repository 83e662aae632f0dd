"""The reconstituted CERFA FA13 (10103*14) as a PDF (issue 12, item 4; seed 004 *Affichage*).

One template (templates/pdf/cerfa.html) laid out in the CERFA's sections, filled from a proposal's data through
the field catalogue (rules/cerfa_fields.py). While the checks of SPEC §7 (rules.cerfa.check_proposal) still
find errors, the PDF ends with pages listing each one (tab, field, rule), as the public CERFA generators do.
A dossier prints the data of the proposal it came from, or its own columns mapped onto the same keys.
"""
from dataclasses import dataclass

from infrastructure import clock
from infrastructure.formatting import date_fr
from infrastructure.pdf import render_pdf
from models import Apprentice, ContractProposal, Employer, Organisation
from models.states import ProposalState
from rules import cerfa_fields as catalogue
from rules.cerfa import check_proposal
from rules.double_funding import as_date
from workflows.smic import smic_on

# The CERFA's own section titles, in its order, with the catalogue tab each one prints.
SECTIONS = (
    ("employeur", "L'EMPLOYEUR"),
    ("apprenti", "L'APPRENTI(E)"),
    ("maitres", "LE MAÎTRE D'APPRENTISSAGE"),
    ("contrat", "LE CONTRAT"),
    ("formation", "LA FORMATION"),
)
RESERVED_TITLE = "CADRE RÉSERVÉ À L'ORGANISME EN CHARGE DU DÉPÔT DU CONTRAT"
EDITED_BY = "Document édité depuis Portail CFA le"


@dataclass(frozen=True)
class ErrorRow:
    tab: str
    field: str
    message: str


def display_value(field, raw) -> str:
    """A stored value as the CERFA prints it: dates jj/mm/aaaa, choice labels, Oui/Non, euros with a comma."""
    value = "" if raw is None else str(raw).strip()
    if not value:
        return ""
    if field.kind == "date":
        day = as_date(value)
        return date_fr(day) if day else value
    if field.kind == "choice":
        return field.choice_label(value)
    if field.kind == "bool":
        return {catalogue.YES: "Oui", catalogue.NO: "Non"}.get(value, value)
    if field.kind == "decimal":
        return value.replace(".", ",")
    if field.kind == "percent":
        return f"{value.replace('.', ',')} %"
    return value


def cerfa_sections(data):
    """[{title, groups: [{title, rows: [(label, value)]}]}] for the five sections of the CERFA."""
    data = data if isinstance(data, dict) else {}
    sections = []
    for tab_key, title in SECTIONS:
        groups = []
        for field in catalogue.fields_of(tab_key):
            if not groups or groups[-1]["title"] != field.section:
                groups.append({"title": field.section, "rows": []})
            groups[-1]["rows"].append((field.label, display_value(field, data.get(field.key))))
        # a group left entirely blank (second master, legal representative…) is not printed
        groups = [g for g in groups if not g["title"] or any(value for _, value in g["rows"])]
        sections.append({"key": tab_key, "title": title, "groups": groups})
    return sections


def error_rows(errors):
    """Each remaining error as (tab title, field label, message), in the order of the tabs and their fields."""
    order = {field.key: index for index, field in enumerate(catalogue.FIELDS)}
    rows = []
    for tab_key in catalogue.TAB_KEYS:
        tab_errors = [(key, messages) for key, messages in (errors or {}).items()
                      if catalogue.tab_of(key) == tab_key]
        tab_errors.sort(key=lambda item: order.get(item[0], len(order)))
        for key, messages in tab_errors:
            field = catalogue.FIELDS_BY_KEY.get(key)
            label = field.label if field else key
            if field is not None and field.section:
                label = f"{field.section} : {label}"
            for message in messages:
                rows.append(ErrorRow(catalogue.TABS_BY_KEY[tab_key].title, label, message))
    return rows


def remaining_errors(data, today=None, include_employer_fields=True):
    """The SPEC §7 checks on `data` (rules.cerfa.check_proposal), as {field key: [messages]}.

    The pay is checked in euros against the SMIC in effect when the contract starts (today when unknown).
    """
    data = data if isinstance(data, dict) else {}
    today = today or clock.today()
    start = as_date(data.get("contrat.dateDebutContrat"))
    smic = smic_on(start if start and start.year > 1900 else today)
    return check_proposal(data, today, smic=smic, include_employer_fields=include_employer_fields)


def render_cerfa(data, reserved=None, errors=None, today=None, include_employer_fields=True):
    """The CERFA PDF of `data`; `reserved` ({label: value}) fills the OPCO's box; error pages when errors remain."""
    today = today or clock.today()
    if errors is None:
        errors = remaining_errors(data, today, include_employer_fields)
    return render_pdf("pdf/cerfa.html", sections=cerfa_sections(data), errors=error_rows(errors),
                      reserved=reserved or {}, reserved_title=RESERVED_TITLE, edited_by=EDITED_BY,
                      today=today, generated_at=today)


def proposal_reserved(proposal):
    """The OPCO's box for a proposal: its state, and the dossier once it exists."""
    reserved = {"Proposition de contrat n°": str(proposal.id), "État": ProposalState.label_of(proposal.state)}
    if proposal.dossier_id:
        reserved["N° de dossier"] = proposal.dossier.number
    return reserved


# Until the employer takes the proposal over, what the employer fills (attestation, signature date) is not an
# error of the CFA's entry; from its review on, transmission needs it.
CFA_ENTRY_STATES = ProposalState.values(ProposalState.DRAFT, ProposalState.SENT)


def proposal_cerfa_pdf(proposal, today=None):
    return render_cerfa(proposal.data, proposal_reserved(proposal), today=today,
                        include_employer_fields=proposal.state not in CFA_ENTRY_STATES)


def proposal_cerfa_filename(proposal):
    name = " ".join(part for part in (proposal.apprentice_last_name.upper(), proposal.apprentice_first_name) if part)
    return f"CERFA 10103 - proposition {proposal.id}" + (f" - {name}" if name else "") + ".pdf"


# --- a dossier: its proposal's data, or its own columns on the catalogue's keys ----------------------------

def _iso(day):
    return day.isoformat() if day else ""


def dossier_cerfa_data(dossier):
    """The CERFA data of `dossier`: the proposal it came from (updated with the dossier's contract facts)."""
    proposal = ContractProposal.get_or_none(ContractProposal.dossier == dossier.id)
    data = dict(proposal.data) if proposal is not None and isinstance(proposal.data, dict) else {}
    employer = Employer.get_by_id(dossier.employer_id)
    apprentice = Apprentice.get_by_id(dossier.apprentice_id)
    organisation = Organisation.get_by_id(dossier.organisation_id)
    own = {
        "employeur.denomination": employer.name, "employeur.siret": employer.siret,
        "employeur.naf": getattr(employer, "naf", ""), "employeur.codeIdcc": getattr(employer, "idcc", ""),
        "apprenti.nom": apprentice.birth_name, "apprenti.nomUsage": apprentice.usage_name,
        "apprenti.prenom": apprentice.first_name, "apprenti.nir": apprentice.nir, "apprenti.sexe": apprentice.sex,
        "apprenti.dateNaissance": _iso(apprentice.birth_date),
        "apprenti.departementNaissance": apprentice.birth_department,
        "apprenti.communeNaissance": apprentice.birth_city,
        "apprenti.handicap": catalogue.YES if apprentice.rqth else catalogue.NO,
        "contrat.dateConclusion": _iso(dossier.conclusion_date), "contrat.dateDebutContrat": _iso(dossier.contract_start),
        "contrat.dateFinContrat": _iso(dossier.contract_end),
        "contrat.dureeReduite": catalogue.YES if dossier.reduced_duration else catalogue.NO,
        "organismeFormation.denomination": organisation.name, "organismeFormation.siret": organisation.siret,
        "organismeFormation.uaiCfa": getattr(organisation, "uai", ""),
        "formation.intituleQualification": dossier.diploma_title, "formation.codeDiplome": dossier.diploma_code,
        "formation.rncp": dossier.rncp_code, "formation.dateDebutFormation": _iso(dossier.training_start),
        "formation.dateFinFormation": _iso(dossier.training_end),
        "formation.dureeFormation": str(dossier.training_hours) if dossier.training_hours else "",
        "formation.partFormationDistance": str(dossier.distance_percent) if dossier.distance_percent else "",
    }
    for key, value in own.items():
        if value not in (None, "") and (key not in data or not data.get(key)):
            data[key] = value
    return data, proposal


def dossier_reserved(dossier, proposal=None):
    from workflows.dossier_workflow import STATE_LABELS

    reserved = {"N° de dossier": dossier.number, "État du dossier": STATE_LABELS.get(dossier.state, dossier.state)}
    if dossier.deca_number:
        reserved["N° DECA"] = dossier.deca_number
    if dossier.deposit_date:
        reserved["Date de dépôt"] = date_fr(dossier.deposit_date)
    if proposal is not None:
        reserved["Proposition de contrat n°"] = str(proposal.id)
    return reserved


def dossier_cerfa_pdf(dossier, today=None):
    """A dossier's CERFA: transmitted and checked already, so no error pages (the OPCO instructs it)."""
    data, proposal = dossier_cerfa_data(dossier)
    return render_cerfa(data, dossier_reserved(dossier, proposal), errors={}, today=today)


def dossier_cerfa_filename(dossier):
    return f"CERFA 10103 - dossier {dossier.number}.pdf"


def cerfa_of(record, today=None):
    """(audit entity, PDF bytes, file name) of the CERFA of a proposal or a dossier."""
    if isinstance(record, ContractProposal):
        return "contract_proposal", proposal_cerfa_pdf(record, today), proposal_cerfa_filename(record)
    return "dossier", dossier_cerfa_pdf(record, today), dossier_cerfa_filename(record)
