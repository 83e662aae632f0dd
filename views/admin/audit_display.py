"""The audit log as people read it: French names of the records and actions, and each change as
« label : before → after » in the French formats of infrastructure.formatting, instead of raw JSON.

Entity names are matched loosely (`Dossier`, `dossier`, `bank_details` and `BankDetails` are one entity); an action
reads as the label of its transition in workflows/state_machines.py, and an unknown code is shown as it is.
"""
import datetime as dt
import json
from dataclasses import dataclass

from peewee import BooleanField, DateField, DateTimeField, ForeignKeyField

import models
from infrastructure.formatting import date_fr, datetime_fr, label, montant, oui_non
from workflows.state_machines import MACHINES

EMPTY = "—"

ENTITY_LABELS = {
    "schemaversion": "Version du schéma", "setting": "Paramètre", "counter": "Compteur de numérotation",
    "organisation": "Organisme", "employer": "Employeur", "delegation": "Délégation", "user": "Utilisateur",
    "membership": "Rattachement d'utilisateur", "apprentice": "Apprenti(e)", "dossier": "Dossier",
    "installment": "Échéance", "npecreference": "Référentiel NPEC", "idcccpne": "Correspondance IDCC – CPNE",
    "rupture": "Rupture", "amendment": "Avenant", "expiredsettlement": "Solde de dossier échu", "bankdetails": "RIB",
    "invoice": "Facture", "invoiceline": "Ligne de facture", "invoiceevent": "Événement de facture",
    "creditnote": "Avoir", "payment": "Règlement", "paymentline": "Ligne de règlement",
    "paymentdeduction": "Déduction d'avoir", "idempotencyrecord": "Requête rejouable", "document": "Pièce jointe",
    "letter": "Courrier", "notification": "Notification", "outboxemail": "E-mail", "contractproposal":
    "Proposition de contrat", "proposalstep": "Étape de proposition", "apikey": "Clé d'API",
    "auditentry": "Journal d'audit", "demo": "Données de démonstration", "onetimetoken": "Lien à usage unique",
    "smicrate": "SMIC", "dossiercounter": "Compteur de dossiers", "webhookendpoint": "Adresse de webhook",
    "webhookdelivery": "Envoi de webhook", "webhookattempt": "Essai d'envoi de webhook",
    "exportrequest": "Export en arrière-plan", "helpdeskcontact": "Contact du centre de relation client",
    "opconews": "Actualité de l'OPCO", "opconewstarget": "Destinataire d'une actualité",
    "opconewsread": "Lecture d'une actualité",
    "exportrequest": "Export en arrière-plan", "stockverification": "Vérification de contrat stocké",
}

# What is not a transition of workflows/state_machines.py (those carry their own French label).
OTHER_ACTIONS = {
    "create": "Création", "update": "Modification", "delete": "Suppression",
    "correct_contract": "Correction des données du contrat", "import": "Import", "load": "Chargement",
    "deposit": "Dépôt", "deposit_again": "Nouveau dépôt", "download": "Téléchargement",
    "lock": "Verrouillage du compte", "create_draft": "Brouillon enregistré", "request": "Demande",
    "record_rupture": "Rupture enregistrée", "record_amendment": "Avenant enregistré",
    "declare_certificate": "Certificat de réalisation déclaré", "reschedule": "Échéancier recalculé",
    "deduct_part": "Déduction partielle", "change_credit_note_mode": "Mode de règlement des avoirs",
    "invite": "Invitation d'un utilisateur", "change_rights": "Modification des droits",
    "resend_invitation": "Nouvelle invitation envoyée", "accept_invitation": "Invitation acceptée",
    "revoke": "Révocation",
    "deactivate": "Désactivation", "reactivate": "Réactivation", "replay": "Envoi rejoué",
    "stock_confirme": "Contrat stocké confirmé par le CFA", "stock_signale": "Anomalie signalée sur un contrat stocké",
}
TRANSITION_LABELS = {(machine.entity, t.action): t.label
                     for machine in MACHINES.values() for t in machine.transitions.values()}


def _key(entity):
    return (entity or "").replace("_", "").replace(" ", "").lower()


_MODELS = {_key(model.__name__): model for model in models.MODELS}


def entity_label(entity):
    """'BankDetails' -> 'RIB'; an unknown entity as it is."""
    return ENTITY_LABELS.get(_key(entity), entity or "")


def action_label(action, entity=None):
    """'approve' on a delegation -> 'Approuver'; 'update' -> 'Modification'; an unknown code as it is."""
    model = model_of(entity)
    if model is not None and (model._meta.table_name, action) in TRANSITION_LABELS:
        return TRANSITION_LABELS[(model._meta.table_name, action)]
    return OTHER_ACTIONS.get(action, action or "")


def model_of(entity):
    return _MODELS.get(_key(entity))


@dataclass(frozen=True)
class Change:
    field: str  # French label of the field
    before: str
    after: str


def _parsed(text, kind):
    if not isinstance(text, str):
        return text
    try:
        return dt.datetime.fromisoformat(text) if kind is DateTimeField else dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def display_value(field, value):
    """One stored value (as the audit snapshot keeps it) in French."""
    if value is None or value == "":
        return EMPTY
    if field is not None:
        if field.choices:
            return label(value, field.choices)
        if isinstance(field, models.MoneyField):
            return montant(value)
        if isinstance(field, DateTimeField):
            return datetime_fr(_parsed(value, DateTimeField))
        if isinstance(field, DateField):
            return date_fr(_parsed(value, DateField))
        if isinstance(field, BooleanField):
            return oui_non(value)
        if isinstance(field, ForeignKeyField):
            return f"n° {value}"
    if isinstance(value, bool):
        return oui_non(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(entity, before, after, field_labels=None):
    """The fields whose value differs between `before` and `after` (either may be None), as French `Change`s."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [Change("Valeur", display_value(None, before), display_value(None, after))]
    model = model_of(entity)
    fields = model._meta.fields if model is not None else {}
    labels = field_labels or {}
    result = []
    for name in list(before) + [name for name in after if name not in before]:
        old, new = before.get(name), after.get(name)
        if name in before and name in after and old == new:
            continue
        field = fields.get(name)
        text = str(labels.get(name) or name.replace("_", " ").capitalize())
        result.append(Change(text, display_value(field, old) if name in before else EMPTY,
                             display_value(field, new) if name in after else EMPTY))
    return result


def changes_text(entity, before, after, field_labels=None):
    """The changes on one line, for exports: 'État : Reçu → En instruction ; Montant : …'."""
    return " ; ".join(f"{c.field} : {c.before} → {c.after}" for c in changes(entity, before, after, field_labels))
