"""The people, organisations and contracts of the demo (`flask --app app demo`): literal data only.

Each dossier line says where its story ends (its state and invoices); commands/demo.py plays that story
through the real workflows, so the data here never holds a state or an amount of its own.
"""
import datetime as dt

from models.states import BankDetailsStatus, DossierState, InvoiceState

STAFF = [  # email, role, first name, last name
    ("admin@opco.test", "admin", "Sophie", "Lambert"),
    ("conseiller@opco.test", "conseiller", "Julien", "Mercier"),
    ("comptable@opco.test", "comptable", "Nadia", "Haddad"),
]

# key: (name, suite, street, postal code, city, département, SIREN serial, UAI serial, phone, credit-note mode,
#       contact (civility, last, first, function))
ORGANISATIONS = {
    "sud": ("CFA Sud", "Campus des métiers de Provence", "12 boulevard Michelet", "13008", "Marseille", "13",
            41_857_203, 131_234, "04 91 55 20 10", "deduction", ("Mme", "Ferrand", "Isabelle", "Directrice")),
    "nord": ("CFA Nord", "Pôle santé et services", "45 rue Nationale", "59000", "Lille", "59",
             52_904_118, 591_778, "03 20 74 31 00", "refund", ("M.", "Delattre", "Benoît", "Directeur")),
    "ouest": ("CFA Ouest", "Campus de l'Erdre", "8 quai de Versailles", "44000", "Nantes", "44",
              38_611_450, 441_309, "02 40 35 18 60", "deduction", ("Mme", "Le Goff", "Anne", "Responsable administrative")),
}

CFA_USERS = [  # email, organisation, role, rights (None = all six), first name, last name
    ("admin@cfa-sud.test", "sud", "admin_of", None, "Isabelle", "Ferrand"),
    ("gestion@cfa-sud.test", "sud", "gestionnaire_of", ["right_contracts"], "Karim", "Benali"),
    ("admin@cfa-nord.test", "nord", "admin_of", None, "Benoît", "Delattre"),
    ("admin@cfa-ouest.test", "ouest", "admin_of", None, "Anne", "Le Goff"),
]

# key: (name, street, postal code, city, NAF, IDCC, agreement, headcount, SIREN serial, employer user or None)
EMPLOYERS = {
    "garage": ("Garage Central", "27 avenue du Prado", "13006", "Marseille", "4520A", "1090",
               "Services de l'automobile", 38, 44_120_907, ("rh@garage-central.test", "Marc", "Giraud")),
    "clinique": ("Clinique des Lilas", "3 rue des Lilas", "59800", "Lille", "8610Z", "2264",
                 "Hospitalisation privée", 420, 39_455_261, ("rh@clinique-des-lilas.test", "Hélène", "Vasseur")),
    "marche": ("Marché Provençal", "140 chemin de la Madrague-Ville", "13015", "Marseille", "4711D", "2216",
               "Commerce de détail et de gros à prédominance alimentaire", 95, 46_218_634, None),
    "tilleuls": ("Centre de rééducation Les Tilleuls", "22 rue de la Paix", "44100", "Nantes", "8610Z", "0029",
                 "Hospitalisation privée à but non lucratif", 160, 77_563_018, None),
    "auto_atlantique": ("Atlantique Automobiles", "5 route de Vannes", "44800", "Saint-Herblain", "4520A",
                        "1090", "Services de l'automobile", 24, 81_244_379, None),
    "hyper_nord": ("Hyper Flandres", "Centre commercial Les Géants", "59650", "Villeneuve-d'Ascq", "4711F",
                   "2216", "Commerce de détail et de gros à prédominance alimentaire", 230, 42_870_552, None),
}

