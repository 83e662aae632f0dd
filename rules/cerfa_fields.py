"""The catalogue of the CERFA FA13 (10103*14) fields, tab by tab (seed 004, SPEC §7).

A proposal's ``data`` maps each field ``key`` (the inter-OPCO "API
Convergence" French camelCase dotted names) to a string: ISO dates
``YYYY-MM-DD``, decimals ``1234.50``, booleans ``oui`` / ``non``, choice codes
as listed here. Forms, checks, the PDF and the employer space all read this one
table; ``required`` means transmission needs the field, ``by_employer`` that
the employer fills it (so it is only required once the employer transmits).
"""
from dataclasses import dataclass, field

YES, NO = "oui", "non"
KINDS = ("text", "textarea", "date", "choice", "bool", "int", "decimal", "percent", "siret", "nir", "email",
         "phone", "uai", "rncp", "diploma", "idcc", "naf", "postal", "department")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple = ()
    help: str = ""
    section: str = ""
    by_employer: bool = False
    max_length: int = 200

    def choice_label(self, code) -> str:
        return dict(self.choices).get(code, code or "")


@dataclass(frozen=True)
class Tab:
    key: str
    title: str
    help: str
    fields: tuple = field(default_factory=tuple)


SEX = (("M", "Masculin"), ("F", "Féminin"))
EMPLOYER_TYPES = (
    ("11", "Entreprise inscrite au répertoire des métiers ou au registre des entreprises d'Alsace-Moselle"),
    ("12", "Entreprise inscrite uniquement au registre du commerce et des sociétés"),
    ("13", "Entreprise dont les salariés relèvent de la mutualité sociale agricole"),
    ("14", "Profession libérale"), ("15", "Association"), ("16", "Autre employeur privé"),
    ("21", "Service de l'État"), ("22", "Commune"), ("23", "Département"), ("24", "Région"),
    ("25", "Établissement public hospitalier"), ("26", "Établissement public local d'enseignement"),
    ("27", "Établissement public administratif de l'État"), ("28", "Établissement public administratif local"),
    ("29", "Autre employeur public"), ("30", "Établissement public industriel et commercial"),
)
SPECIFIC_EMPLOYERS = (("0", "Aucun de ces cas"), ("1", "Entreprise de travail temporaire"),
                      ("2", "Groupement d'employeurs"), ("3", "Employeur saisonnier"),
                      ("4", "Apprentissage familial : l'employeur est un ascendant de l'apprenti"))
