"""Demo data (`flask --app app demo`), loaded by `make run` on an empty database (SPEC §9).

Everything is built the way the application builds it: identifiers pass rules.identifiers, schedules
come from rules.compute_financing through services.dossier_rules, the rupture from rules.settle_rupture,
invoice, credit-note and payment numbers from the gapless counters, installment statuses from
services.installments, receipts from services.receipts, the mass-invoicing draft from services.mass_invoicing;
every money or state record gets its audit entry, dated when it happened. The whole load is one
transaction: it either adds the complete demo or nothing, and `flask --app app check` finds nothing on it.
"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import rules
from models import (Apprentice, AuditEntry, BankDetails, CreditNote, Delegation, Dossier, Employer, IdccCpne,
                    Installment, Invoice, InvoiceEvent, InvoiceLine, Membership, Notification, NpecReference,
                    Organisation, Payment, PaymentLine, Rupture, User, db)
from models.user import RIGHTS
from services import audit, delegations, mass_invoicing, transitions
from services.dossier_rules import contract_from_dossier, store_schedule
from services.installments import sync_statuses
from services.receipts import store_receipt
from commands.generate import DEMO_PASSWORD, make_iban, make_nir, make_siret, make_uai
from services.numbering import immediate_transaction, next_number
from services.passwords import hash_password
from services import clock

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
    ("sud", "garage", "cap_auto", ("ROUSSEL", "Kévin", "M", D(2002, 3, 14)), "solde",
     (D(2019, 6, 14), D(2019, 9, 2), D(2021, 8, 31)), {"stock": True, "npec": "6500"}),
    ("sud", "marche", "mco", ("BLANC", "Océane", "F", D(2001, 11, 2)), "solde",
     (D(2019, 10, 8), D(2019, 10, 14), D(2021, 10, 13)), {}),
    ("nord", "clinique", "aide_soignant", ("LEFEBVRE", "Manon", "F", D(2000, 7, 21)), "solde",
     (D(2020, 8, 25), D(2020, 9, 7), D(2022, 9, 6)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("LE BIHAN", "Yann", "M", D(2004, 1, 9)), "solde",
     (D(2020, 6, 30), D(2020, 9, 1), D(2022, 8, 31)), {}),
    ("sud", "garage", "secretaire", ("FABRE", "Laura", "F", D(1999, 5, 30)), "solde",
     (D(2023, 8, 28), D(2023, 9, 4), D(2025, 9, 3)), {}),
    ("nord", "hyper_nord", "ndrc", ("DUBOIS", "Thomas", "M", D(2003, 2, 17)), "solde",
     (D(2023, 9, 12), D(2023, 9, 18), D(2025, 9, 17)), {}),
    ("nord", "clinique", "ambulancier", ("CARON", "Mathis", "M", D(2001, 12, 5)), "solde",
     (D(2024, 10, 21), D(2024, 11, 4), D(2026, 11, 3)),
     {"rupture": (D(2026, 1, 9), D(2026, 1, 12), "Rupture à l'initiative de l'apprenti pendant l'année 2")}),
    # --- engage: 2021 regime (concluded 2023 and early 2025), 2025 regime
    ("sud", "marche", "licence", ("MOREAU", "Camille", "F", D(2002, 9, 23)), "engage",
     (D(2023, 10, 17), D(2023, 11, 6), D(2026, 11, 5)), {"invoices": ["payee"] * 7 + ["en_attente"]}),
    ("sud", "garage", "cap_auto", ("GARCIA", "Enzo", "M", D(2006, 4, 11)), "engage",
     (D(2023, 11, 29), D(2023, 12, 4), D(2026, 12, 3)), {"invoices": ["payee"] * 6}),
    ("nord", "clinique", "aide_soignant", ("PETIT", "Inès", "F", D(2003, 6, 8)), "engage",
     (D(2023, 12, 12), D(2024, 1, 8), D(2026, 12, 31)), {"invoices": ["payee"] * 5 + ["en_attente"]}),
    ("ouest", "tilleuls", "aide_soignant", ("GUERIN", "Maëlle", "F", D(2004, 10, 30)), "engage",
     (D(2025, 2, 10), D(2025, 3, 3), D(2027, 3, 2)), {"invoices": ["payee"] * 3}),
    ("sud", "marche", "ndrc", ("NICOLAS", "Hugo", "M", D(2005, 1, 26)), "engage",
     (D(2025, 6, 16), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["payee", "payee", "validee"]}),
    ("nord", "hyper_nord", "mco", ("LEROY", "Clara", "F", D(2006, 8, 19)), "engage",
     (D(2025, 6, 27), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["payee", "rejetee"], "rqth": True}),
    ("sud", "garage", "mco", ("BENHAMOU", "Yanis", "M", D(2006, 12, 3)), "engage",
     (D(2025, 7, 8), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["payee", "payee", "en_traitement"],
                                                       "annex": True}),
    ("sud", "marche", "mco", ("FONTAINE", "Lina", "F", D(2007, 3, 15)), "engage",
     (D(2025, 7, 21), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["payee", "validee"]}),
    ("sud", "marche", "licence", ("RENAUD", "Sarah", "F", D(2003, 4, 4)), "engage",
     (D(2025, 8, 26), D(2025, 9, 8), D(2026, 9, 7)), {"invoices": ["payee", "payee", "en_traitement"]}),
    ("sud", "garage", "cap_auto", ("BOYER", "Lucas", "M", D(2008, 2, 22)), "engage",
     (D(2025, 8, 29), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["rejetee"]}),
    ("nord", "clinique", "ambulancier", ("MEUNIER", "Jade", "F", D(2004, 11, 11)), "engage",
     (D(2025, 9, 15), D(2025, 10, 6), D(2026, 10, 5)), {"invoices": ["validee"]}),
    ("nord", "clinique", "aide_soignant", ("LAMBERT", "Noah", "M", D(2005, 5, 5)), "engage",
     (D(2025, 10, 1), D(2025, 10, 13), D(2027, 10, 12)), {"invoices": ["en_traitement"], "distance": 20}),
    ("ouest", "auto_atlantique", "cap_auto", ("KERBRAT", "Gwenaël", "M", D(2008, 7, 1)), "engage",
     (D(2025, 8, 20), D(2025, 9, 1), D(2027, 8, 31)), {"invoices": ["payee"]}),
    ("ouest", "tilleuls", "aide_soignant", ("MORVAN", "Léna", "F", D(2005, 9, 17)), "engage",
     (D(2025, 9, 3), D(2025, 9, 15), D(2026, 9, 14)), {}),
    ("sud", "marche", "ndrc", ("AUBERT", "Nathan", "M", D(2006, 10, 8)), "engage",
     (D(2026, 8, 24), D(2026, 9, 1), D(2028, 8, 31)), {}),
    ("nord", "hyper_nord", "ndrc", ("DUMONT", "Zoé", "F", D(2007, 1, 12)), "engage",
     (D(2026, 8, 31), D(2026, 9, 7), D(2028, 9, 6)), {}),
    # --- recu, en_instruction, en_attente: recent 2025-regime contracts
    ("sud", "garage", "cap_auto", ("MARCHAND", "Théo", "M", D(2010, 4, 2)), "recu",
     (D(2026, 10, 27), D(2026, 11, 2), D(2028, 11, 1)), {}),
    ("sud", "marche", "mco", ("GIRARD", "Chloé", "F", D(2008, 6, 25)), "recu",
     (D(2026, 11, 3), D(2026, 11, 16), D(2028, 11, 15)), {}),
    ("nord", "clinique", "aide_soignant", ("VANDENBERGHE", "Lucie", "F", D(2006, 2, 28)), "recu",
     (D(2026, 10, 30), D(2026, 11, 9), D(2028, 6, 30)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("LE GALL", "Erwan", "M", D(2010, 9, 9)), "recu",
     (D(2026, 11, 4), D(2026, 11, 16), D(2028, 11, 15)), {}),
    ("ouest", "tilleuls", "aide_soignant", ("TANGUY", "Romane", "F", D(2007, 12, 20)), "recu",
     (D(2026, 11, 12), D(2026, 11, 23), D(2028, 6, 30)), {}),
    ("sud", "garage", "secretaire", ("CHEVALIER", "Emma", "F", D(2004, 8, 16)), "en_instruction",
     (D(2026, 9, 21), D(2026, 10, 5), D(2027, 10, 4)), {}),
    ("nord", "hyper_nord", "mco", ("MASSON", "Adam", "M", D(2008, 3, 3)), "en_instruction",
     (D(2026, 9, 14), D(2026, 9, 21), D(2028, 9, 20)), {}),
    ("ouest", "tilleuls", "aide_soignant", ("RIOU", "Clémence", "F", D(2006, 5, 27)), "en_instruction",
     (D(2026, 9, 28), D(2026, 10, 5), D(2028, 6, 30)), {}),
    ("sud", "marche", "licence", ("HENRY", "Paul", "M", D(2004, 1, 19)), "en_instruction",
     (D(2026, 9, 7), D(2026, 9, 14), D(2027, 9, 13)), {"distance": 85}),
    ("sud", "marche", "mco", ("ROBIN", "Louise", "F", D(2008, 10, 10)), "en_attente",
     (D(2026, 9, 2), D(2026, 9, 7), D(2028, 9, 6)),
     {"missing": "Convention de formation signée par l'employeur"}),
    ("nord", "clinique", "ambulancier", ("DELCOURT", "Maxime", "M", D(2003, 7, 7)), "en_attente",
     (D(2026, 9, 9), D(2026, 9, 28), D(2027, 9, 27)), {"missing": "CERFA signé par l'apprenti ; attestation RQTH",
                                                        "rqth": True}),
    ("ouest", "auto_atlantique", "cap_auto", ("PRIGENT", "Titouan", "M", D(2010, 2, 14)), "en_attente",
     (D(2026, 8, 31), D(2026, 9, 1), D(2028, 8, 31)), {"missing": "Autorisation du représentant légal"}),
    ("sud", "garage", "mco", ("PERRIN", "Axel", "M", D(2007, 5, 18)), "en_attente",
     (D(2026, 10, 12), D(2026, 10, 19), D(2028, 10, 18)), {"missing": "Attestation de l'employeur (maître d'apprentissage)"}),
    # --- refuse, annule, supprime
    ("sud", "marche", "ndrc", ("GAUTHIER", "Mila", "F", D(1994, 4, 9)), "refuse",
     (D(2025, 9, 30), D(2025, 10, 6), D(2027, 10, 5)),
     {"refusal": "Apprentie âgée de plus de 29 ans au début du contrat, sans reconnaissance RQTH."}),
    ("nord", "hyper_nord", "mco", ("BRUNET", "Tom", "M", D(2007, 9, 1)), "refuse",
     (D(2023, 9, 4), D(2023, 9, 11), D(2025, 9, 10)),
     {"refusal": "Contrat déposé après la fin de la période d'essai sans pièces justificatives."}),
    ("ouest", "tilleuls", "aide_soignant", ("LE ROUX", "Anaïs", "F", D(2005, 3, 8)), "refuse",
     (D(2020, 10, 5), D(2020, 10, 12), D(2022, 6, 30)),
     {"refusal": "Formation non éligible au financement de la branche à la date de conclusion."}),
    ("sud", "garage", "cap_auto", ("MERCIER", "Ethan", "M", D(2008, 11, 30)), "annule",
     (D(2025, 8, 18), D(2025, 9, 1), D(2027, 8, 31)), {}),
    ("nord", "clinique", "aide_soignant", ("DENIS", "Julia", "F", D(2004, 2, 2)), "annule",
     (D(2019, 11, 18), D(2019, 12, 2), D(2021, 6, 30)), {}),
    ("ouest", "auto_atlantique", "cap_auto", ("JAOUEN", "Malo", "M", D(2006, 6, 6)), "annule",
     (D(2023, 8, 30), D(2023, 9, 4), D(2025, 8, 31)), {}),
    ("sud", "marche", "mco", ("OLIVIER", "Rose", "F", D(2008, 1, 24)), "supprime",
     (D(2026, 7, 6), D(2026, 9, 1), D(2028, 8, 31)), {}),
    ("nord", "hyper_nord", "ndrc", ("LECLERCQ", "Jules", "M", D(2006, 7, 13)), "supprime",
     (D(2025, 7, 3), D(2025, 9, 1), D(2027, 8, 31)), {}),
]

BANKS = {  # organisation: list of (bank, branch, account, BIC, status, entered, reason)
    "sud": [("30004", "00821", "00010456789", "BNPAFRPPXXX", "approved", D(2019, 5, 6), "")],
    "nord": [("30003", "02950", "00050871234", "SOGEFRPP", "refused", D(2019, 4, 1),
              "Le RIB transmis ne mentionne pas le nom du titulaire du compte."),
             ("20041", "01005", "0512345K029", "PSSTFRPPLIL", "approved", D(2019, 4, 15), "")],
    "ouest": [("15589", "44701", "01234567890", "CMBRFR2BARK", "approved", D(2020, 5, 12), ""),
              ("13807", "00810", "32021234567", "CCBPFRPPNAN", "pending", D(2026, 11, 18), "")],
}


# Invoices still in progress were submitted lately, so the demo looks current.
RECENT = {"rejetee": D(2026, 10, 5), "validee": D(2026, 10, 19), "en_attente": D(2026, 10, 28),
          "en_traitement": D(2026, 11, 16)}


class DemoAlreadyLoaded(Exception):
    """The demo (or part of it) is already in the database."""


def demo_present():
    """True when a demo account or organisation exists: loading again would duplicate or clash."""
    emails = [e for e, *_ in STAFF] + [e for e, *_ in CFA_USERS] + [v[9][0] for v in EMPLOYERS.values() if v[9]]
    sirets = [make_siret(v[6]) for v in ORGANISATIONS.values()]
    return (User.select().where(User.email.in_(emails)).exists()
            or Organisation.select().where(Organisation.siret.in_(sirets)).exists())


def load_demo(today=None):
    """Load the demo data in one transaction; return counts. Raise DemoAlreadyLoaded if present."""
    today = today or clock.today()
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: one hash for every demo account
    with immediate_transaction():
        if demo_present():
            raise DemoAlreadyLoaded()
        loader = _DemoLoader(password_hash, today)
        return loader.load()


class _DemoLoader:
    def __init__(self, password_hash, today):
        self.password_hash = password_hash
        self.today = today
        self.orgs, self.employers, self.users, self.banks = {}, {}, {}, {}
        self.planned_invoices = []  # dicts, numbered in date order at the end
        self.dossiers = []

    def load(self):
        self._referential()
        self._staff()
        self._organisations()
        self._employers()
        self._cfa_users()
        self._dossiers()
        invoices = self._invoices()
        payments = self._payments()
        credit_notes = self._credit_notes()
        self._draft_invoice()
        self._notifications()
        self._waiting_requests()
        counts = dict(users=User.select().count(), organisations=len(self.orgs), employers=len(self.employers),
                      dossiers=len(self.dossiers), invoices=invoices + 1, payments=payments,
                      credit_notes=credit_notes)
        AuditEntry.create(actor="système", entity="demo", entity_id="-", action="chargement",
                          after={k: v for k, v in counts.items()}, note="Données de démonstration chargées")
        return counts

    # --- referentials and accounts -------------------------------------------------------------------------

    def _referential(self):
        for rncp, training, certifier, diploma, cpne, cpne_label, npec, status, since in NPEC_ROWS:
            NpecReference.create(rncp_code=rncp, cpne_code=cpne, cpne_label=cpne_label, training_label=training,
                                 diploma_label=diploma, certifier=certifier, npec=Decimal(npec), status=status,
                                 applicable_from=since)
        for idcc, label, cpne, cpne_label in IDCC_ROWS:
            IdccCpne.create(idcc=idcc, idcc_label=label, cpne_code=cpne, cpne_label=cpne_label)

    def _user(self, email, first, last, **kw):
        user = User.create(email=email, password_hash=self.password_hash, first_name=first, last_name=last,
                           email_confirmed_at=dt.datetime(2026, 1, 5, 9, 0), **kw)
        self.users[email] = user
        return user

    def _staff(self):
        for email, role, first, last in STAFF:
            self._user(email, first, last, kind="staff", staff_role=role)

    def _organisations(self):
        for key, (name, suite, street, postal, city, dept, siren, uai, phone, mode, contact) in ORGANISATIONS.items():
            civility, last, first, function = contact
            slug = name.lower().replace(" ", "-")
            self.orgs[key] = Organisation.create(
                siret=make_siret(siren), name=name, name_suite=suite, street=street, postal_code=postal, city=city,
                phone=phone, email=f"contact@{slug}.test", uai=make_uai(uai), da_number=f"{dept}{siren:09d}"[:11],
                is_cfa=True, zone=f"Région de {city}", opco_reference=f"OF-{dept}-{siren % 10_000:04d}",
                contact_civility=civility, contact_last_name=last, contact_first_name=first,
                contact_function=function, contact_phone=phone, contact_email=f"direction@{slug}.test",
                status="active", credit_note_mode=mode, created_at=dt.datetime(2019, 3, 1, 10, 0))
        for key, accounts in BANKS.items():
            for bank, branch, account, bic, status, entered, reason in accounts:
                org = self.orgs[key]
                reviewed = status != "pending"
                row = BankDetails.create(
                    organisation=org, iban=make_iban(bank, branch, account), bic=bic, holder=org.name,
                    status=status, refusal_reason=reason, entered_at=dt.datetime.combine(entered, dt.time(10)),
                    reviewed_by=self.users["comptable@opco.test"] if reviewed else None,
                    reviewed_at=dt.datetime.combine(entered + dt.timedelta(days=3), dt.time(15)) if reviewed else None)
                if status == "approved":
                    self.banks[key] = row

    def _employers(self):
        for key, (name, street, postal, city, naf, idcc, agreement, headcount, siren, user) in EMPLOYERS.items():
            slug = name.lower().replace(" ", "-")
            self.employers[key] = Employer.create(
                siret=make_siret(siren), name=name, street=street, postal_code=postal, city=city, naf=naf, idcc=idcc,
                collective_agreement=agreement, headcount=headcount, email=f"contact@{slug}.test")
            if user:
                email, first, last = user
                self._user(email, first, last, kind="employer", employer=self.employers[key])

    def _cfa_users(self):
        for email, org, role, rights, first, last in CFA_USERS:
            user = self._user(email, first, last, kind="cfa")
            granted = {name for name, _ in RIGHTS} if rights is None else set(rights)
            Membership.create(user=user, organisation=self.orgs[org], role=role,
                              **{name: name in granted for name, _ in RIGHTS})
        self._delegation()

    def _delegation(self):
        """CFA Sud asked to manage CFA Ouest's contracts; the OPCO approved it (audited, through the machine)."""
        requested = Delegation.create(
            delegate=self.orgs["sud"], delegator=self.orgs["ouest"], requested_by=self.users["admin@cfa-sud.test"],
            created_at=dt.datetime(2024, 1, 2, 10, 30),
            note="CFA Ouest confie la gestion de ses contrats à CFA Sud (convention du 02/01/2024).")
        staff = self.users["admin@opco.test"]
        transitions.apply(delegations.MACHINE, "approuver", requested, delegations.Actor(staff),
                          changes={"decided_by": staff.id, "decided_at": dt.datetime(2024, 1, 2, 11, 0)},
                          note="CFA Ouest délègue à CFA Sud (décision : l'OPCO, convention du 02/01/2024)")

    # --- dossiers, schedules and the rupture ---------------------------------------------------------------

    def _npec(self, diploma_key, employer, conclusion):
        """NPEC of the diploma for the employer's CPNE, from the edition applicable at conclusion (or the oldest)."""
        rncp = DIPLOMAS[diploma_key][2]
        cpne = CPNE_OF_IDCC[employer.idcc]
        rows = sorted((since, Decimal(npec)) for r, _, _, _, c, _, npec, _, since in NPEC_ROWS
                      if r == rncp and c == cpne)
        applicable = [npec for since, npec in rows if since <= conclusion]
        return applicable[-1] if applicable else rows[0][1]

    def _dossiers(self):
        advisor = self.users["conseiller@opco.test"]
        for k, (org_key, emp_key, diploma_key, person, state, dates, options) in enumerate(DOSSIERS, start=1):
            org, employer = self.orgs[org_key], self.employers[emp_key]
            last, first, sex, birth = person
            conclusion, start, end = dates
            dept = ORGANISATIONS[org_key][5]
            apprentice = Apprentice.create(
                birth_name=last, first_name=first, birth_date=birth, sex=sex, rqth=bool(options.get("rqth")),
                nir=make_nir("1" if sex == "M" else "2", birth.year, birth.month, dept, 311 * k),
                birth_department=dept, birth_city=ORGANISATIONS[org_key][4], street=f"{10 + k} rue des Écoles",
                postal_code=ORGANISATIONS[org_key][3], city=ORGANISATIONS[org_key][4],
                phone=f"06 {12 + k:02d} {(34 * k) % 100:02d} {(56 + k) % 100:02d} {(78 * k) % 100:02d}",
                email=f"{_ascii(first)}.{_ascii(last)}@exemple.test",
                legal_representative=("Représentant légal : " + f"M. ou Mme {last}")
                if (start - birth).days < 18 * 365 else "")
            title, code, rncp, level, job, hours = DIPLOMAS[diploma_key]
            deposit = max(conclusion + dt.timedelta(days=4), start - dt.timedelta(days=20))
            financed = state in ("engage", "solde")
            npec = Decimal(options["npec"]) if "npec" in options else self._npec(diploma_key, employer, conclusion)
            years = max(1, round((end - start).days / 365))
            dossier = Dossier.create(
                number=f"20{deposit.year % 100:02d}{(k * 7919 + 130365) % 1_000_000:06d}",
                deca_number=f"0{dept}{deposit:%Y%m}{k * 37:06d}", scheme="apprentissage", state=state,
                organisation=org, employer=employer, apprentice=apprentice, apprentice_name=f"{last} {first}",
                subrogated=True, is_stock=bool(options.get("stock")), diploma_title=title, diploma_code=code,
                rncp_code=rncp, level=level, training_start=start, training_end=end, training_hours=hours * years,
                distance_percent=options.get("distance", 0), contract_type="Contrat initial",
                conclusion_date=conclusion, contract_start=start, contract_end=end, job_title=job, npec=npec,
                disability_uplift=Decimal("1500.00") if options.get("rqth") and financed else Decimal("0"),
                teaching_cost=npec + (Decimal("600") if k % 3 == 0 else 0), cap_nights=60 if k % 2 else 0,
                cap_meals=250, cap_first_equipment=Decimal("500.00") if level <= 4 else Decimal("0"),
                deposit_date=deposit,
                complete_date=None if state in ("recu", "en_attente") else deposit + dt.timedelta(days=6),
                agreement_date=deposit + dt.timedelta(days=14) if financed else None,
                closing_date=end if state == "solde" else None,
                advisor=None if state == "recu" else advisor, missing_pieces=options.get("missing", ""),
                refusal_reason=options.get("refusal", ""), completion_certificate=state == "solde",
                created_at=dt.datetime.combine(deposit, dt.time(9, 30)))
            if financed:
                financing = rules.compute_financing(contract_from_dossier(dossier))
                store_schedule(dossier, financing)
                Dossier.update(regime=financing.regime, total_financed=financing.total,
                               employer_share=financing.employer_share).where(Dossier.id == dossier.id).execute()
                dossier = Dossier.get_by_id(dossier.id)
                self._audit("dossier", dossier.id, "engager", {"state": "engage", "npec": f"{npec:.2f}"},
                            dt.datetime.combine(dossier.agreement_date, dt.time(9)), user=advisor,
                            note=f"{len(financing.installments)} échéance(s)")
                self._plan_invoices(dossier, state, options)
            self.dossiers.append((dossier, options))

    def _plan_invoices(self, dossier, state, options):
        """Invoices of a financed dossier, one installment each: every installment of a solde dossier is paid."""
        installments = list(Installment.select().where(Installment.dossier == dossier.id)
                            .order_by(Installment.number))
        if state == "solde":
            rupture = options.get("rupture")
            limit = rupture[0] if rupture else dossier.contract_end
            states = ["payee" for i in installments if i.billable_from <= limit]
        else:
            states = options.get("invoices", [])
        for installment, invoice_state in zip(installments, states):
            self.planned_invoices.append(dict(dossier=dossier, installment=installment, state=invoice_state,
                                              annex=bool(options.get("annex")) and installment.number == 1))

    def _rupture(self, dossier, rupture):
        """Declare the rupture with rules.settle_rupture: cancel what is not due, credit what was overpaid."""
        date, declared, reason = rupture
        paid = sum((i.amount for i in Installment.select().where((Installment.dossier == dossier.id)
                                                                 & (Installment.status == "paid"))), Decimal("0"))
        settlement = rules.settle_rupture(contract_from_dossier(dossier), rules.RuptureInput(date=date, paid=paid))
        assert settlement.remaining == 0, "the demo rupture is meant to leave a credit note"
        Installment.update(status="cancelled").where((Installment.dossier == dossier.id)
                                                     & (Installment.status == "to_invoice")).execute()
        row = Rupture.create(dossier=dossier, date=date, reason=reason, due=settlement.due,
                             credit_note_amount=settlement.credit_note, declared_by=self.users["admin@cfa-nord.test"],
                             state="confirmee", confirmed_by=self.users["conseiller@opco.test"],
                             confirmed_at=dt.datetime.combine(declared, dt.time(16)),
                             created_at=dt.datetime.combine(declared, dt.time(11)))
        Dossier.update(rupture_date=date, closing_date=declared, total_financed=settlement.due_gross,
                       employer_share=settlement.employer_share).where(Dossier.id == dossier.id).execute()
        self._audit("Dossier", dossier.id, "rupture", Dossier.get_by_id(dossier.id), row.created_at,
                    user=self.users["conseiller@opco.test"], note=f"rupture au {date:%d/%m/%Y}")
        self._audit("Rupture", row.id, "create", row, row.created_at, user=self.users["conseiller@opco.test"])
        return settlement

    # --- invoices, payments, credit notes -----------------------------------------------------------------

    def _invoices(self):
        """Number the invoices in submission order (gapless, from the counter) and set installment statuses."""
        for k, plan in enumerate(self.planned_invoices):
            plan["submitted"] = max(plan["installment"].billable_from, plan["dossier"].agreement_date) \
                + dt.timedelta(days=9)
            if plan["state"] in RECENT:  # what is still in progress was sent lately
                plan["submitted"] = max(plan["submitted"], RECENT[plan["state"]] + dt.timedelta(days=k % 5))
        self.planned_invoices.sort(key=lambda p: (p["submitted"], p["dossier"].id, p["installment"].number))
        by_org = defaultdict(int)
        for plan in self.planned_invoices:
            dossier, installment, state = plan["dossier"], plan["installment"], plan["state"]
            org = dossier.organisation
            submitted = plan["submitted"]
            by_org[org.id] += 1
            creator = self._org_admin(org)
            lines = [dict(nature="teaching", quantity=1, amount=installment.amount,
                          period_start=installment.period_start, period_end=installment.period_end)]
            if plan["annex"]:
                lines.append(dict(nature="meals", quantity=110, amount=Decimal("330.00"),
                                  period_start=installment.period_start, period_end=installment.period_end))
                lines.append(dict(nature="first_equipment", quantity=1, amount=Decimal("420.00"),
                                  period_start=installment.period_start, period_end=installment.period_start))
            total = sum((line["amount"] for line in lines), Decimal("0"))
            submitted_at = dt.datetime.combine(submitted, dt.time(10, 15))
            validated = submitted + dt.timedelta(days=12)
            invoice = Invoice.create(
                number=next_number("invoice"), receipt_number=f"R{next_number('receipt'):07d}", organisation=org,
                dossier=dossier, kind="reimbursement", state=state,
                period_start=installment.period_start, period_end=installment.period_end, total_ht=total,
                total_ttc=total, cfa_reference=f"FAC-{submitted.year}-{by_org[org.id]:04d}",
                cfa_invoice_date=submitted - dt.timedelta(days=2), terms_accepted_at=submitted_at,
                hold_reason=("Le certificat de réalisation de la période facturée est manquant."
                             if state == "en_attente" else ""),
                rejection_reason=("La facture jointe ne porte ni le numéro de dossier ni le nom de l'apprenti ; "
                                  "merci de déposer une nouvelle demande avec une facture conforme."
                                  if state == "rejetee" else ""),
                created_by=creator, created_at=submitted_at, submitted_at=submitted_at,
                validated_at=dt.datetime.combine(validated, dt.time(16)) if state in ("validee", "payee") else None)
            for line in lines:
                InvoiceLine.create(invoice=invoice, dossier=dossier,
                                   installment=installment if line["nature"] == "teaching" else None, **line)
            self._events(invoice, state, submitted_at, validated, creator)
            self._audit("Invoice", invoice.id, "depot", invoice, submitted_at, user=creator,
                        note=f"Demande de remboursement {invoice.display_number} sur le dossier {dossier.number}")
            if state != "en_traitement":
                decided = dt.datetime.combine(validated, dt.time(16))
                self._audit("Invoice", invoice.id, "valider" if state == "payee" else state, invoice, decided,
                            user=self.users["comptable@opco.test"])
            store_receipt(invoice, user=creator, certificate_provided=installment.number > 1)
            plan["invoice"] = invoice
            plan["total"] = total
            plan["validated"] = validated
        sync_statuses({plan["dossier"].id for plan in self.planned_invoices})
        return len(self.planned_invoices)

    def _events(self, invoice, state, submitted_at, validated, creator):
        comptable = self.users["comptable@opco.test"]
        InvoiceEvent.create(invoice=invoice, state="en_traitement", note="Demande déposée", by=creator, at=submitted_at)
        follow = {"en_attente": ("en_attente", invoice.hold_reason), "rejetee": ("rejetee", invoice.rejection_reason),
                  "validee": ("validee", "Bon à payer"), "payee": ("validee", "Bon à payer")}
        if state in follow:
            event_state, note = follow[state]
            InvoiceEvent.create(invoice=invoice, state=event_state, note=note, by=comptable,
                                at=dt.datetime.combine(validated, dt.time(16)))

    def _audit(self, entity, entity_id, action, after, at, user=None, note=""):
        """The audit entry of a record the demo writes, dated when the record says it happened."""
        entry = audit.record(entity, entity_id, action, None, after, user=user, note=note)
        AuditEntry.update(at=at).where(AuditEntry.id == entry.id).execute()

    def _org_admin(self, org):
        for email, key, role, *_ in CFA_USERS:
            if role == "admin_of" and self.orgs[key].id == org.id:
                return self.users[email]
        return None

    def _payments(self):
        """One transfer per organisation and month to its approved RIB, numbered in date order."""
        groups = defaultdict(list)
        for plan in self.planned_invoices:
            if plan["state"] == "payee":
                paid_on = plan["validated"] + dt.timedelta(days=10)
                groups[(paid_on.year, paid_on.month, plan["dossier"].organisation.id)].append(plan)
        key_of = {org.id: key for key, org in self.orgs.items()}
        for year, month, org_id in sorted(groups):
            plans = groups[(year, month, org_id)]
            date = max(p["validated"] for p in plans) + dt.timedelta(days=10)
            total = sum((p["total"] for p in plans), Decimal("0"))
            number = next_number("payment")
            payment = Payment.create(
                reference=f"REG-{number:07d}", organisation=org_id, bank_details=self.banks[key_of[org_id]],
                date=date, gross=total, deductions=Decimal("0"), net=total, submission_key=f"demo-payment-{number}",
                created_by=self.users["comptable@opco.test"], created_at=dt.datetime.combine(date, dt.time(8)))
            self._audit("Payment", payment.id, "create", payment, payment.created_at, user=payment.created_by,
                        note=f"{len(plans)} facture(s)")
            for plan in plans:
                PaymentLine.create(payment=payment, invoice=plan["invoice"], dossier=plan["dossier"],
                                   amount=plan["total"])
                paid_at = dt.datetime.combine(date, dt.time(8))
                Invoice.update(paid_at=paid_at).where(Invoice.id == plan["invoice"].id).execute()
                InvoiceEvent.create(invoice=plan["invoice"], state="payee", note=f"Règlement {payment.reference}",
                                    by=self.users["comptable@opco.test"], at=paid_at)
        return len(groups)

    def _credit_notes(self):
        count = 0
        for dossier, options in self.dossiers:
            if "rupture" not in options:
                continue
            settlement = self._rupture(dossier, options["rupture"])
            if settlement.credit_note <= 0:
                continue
            org = dossier.organisation
            issued = options["rupture"][1] + dt.timedelta(days=3)
            mode = org.credit_note_mode
            due = rules.refund_due_date(issued) if mode == "refund" else None
            state = "en_retard" if rules.is_overdue(issued, self.today, mode=mode) else "a_emettre"
            note = CreditNote.create(number=next_number("credit_note"), organisation=org, dossier=dossier,
                                     amount=settlement.credit_note, reason="rupture", settlement_mode=mode,
                                     state=state, issued_on=issued, due_date=due,
                                     created_at=dt.datetime.combine(issued, dt.time(14)))
            self._audit("CreditNote", note.id, "create", note, note.created_at,
                        user=self.users["conseiller@opco.test"], note=f"{note.display_number} – dossier {dossier.number}")
            Notification.create(organisation=org, dossier=dossier, category="avoir",
                                message=f"Avoir {note.display_number} de {rules.format_eur(note.amount)} émis après "
                                        f"la rupture du contrat de {dossier.apprentice_name} : à rembourser avec la "
                                        f"référence {note.transfer_reference}.",
                                created_at=dt.datetime.combine(issued, dt.time(14)))
            count += 1
        return count

    def _draft_invoice(self):
        """A mass invoicing saved at step 2 through services.mass_invoicing (a draft has no number until sent)."""
        org = self.orgs["sud"]
        chosen = [d.id for d, _ in self.dossiers if d.organisation.id == org.id and d.state == "engage"
                  and not Invoice.select().where(Invoice.dossier == d.id).exists()]
        user = self._org_admin(org)
        draft = mass_invoicing.save_step1(None, org, ["teaching"], chosen, set(chosen), user, require_complete=True)
        choices = mass_invoicing.step2_choices(draft, self.today)
        for choice in choices:
            choice.installment_ids = [row.id for row in choice.open_installments[:1]]
        mass_invoicing.save_step2(draft, choices, 2)
        saved_at = dt.datetime(2026, 11, 20, 17, 40)
        Invoice.update(created_at=saved_at).where(Invoice.id == draft.id).execute()
        AuditEntry.update(at=saved_at).where((AuditEntry.entity == "Invoice")
                                             & (AuditEntry.entity_id == str(draft.id))).execute()
        InvoiceEvent.create(invoice=draft, state="brouillon", note="Facturation en masse enregistrée (étape 2)",
                            by=user, at=saved_at)

    def _waiting_requests(self):
        """A rupture declared and an amendment requested from the portal, waiting for a conseiller."""
        from services.amendments import amendment_preview, record_request
        from services.ruptures import declare_rupture

        def dossier_of(name):
            return next(d for d, _ in self.dossiers if d.apprentice_name == name)

        declare_rupture(dossier_of("KERBRAT Gwenaël"), D(2026, 11, 20), "Démission de l'apprenti (courrier du "
                        "18/11/2026)", user=self.users["admin@cfa-ouest.test"])
        preview = amendment_preview(dossier_of("AUBERT Nathan"), new_end=D(2028, 2, 29),
                                    reason="Prolongation : session d'examen décalée à février 2028", settling=False)
        record_request(preview, self.users["gestion@cfa-sud.test"])

    def _notifications(self):
        """What a CFA sees first: invoices waiting on it, dossiers awaiting documents, recent agreements."""
        for plan in self.planned_invoices:
            invoice, dossier = plan["invoice"], plan["dossier"]
            if invoice.state == "en_attente":
                message = (f"La demande de remboursement {invoice.display_number} ({dossier.apprentice_name}) est en "
                           f"attente de mise en conformité : {invoice.hold_reason}")
            elif invoice.state == "rejetee":
                message = (f"La demande de remboursement {invoice.display_number} ({dossier.apprentice_name}) a été "
                           f"rejetée : {invoice.rejection_reason}")
            else:
                continue
            Notification.create(organisation=dossier.organisation, dossier=dossier, category="facture",
                                message=message, created_at=invoice.submitted_at + dt.timedelta(days=12))
        for dossier, options in self.dossiers:
            if dossier.state == "en_attente":
                Notification.create(organisation=dossier.organisation, dossier=dossier, category="dossier",
                                    message=f"Dossier {dossier.number} ({dossier.apprentice_name}) en attente de "
                                            f"pièces : {dossier.missing_pieces}.",
                                    created_at=dt.datetime.combine(dossier.deposit_date, dt.time(15)))
            elif dossier.state == "engage" and dossier.agreement_date >= dt.date(2026, 1, 1):
                Notification.create(organisation=dossier.organisation, dossier=dossier, category="dossier",
                                    message=f"Le dossier {dossier.number} ({dossier.apprentice_name}) est engagé : "
                                            f"{rules.format_eur(dossier.total_financed)} financés.",
                                    created_at=dt.datetime.combine(dossier.agreement_date, dt.time(9)))
            elif dossier.state == "solde" and dossier.closing_date and dossier.closing_date.year <= 2023:
                Notification.create(organisation=dossier.organisation, dossier=dossier, category="dossier",
                                    message=f"Le dossier {dossier.number} ({dossier.apprentice_name}) est soldé.",
                                    read_at=dt.datetime.combine(dossier.closing_date, dt.time(18)),
                                    created_at=dt.datetime.combine(dossier.closing_date, dt.time(9)))
        ouest = self.orgs["ouest"]
        Notification.create(organisation=ouest, category="rib",
                            message="Vos nouvelles coordonnées bancaires sont en attente de validation par l'OPCO.",
                            created_at=dt.datetime(2026, 11, 18, 10, 5))
        Notification.create(organisation=self.orgs["sud"], category="delegation",
                            message="CFA Ouest vous a délégué la gestion de ses contrats.",
                            read_at=dt.datetime(2024, 1, 3, 9, 0), created_at=dt.datetime(2024, 1, 2, 11, 0))


def _ascii(text):
    import unicodedata
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-").replace("'", "")


def register_demo_cli(app):
    """Register `demo` and `generate` on the Flask CLI."""
    import click

    import models
    from commands.generate import register_generate_cli

    @app.cli.command("demo")
    def demo_command():
        """Load the demo data (refuses politely when it is already there)."""
        models.create_schema()
        try:
            counts = load_demo()
        except DemoAlreadyLoaded:
            click.echo("Les données de démonstration sont déjà chargées : rien n'a été ajouté.")
            return
        click.echo(f"Données de démonstration chargées : {counts['dossiers']} dossiers, {counts['invoices']} "
                   f"demandes de remboursement, {counts['payments']} règlements, {counts['credit_notes']} avoir(s).")
        click.echo(f"Comptes (mot de passe {DEMO_PASSWORD}) : "
                   + ", ".join([e for e, *_ in STAFF] + [e for e, *_ in CFA_USERS]
                               + [v[9][0] for v in EMPLOYERS.values() if v[9]]))

    register_generate_cli(app)
