"""A complete, valid CERFA proposal ``data`` (every check passes), to derive test cases from."""
from datetime import date
from decimal import Decimal

from rules.cerfa import Smic

SMIC = Smic(date(2024, 11, 1), Decimal("11.88"), Decimal("1801.80"))
TODAY = date(2026, 6, 1)
EMPLOYER_SIRET = "73282932000074"
CFA_SIRET = "35600000000048"
APPRENTICE_NIR = "105037505612396"  # a man born in March 2005


def complete_data(**overrides) -> dict:
    """Every required field of every tab, then ``overrides`` (catalogue keys → values, as a dict: `**{...}`)."""
    data = {
        "employeur.denomination": "Garage Central", "employeur.siret": EMPLOYER_SIRET,
        "employeur.adresse.numero": "12", "employeur.adresse.voie": "rue de la Gare",
        "employeur.adresse.codePostal": "69002", "employeur.adresse.commune": "Lyon",
        "employeur.telephone": "0478000000", "employeur.courriel": "rh@garage-central.test",
        "employeur.typeEmployeur": "11", "employeur.employeurSpecifique": "0", "employeur.naf": "4520A",
        "employeur.nombreDeSalaries": "12", "employeur.codeIdcc": "1090", "employeur.regimeSpecifique": "non",
        "apprenti.nom": "Martin", "apprenti.prenom": "Lucas", "apprenti.nir": APPRENTICE_NIR,
        "apprenti.sexe": "M", "apprenti.dateNaissance": "2005-03-14", "apprenti.departementNaissance": "75",
        "apprenti.communeNaissance": "Paris", "apprenti.nationalite": "1", "apprenti.regimeSocial": "2",
        "apprenti.handicap": "non", "apprenti.situationAvantContrat": "1", "apprenti.diplomePrepare": "41",
        "apprenti.derniereClasse": "01", "apprenti.diplome": "41", "apprenti.adresse.voie": "rue des Lilas",
        "apprenti.adresse.codePostal": "69003", "apprenti.adresse.commune": "Lyon",
        "maitre1.nom": "Durand", "maitre1.prenom": "Paul", "maitre1.dateNaissance": "1975-06-01",
        "maitre1.courriel": "paul.durand@garage-central.test", "maitre1.emploiOccupe": "Chef d'atelier",
        "contrat.typeContratApp": "11", "contrat.dateConclusion": "2026-08-20",
        "contrat.dateDebutContrat": "2026-09-01", "contrat.dateDebutFormationPratique": "2026-09-01",
        "contrat.dateFinContrat": "2028-08-31", "contrat.dureeTravailHebdoHeures": "35",
        "contrat.remunerationsAnnuelles.1.taux": "53", "contrat.remunerationsAnnuelles.1.typeSalaire": "SMIC",
        "contrat.remunerationsAnnuelles.2.taux": "61", "contrat.remunerationsAnnuelles.2.typeSalaire": "SMIC",
        "contrat.salaireEmbauche": "966.21",
        "organismeFormation.denomination": "CFA des métiers", "organismeFormation.uaiCfa": "0751234J",
        "organismeFormation.siret": CFA_SIRET, "organismeFormation.adresse.voie": "1 avenue du CFA",
        "organismeFormation.adresse.codePostal": "69007", "organismeFormation.adresse.commune": "Lyon",
        "formation.typeDiplome": "54", "formation.intituleQualification": "BTS Maintenance des véhicules",
        "formation.codeDiplome": "32025214", "formation.rncp": "RNCP35823",
        "formation.dateDebutFormation": "2026-09-07", "formation.dateFinFormation": "2028-06-30",
        "formation.dureeFormation": "1350",
        "attestation.piecesJustificatives": "oui", "attestation.exactitude": "oui",
        "attestation.lieuSignature": "Lyon",
    }
    data.update(overrides)
    return data