NATIONALITIES = (("1", "Française"), ("2", "Union européenne"), ("3", "Étranger hors Union européenne"))
SOCIAL_REGIMES = (("1", "MSA"), ("2", "URSSAF"))
SITUATIONS = (
    ("1", "Scolaire"), ("2", "Prépa apprentissage"), ("3", "Étudiant"), ("4", "Contrat d'apprentissage"),
    ("5", "Contrat de professionnalisation"), ("6", "Contrat aidé"),
    ("7", "En formation au CFA sous statut de stagiaire, avant signature d'un contrat d'apprentissage"),
    ("8", "En formation au CFA sans contrat, suite à rupture"),
    ("9", "Autre situation sous statut de stagiaire de la formation professionnelle"), ("10", "Salarié"),
    ("11", "Personne à la recherche d'un emploi"), ("12", "Inactif"),
)
DIPLOMAS = (
    ("80", "Doctorat"), ("71", "Master professionnel / DESS"), ("72", "Master recherche / DEA"),
    ("73", "Master indifférencié"), ("74", "Diplôme d'ingénieur, diplôme d'école de commerce"),
    ("79", "Autre diplôme ou titre de niveau bac +5 ou plus"), ("61", "1re année de master"),
    ("62", "Licence professionnelle"), ("63", "Licence générale"),
    ("69", "Autre diplôme ou titre de niveau bac +3 ou 4"), ("54", "Brevet de technicien supérieur"),
    ("55", "Diplôme universitaire de technologie / BUT"), ("58", "Autre diplôme ou titre de niveau bac +2"),
    ("41", "Baccalauréat professionnel"), ("42", "Baccalauréat général"), ("43", "Baccalauréat technologique"),
    ("49", "Autre diplôme ou titre de niveau bac"), ("33", "CAP"), ("34", "BEP"), ("35", "Mention complémentaire"),
    ("38", "Autre diplôme ou titre de niveau CAP/BEP"), ("25", "Diplôme national du brevet"),
    ("26", "Certificat de formation générale"), ("13", "Aucun diplôme ni titre professionnel"),
)
LAST_CLASSES = (
    ("01", "A suivi la dernière année du cycle et obtenu le diplôme ou titre"),
    ("11", "A suivi la 1re année du cycle et l'a validée"), ("12", "A suivi la 1re année du cycle sans la valider"),
    ("21", "A suivi la 2e année du cycle et l'a validée"), ("22", "A suivi la 2e année du cycle sans la valider"),
    ("31", "A suivi la 3e année du cycle et l'a validée"), ("32", "A suivi la 3e année du cycle sans la valider"),
    ("40", "A achevé le premier cycle de l'enseignement secondaire (collège)"),
    ("41", "A interrompu ses études en classe de 3e"), ("42", "A interrompu ses études en classe de 4e"),
)
AFTER_COLLEGE = "40"
LEVELS = (("3", "Niveau 3 (CAP, BEP)"), ("4", "Niveau 4 (baccalauréat)"), ("5", "Niveau 5 (bac +2)"),
          ("6", "Niveau 6 (bac +3 ou 4)"), ("7", "Niveau 7 (bac +5)"), ("8", "Niveau 8 (doctorat)"))
CONTRACT_TYPES = (
    ("11", "Premier contrat d'apprentissage de l'apprenti"),
    ("21", "Nouveau contrat : précédent contrat terminé chez le même employeur"),
    ("22", "Nouveau contrat : précédent contrat terminé chez un autre employeur"),
    ("23", "Nouveau contrat : précédent contrat rompu chez un autre employeur"),
    ("31", "Avenant : modification de la situation juridique de l'employeur"),
    ("32", "Avenant : changement d'employeur dans le cadre d'un contrat saisonnier"),
    ("33", "Avenant : prolongation suite à un échec à l'examen"),
    ("34", "Avenant : prolongation suite à la reconnaissance de travailleur handicapé"),
    ("35", "Avenant : modification du diplôme préparé"),
    ("36", "Avenant : autres changements (maître, durée de travail, réduction de durée…)"),
    ("37", "Avenant : modification du lieu d'exécution du contrat"),
    ("38", "Avenant : modification du lieu principal de la formation théorique"),
)
FIRST_CONTRACT = "11"
DEROGATIONS = (("", "Aucune"), ("11", "Âge de l'apprenti inférieur à 16 ans"),
               ("12", "Âge supérieur à 29 ans : cas prévus par le code du travail"),
               ("21", "Réduction de la durée du contrat ou de la période d'apprentissage"),
               ("22", "Allongement de la durée du contrat ou de la période d'apprentissage"),
               ("50", "Cumul de dérogations"), ("60", "Autre dérogation"))
SALARY_BASES = (("SMIC", "SMIC"), ("SMC", "Salaire minimum conventionnel (SMC)"))
PAY_YEARS = (1, 2, 3, 4)


def pay_rate_key(year: int) -> str:
    return f"contrat.remunerationsAnnuelles.{year}.taux"


def pay_basis_key(year: int) -> str:
    return f"contrat.remunerationsAnnuelles.{year}.typeSalaire"


