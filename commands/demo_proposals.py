"""Demo contract proposals (seed 002) for the demo employers Garage Central and Clinique des Lilas, in every state.

Each one is played through the workflows the screens call, on its own days before the load: the CFA enters the
draft and sends it (workflows.proposals), the employer accepts, completes and transmits it or refuses it
(workflows.employer_proposals, workflows.proposal_transmission), or the CFA declares the employer's mandate and
transmits it itself. Dates are relative to the day of the load so every contract is plausible that day.
"""
import datetime as dt
from decimal import Decimal

from access.scope import Scope, scope_for_user
from commands.demo_data import DIPLOMAS, EMPLOYERS, ORGANISATIONS
from commands.demo_story import moment, pdf_of
from commands.generate import make_nir
from models import ContractProposal
from models.settings import seed_smic_rates
from models.states import ProposalState
from rules.cerfa import pay_amount
from workflows import employer_proposals, proposal_transmission, proposals
from workflows.smic import smic_on

# CFA, employer, diploma, (birth name, first name, sex), where the story leaves it
PROPOSALS = [
    ("sud", "garage", "cap_auto", ("NOEL", "Hugo", "M"), "brouillon"),
    ("sud", "garage", "cap_auto", ("LAMBERT", "Chloé", "F"), "envoye"),
    ("sud", "garage", "mco", ("ROUX", "Nathan", "M"), "en_examen"),
    ("sud", "garage", "cap_auto", ("FAURE", "Léo", "M"), "accepte"),
    ("sud", "garage", "mco", ("BLANC", "Jade", "F"), "refuse_entreprise"),
    ("sud", "garage", "mco", ("MOREL", "Lina", "F"), "mandat"),
    ("nord", "clinique", "aide_soignant", ("MASSON", "Julie", "F"), "brouillon"),
    ("nord", "clinique", "aide_soignant", ("DUBOIS", "Camille", "F"), "envoye"),
    ("nord", "clinique", "ambulancier", ("LEROY", "Manon", "F"), "en_examen"),
    ("nord", "clinique", "aide_soignant", ("ROBIN", "Sarah", "F"), "accepte"),
    ("nord", "clinique", "ambulancier", ("GAUTHIER", "Lucas", "M"), "refuse_entreprise"),
]
CFA_ADMINS = {"sud": "admin@cfa-sud.test", "nord": "admin@cfa-nord.test"}
DIPLOMA_TYPES = {"cap_auto": "33", "mco": "54", "aide_soignant": "49", "ambulancier": "38"}
EMPLOYER_TYPES = {"garage": "11", "clinique": "16"}
REFUSALS = {"BLANC": "Le poste a été pourvu en interne.", "GAUTHIER": "Pas de maître d'apprentissage disponible "
                                                                      "à la rentrée."}
PORTAL = "http://localhost:5000/portail/"


def contract_start(today):
    """The first day of the month after next: the contracts the CFAs are preparing now."""
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


