"""What the generated data set is drawn from: diplomas, names, cities, employers, state and scheme weights, and
valid identifiers (SIRET, NIR, UAI, IBAN) built from serial numbers."""
from decimal import Decimal

import rules
from models.states import DossierState as D
from models import Apprentice, Dossier, Installment

# Diplomas of the sample NPEC referential (data/npec-referentiel-sample.csv), with their level.
DIPLOMAS = [
    ("BTS Management commercial opérationnel", "32031213", "RNCP35320", 5, Decimal("7000.00"),
     "Vendeur conseil"),
    ("BTS Négociation et digitalisation de la relation client", "32031212", "RNCP38368", 5, Decimal("7300.00"),
     "Commercial terrain"),
    ("Diplôme d'État d'ambulancier", "46T33101", "RNCP36004", 3, Decimal("8200.00"), "Ambulancier"),
    ("Diplôme d'État d'aide-soignant", "46T33102", "RNCP37489", 4, Decimal("9500.00"), "Aide-soignant"),
    ("Licence professionnelle Métiers de la gestion et de la comptabilité", "25031401", "RNCP38511", 6,
     Decimal("8500.00"), "Assistant comptable"),
    ("Titre professionnel Secrétaire comptable", "46T32401", "RNCP35430", 4, Decimal("6800.00"),
     "Secrétaire comptable"),
    ("CAP Maintenance des véhicules option voitures particulières", "50025216", "RNCP36128", 3,
     Decimal("8900.00"), "Mécanicien automobile"),
]

LAST_NAMES = ("MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE "
              "LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT "
              "MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND "
              "GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON "
              "MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD "
              "JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY "
              "LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER "
              "PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE").split()
FIRST_NAMES_F = ("Emma Jade Louise Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Mia Léna Manon Juliette "
                 "Lou Zoé Camille Agathe Jeanne Romane Sarah Eva Nina Clara Lucie Margaux Océane").split()
FIRST_NAMES_M = ("Gabriel Léo Raphaël Arthur Louis Lucas Adam Jules Hugo Maël Liam Noah Paul Ethan Tiago Sacha "
                 "Gabin Nathan Mohamed Aaron Tom Théo Noé Victor Martin Mathis Axel Enzo Baptiste Maxime").split()
CITIES = [("13001", "Marseille", "13"), ("59000", "Lille", "59"), ("44000", "Nantes", "44"), ("69003", "Lyon", "69"),
          ("31000", "Toulouse", "31"), ("33000", "Bordeaux", "33"), ("67000", "Strasbourg", "67"),
          ("35000", "Rennes", "35"), ("34000", "Montpellier", "34"), ("06000", "Nice", "06")]
EMPLOYER_KINDS = [("Garage", "4520A", "1090", "Services de l'automobile"),
                  ("Clinique", "8610Z", "2264", "Hospitalisation privée"),
                  ("Supermarché", "4711D", "2216", "Commerce de détail et de gros à prédominance alimentaire"),
                  ("Cabinet comptable", "6920Z", "0787", "Cabinets d'experts-comptables"),
                  ("Boulangerie", "1071C", "0843", "Boulangerie-pâtisserie artisanale")]

# (state, weight): mostly engaged contracts, every state present.
STATES = [(D.ENGAGED, 55), (D.SETTLED, 15), (D.RECEIVED, 8), (D.IN_INSTRUCTION, 7), (D.AWAITING_DOCUMENTS, 5),
          (D.REFUSED, 4), (D.CANCELLED, 4), (D.DELETED, 2)]
SCHEMES = [("apprentissage", 90), ("professionnalisation", 6), ("pro_a", 2), ("action_formation", 2)]
FINANCED_STATES = {D.ENGAGED, D.SETTLED}

DEMO_PASSWORD = "Portail-Demo-2026"
TEMPLATE_COUNT = 3000
DOSSIERS_PER_ORGANISATION = 1000
DOSSIERS_PER_EMPLOYER = 25
DOSSIERS_PER_TRANSACTION = 20_000

DOSSIER_FIELDS = [
    Dossier.id, Dossier.number, Dossier.deca_number, Dossier.scheme, Dossier.state, Dossier.organisation,
    Dossier.employer, Dossier.apprentice, Dossier.apprentice_name, Dossier.subrogated, Dossier.is_stock,
    Dossier.without_contract, Dossier.diploma_title, Dossier.diploma_code, Dossier.rncp_code, Dossier.level,
    Dossier.training_start, Dossier.training_end, Dossier.training_hours, Dossier.distance_percent,
    Dossier.contract_type, Dossier.conclusion_date, Dossier.contract_start, Dossier.contract_end,
    Dossier.job_title, Dossier.reduced_duration, Dossier.regime, Dossier.npec, Dossier.disability_uplift,
    Dossier.teaching_cost, Dossier.cap_nights, Dossier.cap_meals, Dossier.cap_first_equipment,
    Dossier.cap_mobility, Dossier.total_financed, Dossier.employer_share, Dossier.rupture_date,
    Dossier.completion_certificate, Dossier.deposit_date, Dossier.complete_date, Dossier.agreement_date,
    Dossier.closing_date, Dossier.missing_pieces, Dossier.refusal_reason, Dossier.created_at, Dossier.updated_at,
    Dossier.apprentice_name_key, Dossier.next_billable_from,
]
APPRENTICE_FIELDS = [Apprentice.id, Apprentice.birth_name, Apprentice.first_name, Apprentice.birth_date,
                     Apprentice.nir, Apprentice.sex, Apprentice.rqth, Apprentice.birth_department,
                     Apprentice.postal_code, Apprentice.city, Apprentice.nationality, Apprentice.created_at,
                     Apprentice.identity_key]
INSTALLMENT_FIELDS = [Installment.dossier, Installment.number, Installment.year, Installment.kind,
                      Installment.billable_from, Installment.period_start, Installment.period_end,
                      Installment.amount, Installment.status]


# --- Valid identifiers (they pass rules.identifiers' checks) -------------------------------------------------

def luhn_complete(digits):
    """`digits` followed by its Luhn check digit (SIREN, SIRET)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return f"{digits}{(10 - total % 10) % 10}"


def make_siret(serial, establishment=1):
    """A SIRET whose SIREN and whole number both pass the Luhn key."""
    siren = luhn_complete(f"{serial % 100_000_000:08d}")
    return luhn_complete(f"{siren}{establishment % 10_000:04d}")


def make_nir(sex, birth_year, birth_month, department, serial):
    """A NIR: sex, year, month, département, commune, order number and the key 97 − (number mod 97)."""
    body = (f"{sex}{birth_year % 100:02d}{birth_month:02d}{department:0>2}"
            f"{101 + serial % 800:03d}{1 + (serial // 800) % 999:03d}")
    return f"{body}{97 - int(body) % 97:02d}"


def make_uai(number):
    """A UAI: seven digits (département first) and the check letter."""
    first = f"{number % 10_000_000:07d}"
    return first + rules.uai_letter(first)


def make_iban(bank, branch, account):
    """A French IBAN from a RIB: RIB key computed, then the ISO 13616 check digits."""
    bban = f"{bank}{branch}{account}{rules.rib_key(bank, branch, account):02d}"
    numeric = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(numeric) % 97:02d}{bban}"