def _address(prefix, required, section="Adresse"):
    return (
        Field(f"{prefix}.adresse.numero", "N°", section=section, max_length=10),
        Field(f"{prefix}.adresse.voie", "Voie", required=required, section=section),
        Field(f"{prefix}.adresse.complement", "Complément", section=section),
        Field(f"{prefix}.adresse.codePostal", "Code postal", "postal", required=required, section=section),
        Field(f"{prefix}.adresse.commune", "Commune", required=required, section=section, max_length=100),
    )


def _master(rank, required):
    prefix, section = f"maitre{rank}", f"Maître d'apprentissage n° {rank}"
    return (
        Field(f"{prefix}.nom", "Nom de naissance", required=required, section=section, max_length=100),
        Field(f"{prefix}.prenom", "Prénom", required=required, section=section, max_length=100),
        Field(f"{prefix}.dateNaissance", "Date de naissance", "date", required=required, section=section,
              help="Le maître d'apprentissage doit avoir 18 ans ou plus au début du contrat."),
        Field(f"{prefix}.nir", "NIR", "nir", section=section),
        Field(f"{prefix}.courriel", "Courriel", "email", required=required, section=section),
        Field(f"{prefix}.emploiOccupe", "Emploi occupé", required=required, section=section),
        Field(f"{prefix}.diplomeObtenu", "Diplôme ou titre le plus élevé obtenu", section=section),
        Field(f"{prefix}.niveauDiplome", "Niveau du diplôme ou titre le plus élevé", "choice", choices=LEVELS,
              section=section),
    )


def _pay_year(year):
    section = f"Rémunération — année {year}"
    return (
        Field(pay_rate_key(year), f"Année {year} : % du salaire de référence", "percent", required=year == 1,
              section=section,
              help="Pourcentage du SMIC (ou du SMC) ; le montant mensuel en euros est affiché à côté."),
        Field(pay_basis_key(year), f"Année {year} : salaire de référence", "choice", choices=SALARY_BASES,
              section=section),
    )