# France compétences' sample referential (data/npec-referentiel-sample.csv), valid rows only.
NPEC_ROWS = [  # RNCP, training, certifier, diploma, CPNE, CPNE label, NPEC, status, applicable from
    ("RNCP35320", "BTS Management commercial opérationnel", "Ministère de l'Enseignement supérieur", "BTS",
     "0032", "CPNE du commerce de détail", "7000", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP35320", "BTS Management commercial opérationnel", "Ministère de l'Enseignement supérieur", "BTS",
     "0115", "CPNE des services automobiles", "7400", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP38368", "BTS Négociation et digitalisation de la relation client", "Ministère de l'Enseignement supérieur",
     "BTS", "0032", "CPNE du commerce de détail", "7300", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP34031", "BTS Négociation et digitalisation de la relation client", "Ministère de l'Enseignement supérieur",
     "BTS", "0032", "CPNE du commerce de détail", "7300", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP36004", "Diplôme d'État d'ambulancier", "Ministère de la Santé", "DE", "0245",
     "CPNE de la branche sanitaire privée", "8200", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP37489", "Diplôme d'État d'aide-soignant", "Ministère de la Santé", "DE", "0245",
     "CPNE de la branche sanitaire privée", "9500", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP37489", "Diplôme d'État d'aide-soignant", "Ministère de la Santé", "DE", "0312",
     "CPNE des établissements privés non lucratifs", "9350", "Carence", dt.date(2025, 9, 1)),
    ("RNCP38511", "Licence professionnelle Métiers de la gestion et de la comptabilité", "Université",
     "Licence professionnelle", "0032", "CPNE du commerce de détail", "8500", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP35430", "Titre professionnel Secrétaire comptable", "Ministère du Travail", "TP", "0115",
     "CPNE des services automobiles", "6800", "CPNE", dt.date(2025, 9, 1)),
    ("RNCP36128", "CAP Maintenance des véhicules option voitures particulières",
     "Ministère de l'Éducation nationale", "CAP", "0115", "CPNE des services automobiles", "8900", "CPNE",
     dt.date(2025, 9, 1)),
    ("RNCP36004", "Diplôme d'État d'ambulancier", "Ministère de la Santé", "DE", "0245",
     "CPNE de la branche sanitaire privée", "8600", "CPNE", dt.date(2024, 7, 15)),
    ("RNCP35320", "BTS Management commercial opérationnel", "Ministère de l'Enseignement supérieur", "BTS",
     "0032", "CPNE du commerce de détail", "7350", "CPNE", dt.date(2024, 7, 15)),
]
IDCC_ROWS = [
    ("2216", "Commerce de détail et de gros à prédominance alimentaire", "0032", "CPNE du commerce de détail"),
    ("1090", "Services de l'automobile", "0115", "CPNE des services automobiles"),
    ("2264", "Hospitalisation privée", "0245", "CPNE de la branche sanitaire privée"),
    ("0029", "Hospitalisation privée à but non lucratif", "0312", "CPNE des établissements privés non lucratifs"),
]

# key: (title, diploma code, RNCP, level, job title, hours a year)
DIPLOMAS = {
    "mco": ("BTS Management commercial opérationnel", "32031213", "RNCP35320", 5, "Vendeur conseil", 675),
    "ndrc": ("BTS Négociation et digitalisation de la relation client", "32031212", "RNCP38368", 5,
             "Chargé de clientèle", 675),
    "cap_auto": ("CAP Maintenance des véhicules option voitures particulières", "50025216", "RNCP36128", 3,
                 "Mécanicien automobile", 420),
    "licence": ("Licence professionnelle Métiers de la gestion et de la comptabilité", "25031401", "RNCP38511", 6,
                "Assistant comptable", 550),
    "secretaire": ("Titre professionnel Secrétaire comptable", "46T32401", "RNCP35430", 4,
                   "Secrétaire comptable", 600),
    "aide_soignant": ("Diplôme d'État d'aide-soignant", "46T33102", "RNCP37489", 4, "Aide-soignant", 770),
    "ambulancier": ("Diplôme d'État d'ambulancier", "46T33101", "RNCP36004", 3, "Ambulancier", 560),
}
# CPNE of each demo employer's IDCC (IDCC_ROWS), to find the NPEC of a diploma.
CPNE_OF_IDCC = {idcc: cpne for idcc, _, cpne, _ in IDCC_ROWS}

