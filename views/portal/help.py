"""Aide: the helpdesk contact, the user guide's essentials and the glossary of states (seed 001 *Contacter le
Centre de Relation Client*, *Glossaire*). Labels come from the state tables (models/states.py); this module only
adds what each state means for the CFA."""
from flask import render_template
from flask_login import current_user

from access.web import portal_login_required
from models.states import (BankDetailsStatus, CreditNoteState, DossierState, InstallmentStatus, InvoiceState,
                           ProposalState)
from views.portal import bp

# By machine first: a dossier « en_attente » and an invoice « en_attente » are equal strings (models/states.py).
MEANINGS = {
    DossierState: {
        DossierState.RECEIVED: "Déposé auprès de l'OPCO ; le CERFA complet et signé par toutes les parties et la "
                               "convention de formation signée sont attendus.",
        DossierState.IN_INSTRUCTION: "Pris en main par un conseiller de l'OPCO, à l'étude.",
        DossierState.AWAITING_DOCUMENTS: "Dossier incomplet : un courrier de relance liste les pièces manquantes, à "
                                         "joindre depuis la page du dossier.",
        DossierState.ENGAGED: "Financement accordé : courrier d'accord émis, échéancier créé ; les demandes de "
                              "remboursement et factures peuvent être déposées.",
        DossierState.SETTLED: "Contrat terminé, rompu ou soldé : plus rien à facturer.",
        DossierState.REFUSED: "Prise en charge refusée par l'OPCO ; le motif figure sur le dossier.",
        DossierState.CANCELLED: "Annulé par l'employeur, avant ou après l'accord.",
        DossierState.DELETED: "Supprimé par un conseiller, à la demande de l'employeur, avant l'accord.",
    },
    InvoiceState: {
        InvoiceState.DRAFT: "Facturation en masse enregistrée pour plus tard, pas encore transmise.",
        InvoiceState.PROCESSING: "Reçue par l'OPCO, en cours de vérification.",
        InvoiceState.ON_HOLD: "Une pièce ou une correction est demandée (motif affiché) : déposez la pièce "
                              "complémentaire, la facture repart en traitement.",
        InvoiceState.VALIDATED: "Conforme, bon à payer : le règlement suit.",
        InvoiceState.PAID: "Réglée : la référence du virement figure dans « Règlements ».",
        InvoiceState.REJECTED: "Refusée par l'OPCO, avec son motif ; elle ne sera pas payée.",
    },
    InstallmentStatus: {
        InstallmentStatus.TO_INVOICE: "Échéance de l'échéancier pas encore facturée (facturable à partir de sa date).",
        InstallmentStatus.INVOICED: "Couverte par une facture en cours.",
        InstallmentStatus.PAID: "Facturée et réglée.",
        InstallmentStatus.CANCELLED: "Annulée (rupture, avenant) : elle ne sera pas facturée.",
    },
    CreditNoteState: {
        CreditNoteState.TO_ISSUE: "L'OPCO a généré la pro forma : émettez votre avoir et déposez-le.",
        CreditNoteState.DEPOSITED: "Votre avoir est déposé ; il sera déduit d'un règlement ou remboursé.",
        CreditNoteState.DEDUCTED: "Déduit d'un règlement de l'OPCO.",
        CreditNoteState.REFUNDED: "Remboursement reçu par l'OPCO.",
        CreditNoteState.OVERDUE: "Remboursement attendu depuis plus de 15 jours.",
    },
    BankDetailsStatus: {
        BankDetailsStatus.PENDING: "RIB déposé, en attente de validation par l'OPCO ; les règlements vont au RIB "
                                   "validé précédent.",
        BankDetailsStatus.APPROVED: "RIB validé : les règlements y sont versés.",
        BankDetailsStatus.REFUSED: "RIB refusé, avec son motif : déposez-en un autre.",
        BankDetailsStatus.REPLACED: "Ancien RIB, remplacé par un RIB validé depuis.",
    },
    ProposalState: {
        ProposalState.DRAFT: "Brouillon de proposition de contrat, modifiable.",
        ProposalState.SENT: "Envoyée à l'entreprise, toujours modifiable par le CFA.",
        ProposalState.UNDER_REVIEW: "Acceptée par l'entreprise, qui la complète avant de la transmettre à l'OPCO.",
        ProposalState.ACCEPTED: "Transmise à l'OPCO : le dossier est créé à l'état « Reçu ».",
        ProposalState.REFUSED_BY_EMPLOYER: "Refusée par l'entreprise, avec son motif.",
        ProposalState.FROM_API: "Reçue de votre logiciel par l'API.",
    },
}

GLOSSARY = [("dossiers", "Dossiers (actions)", DossierState), ("factures", "Factures et demandes de remboursement",
                                                                 InvoiceState),
            ("echeances", "Échéances", InstallmentStatus), ("avoirs", "Avoirs", CreditNoteState),
            ("rib", "Coordonnées bancaires (RIB)", BankDetailsStatus),
            ("propositions", "Propositions de contrat", ProposalState)]


def glossary():
    """[(anchor, title, [(label, badge, meaning)])] in the order of each state table."""
    return [(anchor, title, [(state.label, state.badge, MEANINGS[machine][state]) for state in machine])
            for anchor, title, machine in GLOSSARY]


@bp.route("/aide")
@portal_login_required
def help_page():
    return render_template("portal/help.html", glossary=glossary(), employer=current_user.kind == "employer")