TABS = (
    Tab("introduction", "Introduction",
        "Avant de commencer, réunissez : le SIRET, le code NAF et l'IDCC de l'employeur ; l'identité, le NIR et "
        "la scolarité de l'apprenti ; l'identité des maîtres d'apprentissage ; les dates et la rémunération du "
        "contrat ; le diplôme visé (code diplôme et code RNCP). Vous pouvez enregistrer un brouillon à tout "
        "moment dès que le SIRET de l'employeur et celui du CFA, ou la raison sociale de l'employeur et le nom et "
        "le prénom de l'apprenti, sont saisis."),
    Tab("employeur", "Employeur",
        "L'employeur tel qu'il figure au répertoire SIRENE : établissement d'exécution du contrat, son code NAF, "
        "son effectif et la convention collective (IDCC) appliquée.",
        (Field("employeur.denomination", "Dénomination", required=True),
         Field("employeur.siret", "SIRET de l'établissement d'exécution du contrat", "siret", required=True),
         *_address("employeur", True),
         Field("employeur.telephone", "Téléphone", "phone", required=True),
         Field("employeur.courriel", "Courriel", "email", required=True,
               help="L'entreprise reçoit la proposition à cette adresse ; sans compte, elle est invitée à en créer un."),
         Field("employeur.typeEmployeur", "Type d'employeur", "choice", required=True, choices=EMPLOYER_TYPES),
         Field("employeur.employeurSpecifique", "Employeur spécifique", "choice", choices=SPECIFIC_EMPLOYERS),
         Field("employeur.naf", "Code activité (NAF)", "naf", required=True, max_length=6),
         Field("employeur.nombreDeSalaries", "Effectif salarié de l'entreprise", "int", required=True),
         Field("employeur.codeIdcc", "Code IDCC de la convention collective", "idcc", required=True, max_length=4,
               help="4 chiffres ; avec le code RNCP il détermine le NPEC proposé en Synthèse."),
         Field("employeur.regimeSpecifique", "Adhère au régime spécifique d'assurance chômage", "bool"))),
    Tab("apprenti", "Apprenti",
        "L'identité de l'apprenti (nom de naissance, NIR cohérent avec le sexe et la date de naissance), sa "
        "situation avant le contrat et sa scolarité. Le représentant légal est obligatoire pour un apprenti "
        "mineur au début du contrat.",
        (Field("apprenti.nom", "Nom de naissance", required=True, max_length=100),
         Field("apprenti.nomUsage", "Nom d'usage", max_length=100),
         Field("apprenti.prenom", "Prénom", required=True, max_length=100),
         Field("apprenti.nir", "NIR (numéro de sécurité sociale)", "nir", required=True),
         Field("apprenti.sexe", "Sexe", "choice", required=True, choices=SEX),
         Field("apprenti.dateNaissance", "Date de naissance", "date", required=True),
         Field("apprenti.departementNaissance", "Département de naissance", "department", required=True,
               max_length=3, help="99 pour une naissance à l'étranger."),
         Field("apprenti.communeNaissance", "Commune de naissance", required=True, max_length=100),
         Field("apprenti.nationalite", "Nationalité", "choice", required=True, choices=NATIONALITIES),
         Field("apprenti.regimeSocial", "Régime social", "choice", required=True, choices=SOCIAL_REGIMES),
         Field("apprenti.inscriptionSportifDeHautNiveau", "Déclare être inscrit sur la liste des sportifs de haut "
               "niveau", "bool"),
         Field("apprenti.handicap", "Déclare bénéficier de la reconnaissance travailleur handicapé (RQTH)", "bool"),
         Field("apprenti.projetCreationRepriseEntreprise", "Déclare avoir un projet de création ou de reprise "
               "d'entreprise", "bool"),
         Field("apprenti.situationAvantContrat", "Situation avant ce contrat", "choice", required=True,
               choices=SITUATIONS),
         Field("apprenti.diplomePrepare", "Dernier diplôme ou titre préparé", "choice", required=True,
               choices=DIPLOMAS),
         Field("apprenti.derniereClasse", "Dernière classe ou année suivie", "choice", required=True,
               choices=LAST_CLASSES),
         Field("apprenti.intituleDiplomePrepare", "Intitulé précis du dernier diplôme ou titre préparé"),
         Field("apprenti.diplome", "Diplôme ou titre le plus élevé obtenu", "choice", required=True,
               choices=DIPLOMAS),
         *_address("apprenti", True),
         Field("apprenti.telephone", "Téléphone", "phone"),
         Field("apprenti.courriel", "Courriel", "email"),
         Field("apprenti.responsableLegal.nom", "Nom", section="Représentant légal (apprenti mineur)",
               max_length=100),
         Field("apprenti.responsableLegal.prenom", "Prénom", section="Représentant légal (apprenti mineur)",
               max_length=100),
         *_address("apprenti.responsableLegal", False, "Représentant légal (apprenti mineur)"),
         Field("apprenti.responsableLegal.courriel", "Courriel", "email",
               section="Représentant légal (apprenti mineur)"))),
    Tab("maitres", "Maîtres d'apprentissage",
        "Un ou deux maîtres d'apprentissage, salariés de l'entreprise, âgés de 18 ans ou plus, justifiant d'un "
        "diplôme du domaine et d'un niveau au moins équivalent à celui visé par l'apprenti, ou d'une expérience "
        "professionnelle suffisante.",
        (*_master(1, True), *_master(2, False))),
    Tab("contrat", "Contrat",
        "Le contrat dure de 6 mois à 3 ans. La rémunération de chaque année d'exécution est au moins le minimum "
        "légal selon l'âge de l'apprenti (en % du SMIC : moins de 18 ans 27/39/55 ; 18-20 ans 43/51/67 ; "
        "21-25 ans 53/61/78 ; 26 ans et plus 100).",
        (Field("contrat.typeContratApp", "Type de contrat ou d'avenant", "choice", required=True,
               choices=CONTRACT_TYPES),
         Field("contrat.typeDerogation", "Dérogation", "choice", choices=DEROGATIONS),
         Field("contrat.numeroContratPrecedent", "N° du contrat précédent ou du contrat sur lequel porte l'avenant",
               help="Obligatoire sauf pour un premier contrat.", max_length=20),
         Field("contrat.dateConclusion", "Date de conclusion (signature)", "date", required=True, by_employer=True),
         Field("contrat.dateDebutContrat", "Date de début d'exécution du contrat", "date", required=True),
         Field("contrat.dateDebutFormationPratique", "Date de début de la formation pratique chez l'employeur",
               "date", required=True),
         Field("contrat.dateEffetAvenant", "Date d'effet de l'avenant", "date"),
         Field("contrat.dateFinContrat", "Date de fin du contrat ou de la période d'apprentissage", "date",
               required=True),
         Field("contrat.dureeTravailHebdoHeures", "Durée hebdomadaire de travail : heures", "int", required=True),
         Field("contrat.dureeTravailHebdoMinutes", "Durée hebdomadaire de travail : minutes", "int"),
         Field("contrat.travailRisque", "Travail sur machines dangereuses ou exposition à des risques particuliers",
               "bool"),
         Field("contrat.dureeReduite", "Durée du contrat réduite (dérogation)", "bool"),
         *[f for year in PAY_YEARS for f in _pay_year(year)],
         Field("contrat.salaireEmbauche", "Salaire brut mensuel à l'embauche (€)", "decimal", required=True,
               help="Au moins le pourcentage de la 1re année appliqué au SMIC en vigueur."),
         Field("contrat.caisseRetraiteComplementaire", "Caisse de retraite complémentaire"),
         Field("contrat.avantageNourriture", "Avantage en nature : nourriture (€ par repas)", "decimal",
               section="Avantages en nature"),
         Field("contrat.avantageLogement", "Avantage en nature : logement (€ par mois)", "decimal",
               section="Avantages en nature"),
         Field("contrat.autreAvantageEnNature", "Autre avantage en nature", "bool", section="Avantages en nature"))),
    Tab("formation", "Formation",
        "Le CFA responsable (pré-rempli depuis votre fiche OF), le diplôme visé avec son code diplôme et son code "
        "RNCP, les dates et la durée de la formation. La formation commence au plus tard 3 mois après le début "
        "du contrat (ou au plus tôt 3 mois avant).",
        (Field("organismeFormation.formationInterne", "CFA d'entreprise", "bool", section="CFA responsable"),
         Field("organismeFormation.denomination", "Dénomination du CFA", required=True, section="CFA responsable"),
         Field("organismeFormation.uaiCfa", "N° UAI du CFA", "uai", required=True, section="CFA responsable",
               max_length=8),
         Field("organismeFormation.siret", "SIRET du CFA", "siret", required=True, section="CFA responsable"),
         *_address("organismeFormation", True, "CFA responsable"),
         Field("formation.typeDiplome", "Diplôme ou titre visé", "choice", required=True, choices=DIPLOMAS,
               section="Diplôme visé"),
         Field("formation.intituleQualification", "Intitulé précis", required=True, section="Diplôme visé"),
         Field("formation.codeDiplome", "Code du diplôme", "diploma", required=True, section="Diplôme visé",
               max_length=8, help="8 caractères (code Éducation nationale)."),
         Field("formation.rncp", "Code RNCP", "rncp", required=True, section="Diplôme visé", max_length=12),
         Field("formation.dateDebutFormation", "Date de début de la formation", "date", required=True,
               section="Organisation de la formation"),
         Field("formation.dateFinFormation", "Date prévue de fin des épreuves ou examens", "date", required=True,
               section="Organisation de la formation"),
         Field("formation.dureeFormation", "Durée de la formation (heures)", "int", required=True,
               section="Organisation de la formation"),
         Field("formation.partFormationDistance", "Part de la formation à distance (%)", "percent",
               section="Organisation de la formation"),
         Field("etablissementFormation.denomination", "Lieu principal de formation : dénomination",
               section="Lieu principal de formation", help="Laisser vide si la formation a lieu au CFA."),
         Field("etablissementFormation.uai", "Lieu principal de formation : UAI", "uai",
               section="Lieu principal de formation", max_length=8),
         Field("etablissementFormation.siret", "Lieu principal de formation : SIRET", "siret",
               section="Lieu principal de formation"),
         *_address("etablissementFormation", False, "Lieu principal de formation"))),
    Tab("synthese", "Synthèse",
        "Le NPEC est proposé d'après le référentiel France compétences (code RNCP × IDCC → CPNE) ; le conseiller "
        "le confirme à l'instruction. Indiquez les frais annexes prévus et, si besoin, un commentaire pour le "
        "conseiller OPCO.",
        (Field("financement.npec", "NPEC annuel proposé (€)", "decimal", section="Prise en charge"),
         Field("financement.fraisAnnexes.nuitees", "Frais annexes : nuitées (nombre)", "int", section="Frais annexes"),
         Field("financement.fraisAnnexes.repas", "Frais annexes : repas (nombre)", "int", section="Frais annexes"),
         Field("financement.fraisAnnexes.premierEquipement", "Frais annexes : premier équipement (€)", "decimal",
               section="Frais annexes"),
         Field("financement.fraisAnnexes.mobiliteInternationale", "Frais annexes : mobilité internationale (€)",
               "decimal", section="Frais annexes"),
         Field("synthese.commentaire", "Commentaire pour le conseiller OPCO", "textarea", max_length=2000))),
    Tab("documents", "Documents",
        "Pièces à joindre : la convention de formation signée, et le cas échéant l'attestation de mandat de "
        "gestion. Le CERFA reconstitué s'imprime depuis la Synthèse."),
    Tab("attestation", "Attestation",
        "L'employeur atteste disposer de l'ensemble des pièces justificatives et certifie l'exactitude des "
        "informations. Sans mandat de gestion, l'entreprise complète cet onglet après avoir accepté la proposition.",
        (Field("attestation.piecesJustificatives", "L'employeur atteste disposer de l'ensemble des pièces "
               "justificatives nécessaires au dépôt du contrat", "bool", required=True, by_employer=True),
         Field("attestation.exactitude", "L'employeur certifie l'exactitude des informations saisies", "bool",
               required=True, by_employer=True),
         Field("attestation.lieuSignature", "Fait à", required=True, by_employer=True, max_length=100),
         Field("attestation.mandatGestion", "L'employeur a donné un mandat de gestion au CFA", "bool",
               help="Avec un mandat (attestation jointe), le CFA transmet directement le contrat à l'OPCO."))),
)

TAB_KEYS = tuple(tab.key for tab in TABS)
TABS_BY_KEY = {tab.key: tab for tab in TABS}
FIELDS = tuple(f for tab in TABS for f in tab.fields)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
TAB_OF_FIELD = {f.key: tab.key for tab in TABS for f in tab.fields}
# The identity of the apprentice: never copied when a proposal is duplicated.
APPRENTICE_IDENTITY = tuple(f.key for f in TABS_BY_KEY["apprenti"].fields)


def tab_of(key: str) -> str:
    """The tab a field (or an error key naming a tab, or a field prefix) belongs to."""
    if key in TAB_OF_FIELD:
        return TAB_OF_FIELD[key]
    if key in TABS_BY_KEY:
        return key
    head = key.split(".", 1)[0]
    for tab in TABS:
        if any(f.key.split(".", 1)[0] == head for f in tab.fields):
            return tab.key
    return "synthese"


def fields_of(tab_key: str) -> tuple:
    return TABS_BY_KEY[tab_key].fields