D = dt.date
# One line per dossier: CFA, employer, diploma, (last name, first name, sex, birth date), state,
# (conclusion, start, end), options. Regimes follow from the conclusion dates (SPEC §5).
DOSSIERS = [
    # --- solde: stock, 2019, 2021 (ended), 2021 with a rupture and a credit note
    ("sud", "garage", "cap_auto", ("ROUSSEL", "Kévin", "M", D(2002, 3, 14)), DossierState.SETTLED,
     (D(2019, 6, 14), D(2019, 9, 2), D(2021, 8, 31)), {"stock": True, "npec": "6500"}),
    ("sud", "marche", "mco", ("BLANC", "Océane", "F", D(2001, 11, 2)), DossierState.SETTLED,
     (D(2019, 10, 8), D(2019, 10, 14), D(2021, 10, 13)), {}),
    ("nord", "clinique", "aide_soignant", ("LEFEBVRE", "Manon", "F", D(2000, 7, 21)), DossierState.SETTLED,
     (D(2020, 8, 25), D(2020, 9, 7), D(2022, 9, 6)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("LE BIHAN", "Yann", "M", D(2004, 1, 9)), DossierState.SETTLED,
     (D(2020, 6, 30), D(2020, 9, 1), D(2022, 8, 31)), {}),
    ("sud", "garage", "secretaire", ("FABRE", "Laura", "F", D(1999, 5, 30)), DossierState.SETTLED,
     (D(2023, 8, 28), D(2023, 9, 4), D(2025, 9, 3)), {}),
    ("nord", "hyper_nord", "ndrc", ("DUBOIS", "Thomas", "M", D(2003, 2, 17)), DossierState.SETTLED,
     (D(2023, 9, 12), D(2023, 9, 18), D(2025, 9, 17)), {}),
    ("nord", "clinique", "ambulancier", ("CARON", "Mathis", "M", D(2001, 12, 5)), DossierState.SETTLED,
     (D(2024, 10, 21), D(2024, 11, 4), D(2026, 11, 3)),
     {"rupture": (D(2026, 1, 9), D(2026, 1, 12), "Rupture à l'initiative de l'apprenti pendant l'année 2")}),
    # --- engage: 2021 regime (concluded 2023 and early 2025), 2025 regime
    ("sud", "marche", "licence", ("MOREAU", "Camille", "F", D(2002, 9, 23)), DossierState.ENGAGED,
     (D(2023, 10, 17), D(2023, 11, 6), D(2026, 11, 5)), {"invoices": [InvoiceState.PAID] * 7 + [InvoiceState.ON_HOLD]}),
    ("sud", "garage", "cap_auto", ("GARCIA", "Enzo", "M", D(2006, 4, 11)), DossierState.ENGAGED,
     (D(2023, 11, 29), D(2023, 12, 4), D(2026, 12, 3)), {"invoices": [InvoiceState.PAID] * 6}),
    ("nord", "clinique", "aide_soignant", ("PETIT", "Inès", "F", D(2003, 6, 8)), DossierState.ENGAGED,
     (D(2023, 12, 12), D(2024, 1, 8), D(2026, 12, 31)), {"invoices": [InvoiceState.PAID] * 5 + [InvoiceState.ON_HOLD]}),
    ("ouest", "tilleuls", "aide_soignant", ("GUERIN", "Maëlle", "F", D(2004, 10, 30)), DossierState.ENGAGED,
     (D(2025, 2, 10), D(2025, 3, 3), D(2027, 3, 2)), {"invoices": [InvoiceState.PAID] * 3}),
    ("sud", "marche", "ndrc", ("NICOLAS", "Hugo", "M", D(2005, 1, 26)), DossierState.ENGAGED,
     (D(2025, 6, 16), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": [InvoiceState.PAID, InvoiceState.PAID, InvoiceState.VALIDATED]}),
    ("nord", "hyper_nord", "mco", ("LEROY", "Clara", "F", D(2006, 8, 19)), DossierState.ENGAGED,
     (D(2025, 6, 27), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": [InvoiceState.PAID, InvoiceState.REJECTED], "rqth": True}),
    ("sud", "garage", "mco", ("BENHAMOU", "Yanis", "M", D(2006, 12, 3)), DossierState.ENGAGED,
     (D(2025, 7, 8), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": [InvoiceState.PAID, InvoiceState.PAID, InvoiceState.PROCESSING],
                                                       "annex": True}),
    ("sud", "marche", "mco", ("FONTAINE", "Lina", "F", D(2007, 3, 15)), DossierState.ENGAGED,
     (D(2025, 7, 21), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": [InvoiceState.PAID, InvoiceState.VALIDATED]}),
    ("sud", "marche", "licence", ("RENAUD", "Sarah", "F", D(2003, 4, 4)), DossierState.ENGAGED,
     (D(2025, 8, 26), D(2025, 9, 8), D(2026, 9, 7)), {"invoices": [InvoiceState.PAID, InvoiceState.PAID, InvoiceState.PROCESSING]}),
    ("sud", "garage", "cap_auto", ("BOYER", "Lucas", "M", D(2008, 2, 22)), DossierState.ENGAGED,
     (D(2025, 8, 29), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": [InvoiceState.REJECTED]}),
    ("nord", "clinique", "ambulancier", ("MEUNIER", "Jade", "F", D(2004, 11, 11)), DossierState.ENGAGED,
     (D(2025, 9, 15), D(2025, 10, 6), D(2026, 10, 5)), {"invoices": [InvoiceState.VALIDATED]}),
    ("nord", "clinique", "aide_soignant", ("LAMBERT", "Noah", "M", D(2005, 5, 5)), DossierState.ENGAGED,
     (D(2025, 10, 1), D(2025, 10, 13), D(2027, 10, 12)), {"invoices": [InvoiceState.PROCESSING], "distance": 20}),
    ("ouest", "auto_atlantique", "cap_auto", ("KERBRAT", "Gwenaël", "M", D(2008, 7, 1)), DossierState.ENGAGED,
     (D(2025, 8, 20), D(2025, 9, 1), D(2027, 8, 31)), {}),  # billed by CFA Sud (MASS_INVOICE)
    ("ouest", "tilleuls", "aide_soignant", ("MORVAN", "Léna", "F", D(2005, 9, 17)), DossierState.ENGAGED,
     (D(2025, 9, 3), D(2025, 9, 15), D(2026, 9, 14)), {}),
    ("sud", "marche", "ndrc", ("AUBERT", "Nathan", "M", D(2006, 10, 8)), DossierState.ENGAGED,
     (D(2026, 8, 24), D(2026, 9, 1), D(2028, 8, 31)), {}),
    ("nord", "hyper_nord", "ndrc", ("DUMONT", "Zoé", "F", D(2007, 1, 12)), DossierState.ENGAGED,
     (D(2026, 8, 31), D(2026, 9, 7), D(2028, 9, 6)), {}),
    # --- recu, en_instruction, en_attente: recent 2025-regime contracts
    ("sud", "garage", "cap_auto", ("MARCHAND", "Théo", "M", D(2010, 4, 2)), DossierState.RECEIVED,
     (D(2026, 10, 27), D(2026, 11, 2), D(2028, 11, 1)), {}),
    ("sud", "marche", "mco", ("GIRARD", "Chloé", "F", D(2008, 6, 25)), DossierState.RECEIVED,
     (D(2026, 11, 3), D(2026, 11, 16), D(2028, 11, 15)), {}),
    ("nord", "clinique", "aide_soignant", ("VANDENBERGHE", "Lucie", "F", D(2006, 2, 28)), DossierState.RECEIVED,
     (D(2026, 10, 30), D(2026, 11, 9), D(2028, 6, 30)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("LE GALL", "Erwan", "M", D(2010, 9, 9)), DossierState.RECEIVED,
     (D(2026, 11, 4), D(2026, 11, 16), D(2028, 11, 15)), {}),
    ("ouest", "tilleuls", "aide_soignant", ("TANGUY", "Romane", "F", D(2007, 12, 20)), DossierState.RECEIVED,
     (D(2026, 11, 12), D(2026, 11, 23), D(2028, 6, 30)), {}),
    ("sud", "garage", "secretaire", ("CHEVALIER", "Emma", "F", D(2004, 8, 16)), DossierState.IN_INSTRUCTION,
     (D(2026, 9, 21), D(2026, 10, 5), D(2027, 10, 4)), {}),
    ("nord", "hyper_nord", "mco", ("MASSON", "Adam", "M", D(2008, 3, 3)), DossierState.IN_INSTRUCTION,
     (D(2026, 9, 14), D(2026, 9, 21), D(2028, 9, 20)), {}),
    ("ouest", "tilleuls", "aide_soignant", ("RIOU", "Clémence", "F", D(2006, 5, 27)), DossierState.IN_INSTRUCTION,
     (D(2026, 9, 28), D(2026, 10, 5), D(2028, 6, 30)), {}),
    ("sud", "marche", "licence", ("HENRY", "Paul", "M", D(2004, 1, 19)), DossierState.IN_INSTRUCTION,
     (D(2026, 9, 7), D(2026, 9, 14), D(2027, 9, 13)), {"distance": 85}),
    ("sud", "marche", "mco", ("ROBIN", "Louise", "F", D(2008, 10, 10)), DossierState.AWAITING_DOCUMENTS,
     (D(2026, 9, 2), D(2026, 9, 7), D(2028, 9, 6)),
     {"missing": "Convention de formation signée par l'employeur"}),
    ("nord", "clinique", "ambulancier", ("DELCOURT", "Maxime", "M", D(2003, 7, 7)), DossierState.AWAITING_DOCUMENTS,
     (D(2026, 9, 9), D(2026, 9, 28), D(2027, 9, 27)), {"missing": "CERFA signé par l'apprenti ; attestation RQTH",
                                                        "rqth": True}),
    ("ouest", "auto_atlantique", "cap_auto", ("PRIGENT", "Titouan", "M", D(2010, 2, 14)), DossierState.AWAITING_DOCUMENTS,
     (D(2026, 8, 31), D(2026, 9, 1), D(2028, 8, 31)), {"missing": "Autorisation du représentant légal"}),
    ("sud", "garage", "mco", ("PERRIN", "Axel", "M", D(2007, 5, 18)), DossierState.AWAITING_DOCUMENTS,
     (D(2026, 10, 12), D(2026, 10, 19), D(2028, 10, 18)), {"missing": "Attestation de l'employeur (maître d'apprentissage)"}),
    # --- refuse, annule, supprime
    ("sud", "marche", "ndrc", ("GAUTHIER", "Mila", "F", D(1994, 4, 9)), DossierState.REFUSED,
     (D(2025, 9, 30), D(2025, 10, 6), D(2027, 10, 5)),
     {"refusal": "Apprentie âgée de plus de 29 ans au début du contrat, sans reconnaissance RQTH."}),
    ("nord", "hyper_nord", "mco", ("BRUNET", "Tom", "M", D(2007, 9, 1)), DossierState.REFUSED,
     (D(2023, 9, 4), D(2023, 9, 11), D(2025, 9, 10)),
     {"refusal": "Contrat déposé après la fin de la période d'essai sans pièces justificatives."}),
    ("ouest", "tilleuls", "aide_soignant", ("LE ROUX", "Anaïs", "F", D(2005, 3, 8)), DossierState.REFUSED,
     (D(2020, 10, 5), D(2020, 10, 12), D(2022, 6, 30)),
     {"refusal": "Formation non éligible au financement de la branche à la date de conclusion."}),
    ("sud", "garage", "cap_auto", ("MERCIER", "Ethan", "M", D(2008, 11, 30)), DossierState.CANCELLED,
     (D(2025, 8, 18), D(2025, 9, 1), D(2027, 8, 31)), {}),
    ("nord", "clinique", "aide_soignant", ("DENIS", "Julia", "F", D(2004, 2, 2)), DossierState.CANCELLED,
     (D(2019, 11, 18), D(2019, 12, 2), D(2021, 6, 30)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("JAOUEN", "Malo", "M", D(2006, 6, 6)), DossierState.CANCELLED,
     (D(2023, 8, 30), D(2023, 9, 4), D(2025, 8, 31)), {}),
    ("sud", "marche", "mco", ("OLIVIER", "Rose", "F", D(2008, 1, 24)), DossierState.DELETED,
     (D(2026, 7, 6), D(2026, 9, 1), D(2028, 8, 31)), {}),
    ("nord", "hyper_nord", "ndrc", ("LECLERCQ", "Jules", "M", D(2006, 7, 13)), DossierState.DELETED,
     (D(2025, 7, 3), D(2025, 9, 1), D(2027, 8, 31)), {}),
]

BANKS = {  # organisation: list of (bank, branch, account, BIC, status, entered, reason)
    "sud": [("30004", "00821", "00010456789", "BNPAFRPPXXX", BankDetailsStatus.APPROVED, D(2019, 5, 6), "")],
    "nord": [("30003", "02950", "00050871234", "SOGEFRPP", BankDetailsStatus.REFUSED, D(2019, 4, 1),
              "Le RIB transmis ne mentionne pas le nom du titulaire du compte."),
             ("20041", "01005", "0512345K029", "PSSTFRPPLIL", BankDetailsStatus.APPROVED, D(2019, 4, 15), "")],
    "ouest": [("15589", "44701", "01234567890", "CMBRFR2BARK", BankDetailsStatus.APPROVED, D(2020, 5, 12), ""),
              ("13807", "00810", "32021234567", "CCBPFRPPNAN", BankDetailsStatus.PENDING, D(2026, 11, 18), "")],
}


# Invoices still in progress were submitted lately, so the demo looks current.
RECENT = {InvoiceState.REJECTED: D(2026, 10, 5), InvoiceState.VALIDATED: D(2026, 10, 19), InvoiceState.ON_HOLD: D(2026, 10, 28),
          InvoiceState.PROCESSING: D(2026, 11, 16)}


# CFA Sud bills, under the delegation, the first advance of two CFA Ouest contracts in one mass invoice.
MASS_INVOICE = {"day": D(2025, 10, 6), "dossiers": ["KERBRAT Gwenaël", "MORVAN Léna"], "reference": "FAC-2025-M001",
                "state": InvoiceState.PAID}

# Requests waiting for a conseiller: apprentice name -> (kind, day, detail).
WAITING_REQUESTS = {
    "AUBERT Nathan": ("amendment", D(2026, 11, 19), (D(2028, 2, 29), "Prolongation : session d'examen décalée à "
                                                                      "février 2028", "gestion@cfa-sud.test")),
    "KERBRAT Gwenaël": ("rupture", D(2026, 11, 20), (D(2026, 11, 20), "Démission de l'apprenti (courrier du "
                                                                      "18/11/2026)")),
}

# CFA Sud's mass invoicing saved at step 2, to finish later.
DRAFT_SAVED_AT = dt.datetime(2026, 11, 20, 17, 40)
