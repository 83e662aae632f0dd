"""A complete CERFA proposal (every field the catalogue requires, consistent with SPEC §7) and the builder of a
proposal sent by a CFA to an employer, as the CFA's editor leaves it."""
import datetime as dt

import models
from tests.factories import make_nir, make_uai


def complete_data(organisation, employer, **overrides):
    """Catalogue keys (rules/cerfa_fields.py) → strings: an apprentice of 19 on a two-year BTS contract."""
    data = {
        "employeur.denomination": employer.name, "employeur.siret": employer.siret,
        "employeur.adresse.numero": "27", "employeur.adresse.voie": "avenue du Prado",
        "employeur.adresse.codePostal": "13006", "employeur.adresse.commune": "Marseille",
        "employeur.telephone": "0491000000", "employeur.courriel": "rh@entreprise.test",
        "employeur.typeEmployeur": "11", "employeur.employeurSpecifique": "0", "employeur.naf": "4520A",
        "employeur.nombreDeSalaries": "38", "employeur.codeIdcc": "1090", "employeur.regimeSpecifique": "non",
        "apprenti.nom": "LEBLANC", "apprenti.prenom": "Inès", "apprenti.nir": make_nir(41, sex="2", year=2007, month=3),
        "apprenti.sexe": "F", "apprenti.dateNaissance": "2007-03-14", "apprenti.departementNaissance": "75",
        "apprenti.communeNaissance": "Paris", "apprenti.nationalite": "1", "apprenti.regimeSocial": "2",
        "apprenti.handicap": "non", "apprenti.situationAvantContrat": "1", "apprenti.diplomePrepare": "41",
        "apprenti.derniereClasse": "01", "apprenti.diplome": "41", "apprenti.adresse.numero": "3",
        "apprenti.adresse.voie": "rue des Lilas", "apprenti.adresse.codePostal": "13005",
        "apprenti.adresse.commune": "Marseille", "apprenti.courriel": "ines.leblanc@exemple.test",
        "maitre1.nom": "GIRAUD", "maitre1.prenom": "Marc", "maitre1.dateNaissance": "1978-06-02",
        "maitre1.courriel": "marc.giraud@entreprise.test", "maitre1.emploiOccupe": "Chef d'atelier",
        "contrat.typeContratApp": "11", "contrat.dateConclusion": "2026-08-20", "contrat.dateDebutContrat": "2026-09-01",
        "contrat.dateDebutFormationPratique": "2026-09-01", "contrat.dateFinContrat": "2028-08-31",
        "contrat.dureeTravailHebdoHeures": "35", "contrat.remunerationsAnnuelles.1.taux": "43",
        "contrat.remunerationsAnnuelles.1.typeSalaire": "SMIC", "contrat.remunerationsAnnuelles.2.taux": "51",
        "contrat.remunerationsAnnuelles.2.typeSalaire": "SMIC", "contrat.salaireEmbauche": "780.00",
        "organismeFormation.denomination": organisation.name, "organismeFormation.uaiCfa": organisation.uai or make_uai(7),
        "organismeFormation.siret": organisation.siret, "organismeFormation.adresse.voie": "1 rue de l'École",
        "organismeFormation.adresse.codePostal": "69001", "organismeFormation.adresse.commune": "Lyon",
        "formation.typeDiplome": "54", "formation.intituleQualification": "BTS Maintenance des véhicules",
        "formation.codeDiplome": "32025215", "formation.rncp": "RNCP35847",
        "formation.dateDebutFormation": "2026-09-07", "formation.dateFinFormation": "2028-06-30",
        "formation.dureeFormation": "1350", "attestation.piecesJustificatives": "oui", "attestation.exactitude": "oui",
        "attestation.lieuSignature": "Marseille",
    }
    data.update(overrides)
    return data


def sent_proposal(organisation, employer, state="envoye", author=None, **overrides):
    """A proposal of `organisation` addressed to `employer`'s SIRET, complete, in `state`."""
    data = complete_data(organisation, employer, **overrides)
    proposal = models.ContractProposal.create(
        organisation=organisation, employer_siret=employer.siret, employer_name=employer.name,
        apprentice_last_name=data["apprenti.nom"], apprentice_first_name=data["apprenti.prenom"], state=state,
        data=data, created_by=author, updated_at=dt.datetime(2026, 8, 21, 9, 0))
    models.ProposalStep.create(proposal=proposal, state=state, by=author, note="Envoyée à l'entreprise")
    return proposal
