"""The state vocabulary (SPEC §4): one enum per state machine, its stored values, French labels and badges.

Values are the strings stored in the database, so no data migration follows from naming them. Every
other module names a state through these enums (Python code, peewee queries, raw SQL by interpolating
the value); models take their `choices` from here, templates their labels and badge colours.
"dossier en_attente" (awaiting documents) and "invoice en_attente" (on hold) share a stored string but
are two members of two enums.
"""
from enum import StrEnum


class State(StrEnum):
    """A stored state with its French label and the Bootstrap colour of its badge."""

    def __new__(cls, value, label, badge="secondary"):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.badge = badge
        return member

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]

    @classmethod
    def labels(cls):
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, value):
        """The French label of a stored value (the value itself when unknown, e.g. an old row)."""
        try:
            return cls(value).label
        except ValueError:
            return value or ""

    @classmethod
    def badge_of(cls, value):
        try:
            return cls(value).badge
        except ValueError:
            return "secondary"

    @classmethod
    def values(cls, *members):
        """Stored values as a plain tuple (peewee `in_`, raw SQL)."""
        return tuple(m.value for m in (members or cls))


class DossierState(State):
    RECEIVED = "recu", "Reçu", "info"
    IN_INSTRUCTION = "en_instruction", "En instruction", "primary"
    AWAITING_DOCUMENTS = "en_attente", "En attente de pièces", "warning"
    ENGAGED = "engage", "Engagé", "success"
    SETTLED = "solde", "Soldé", "dark"
    REFUSED = "refuse", "Refusé", "danger"
    CANCELLED = "annule", "Annulé", "secondary"
    DELETED = "supprime", "Supprimé", "secondary"


class InstallmentStatus(State):
    """Derived from the invoices and payments of the dossier (workflows/installments.py), not a machine."""

    TO_INVOICE = "to_invoice", "À facturer", "info"
    INVOICED = "invoiced", "Facturée", "primary"
    PAID = "paid", "Payée", "success"
    CANCELLED = "cancelled", "Annulée", "secondary"


class InvoiceState(State):
    DRAFT = "brouillon", "Brouillon", "secondary"
    PROCESSING = "en_traitement", "En cours de traitement", "primary"
    ON_HOLD = "en_attente", "En attente de mise en conformité", "warning"
    VALIDATED = "validee", "Validée (bon à payer)", "info"
    PAID = "payee", "Payée", "success"
    REJECTED = "rejetee", "Rejetée", "danger"


class CreditNoteState(State):
    TO_ISSUE = "a_emettre", "À émettre (pro forma générée)", "warning"
    DEPOSITED = "deposee", "Avoir déposé", "info"
    DEDUCTED = "imputee", "Imputé sur un règlement", "success"
    REFUNDED = "remboursee", "Remboursé", "success"
    OVERDUE = "en_retard", "Remboursement en retard", "danger"


class BankDetailsStatus(State):
    PENDING = "pending", "En attente de validation", "warning"
    APPROVED = "approved", "Validé", "success"
    REFUSED = "refused", "Refusé", "danger"
    REPLACED = "replaced", "Remplacé", "secondary"


class DelegationState(State):
    REQUESTED = "demandee", "Demandée", "warning"
    APPROVED = "approuvee", "Approuvée", "success"
    REFUSED = "refusee", "Refusée", "danger"
    ENDED = "terminee", "Terminée", "secondary"


class AmendmentState(State):
    DEPOSITED = "deposee", "Déposé par le CFA", "warning"
    GRANTED = "accordee", "Accordé", "success"
    REFUSED = "refusee", "Refusé", "danger"


class RuptureState(State):
    DECLARED = "declaree", "Déclarée par le CFA", "warning"
    CONFIRMED = "confirmee", "Confirmée", "success"


class StockCheck(State):
    """The CFA's answer on a stock contract the OPCO took over (seed 003 *Étape 1 : Vérifier mes contrats
    stockés*). Not a machine: each answer is a declaration kept with its comment, the latest one counts."""

    TO_CHECK = "a_verifier", "À vérifier", "warning"
    CONFIRMED = "confirme", "Confirmé par le CFA", "success"
    REPORTED = "signale", "Anomalie signalée par le CFA", "danger"


class OrganisationStatus(State):
    PENDING = "pending", "Inscription à valider", "warning"
    ACTIVE = "active", "Active", "success"
    INACTIVE = "inactive", "Inactive", "secondary"
    REFUSED = "refused", "Inscription refusée", "danger"


class EmployerStatus(State):
    ACTIVE = "active", "Actif", "success"
    INACTIVE = "inactive", "Inactif", "secondary"


class ProposalState(State):
    DRAFT = "brouillon", "En cours de saisie", "secondary"
    SENT = "envoye", "Envoyé à l'entreprise", "info"
    UNDER_REVIEW = "en_examen", "En cours d'examen par l'entreprise", "primary"
    ACCEPTED = "accepte", "Accepté (dossier créé)", "success"
    REFUSED_BY_EMPLOYER = "refuse_entreprise", "Refusé par l'entreprise", "danger"
    FROM_API = "transmis_api", "Transmis par API CFA", "info"


# A user's `active` column is a boolean: its two values and their labels.
USER_ACTIVITY_LABELS = {True: "Actif", False: "Inactif"}

# Groups of states several modules ask about.
OPEN_DELEGATION_STATES = DelegationState.values(DelegationState.REQUESTED, DelegationState.APPROVED)
BEFORE_AGREEMENT = DossierState.values(DossierState.RECEIVED, DossierState.IN_INSTRUCTION,
                                       DossierState.AWAITING_DOCUMENTS)
# Invoices that count against a dossier's schedule (everything sent and not rejected).
ACTIVE_INVOICE_STATES = InvoiceState.values(InvoiceState.PROCESSING, InvoiceState.ON_HOLD, InvoiceState.VALIDATED,
                                            InvoiceState.PAID)
OPEN_CREDIT_NOTE_STATES = CreditNoteState.values(CreditNoteState.TO_ISSUE, CreditNoteState.DEPOSITED,
                                                 CreditNoteState.OVERDUE)