class ProposalSteps:
    """Planned by DemoStory (commands/demo.py) after the accounts exist: `plan_proposals()`."""

    def plan_proposals(self):
        seed_smic_rates()  # the dated SMIC setting a new database starts with (a test database may lack it)
        for k, line in enumerate(PROPOSALS, start=1):
            self.at(moment(self.today - dt.timedelta(days=30 - k), 9, 15), self._propose, k, line)

    def _values(self, k, line):
        org_key, emp_key, diploma_key, (last, first, sex), _ = line
        name, street, postal, city, naf, idcc, _, headcount, siren, _ = EMPLOYERS[emp_key]
        title, code, rncp, _, job, hours = DIPLOMAS[diploma_key]
        start = contract_start(self.today)
        years = 2
        end = start.replace(year=start.year + years) - dt.timedelta(days=1)
        birth = dt.date(start.year - 19, 1 + k % 12, 3 + k)
        dept = ORGANISATIONS[org_key][5]
        pay = pay_amount(43, smic_on(start)) + Decimal("10.00")
        employer = self.employers[emp_key]
        return {
            "employeur.denomination": name, "employeur.siret": employer.siret, "employeur.adresse.voie": street,
            "employeur.adresse.codePostal": postal, "employeur.adresse.commune": city,
            "employeur.telephone": "0491552010", "employeur.courriel": EMPLOYERS[emp_key][9][0],
            "employeur.typeEmployeur": EMPLOYER_TYPES[emp_key], "employeur.employeurSpecifique": "0",
            "employeur.naf": naf, "employeur.nombreDeSalaries": str(headcount), "employeur.codeIdcc": idcc,
            "apprenti.nom": last, "apprenti.prenom": first, "apprenti.sexe": sex,
            "apprenti.nir": make_nir("1" if sex == "M" else "2", birth.year, birth.month, dept, 577 * k),
            "apprenti.dateNaissance": birth.isoformat(), "apprenti.departementNaissance": dept,
            "apprenti.communeNaissance": ORGANISATIONS[org_key][4], "apprenti.nationalite": "1",
            "apprenti.regimeSocial": "2", "apprenti.situationAvantContrat": "1", "apprenti.diplomePrepare": "41",
            "apprenti.derniereClasse": "01", "apprenti.diplome": "41", "apprenti.adresse.voie": f"{k} rue des Écoles",
            "apprenti.adresse.codePostal": ORGANISATIONS[org_key][3], "apprenti.adresse.commune": ORGANISATIONS[org_key][4],
            "maitre1.nom": EMPLOYERS[emp_key][9][2].upper(), "maitre1.prenom": EMPLOYERS[emp_key][9][1],
            "maitre1.dateNaissance": "1976-05-12", "maitre1.courriel": EMPLOYERS[emp_key][9][0],
            "maitre1.emploiOccupe": f"Responsable {job.lower()}",
            "contrat.typeContratApp": "11", "contrat.dateDebutContrat": start.isoformat(),
            "contrat.dateDebutFormationPratique": start.isoformat(), "contrat.dateFinContrat": end.isoformat(),
            "contrat.dureeTravailHebdoHeures": "35", "contrat.remunerationsAnnuelles.1.taux": "43",
            "contrat.remunerationsAnnuelles.1.typeSalaire": "SMIC", "contrat.remunerationsAnnuelles.2.taux": "51",
            "contrat.remunerationsAnnuelles.2.typeSalaire": "SMIC", "contrat.salaireEmbauche": f"{pay:.2f}",
            "formation.typeDiplome": DIPLOMA_TYPES[diploma_key], "formation.intituleQualification": title,
            "formation.codeDiplome": code, "formation.rncp": rncp,
            "formation.dateDebutFormation": (start + dt.timedelta(days=6)).isoformat(),
            "formation.dateFinFormation": (end - dt.timedelta(days=60)).isoformat(),
            "formation.dureeFormation": str(hours * years),
        }

    def _propose(self, when, k, line):
        """The CFA enters the draft; the rest of its story is planned on the following days."""
        org_key, emp_key, _, (last, _, _), target = line
        org = self.orgs[org_key]
        cfa = scope_for_user(self.users[CFA_ADMINS[org_key]], org.id)
        proposal = proposals.create(cfa, self._values(k, line))
        day = when.date()
        if target == ProposalState.DRAFT:
            return
        if target == "mandat":
            self.at(moment(day + dt.timedelta(days=1), 11), self._mandate, cfa, proposal.id)
            return
        self.at(moment(day + dt.timedelta(days=1), 10), self._send, cfa, proposal.id)
        employer = Scope.of_employer(self.users[EMPLOYERS[emp_key][9][0]])
        if target == ProposalState.REFUSED_BY_EMPLOYER:
            self.at(moment(day + dt.timedelta(days=3), 14), self._refuse, employer, proposal.id, REFUSALS[last])
        elif target in (ProposalState.UNDER_REVIEW, ProposalState.ACCEPTED):
            self.at(moment(day + dt.timedelta(days=3), 14), self._accept, employer, proposal.id)
            if target == ProposalState.ACCEPTED:
                self.at(moment(day + dt.timedelta(days=4), 9), self._complete, employer, proposal.id)
                self.at(moment(day + dt.timedelta(days=5), 16), self._transmit, employer, proposal.id)

    @staticmethod
    def _proposal(proposal_id):
        return ContractProposal.get_by_id(proposal_id)

    def _send(self, when, cfa, proposal_id):
        proposal = self._proposal(proposal_id)
        start = dt.date.fromisoformat(proposal.data["contrat.dateDebutContrat"])
        proposals.send_to_employer(cfa, proposal, when.date(), smic_on(start), link_for=lambda secret: PORTAL,
                                   portal_link=PORTAL)

    def _accept(self, when, employer, proposal_id):
        employer_proposals.accept(self._proposal(proposal_id), employer)

    def _complete(self, when, employer, proposal_id):
        """The employer dates the signature and fills in the attestation."""
        proposal = self._proposal(proposal_id)
        data = dict(proposal.data, **{"contrat.dateConclusion": when.date().isoformat()})
        employer_proposals.save_fields(proposal, employer, "contrat", data)
        employer_proposals.save_fields(proposal, employer, "attestation", dict(data, **{
            "attestation.piecesJustificatives": "oui", "attestation.exactitude": "oui",
            "attestation.lieuSignature": proposal.data["employeur.adresse.commune"]}))

    def _transmit(self, when, employer, proposal_id):
        proposal_transmission.transmit_by_employer(self._proposal(proposal_id), employer, when.date())

    def _refuse(self, when, employer, proposal_id, reason):
        employer_proposals.refuse(self._proposal(proposal_id), employer, reason)

    def _mandate(self, when, cfa, proposal_id):
        """The CFA holds the employer's management mandate: it declares it, then transmits to the OPCO itself."""
        proposal = self._proposal(proposal_id)
        attestation = pdf_of("Attestation de mandat de gestion", proposal.data["employeur.denomination"],
                             f"SIRET {proposal.data['employeur.siret']}", "Mandat donné au CFA pour déposer le contrat")
        proposal = employer_proposals.declare_mandate(proposal, cfa, "attestation-mandat.pdf", attestation)
        data = dict(proposal.data, **{"contrat.dateConclusion": when.date().isoformat(),
                                      "attestation.piecesJustificatives": "oui", "attestation.exactitude": "oui",
                                      "attestation.lieuSignature": proposal.data["employeur.adresse.commune"]})
        proposals.save(cfa, proposal, data)
        proposal_transmission.transmit_under_mandate(self._proposal(proposal_id), cfa, when.date())
