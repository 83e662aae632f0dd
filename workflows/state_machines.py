"""Every state machine as a table (SPEC §4): the transitions, who may run them, what the audit log calls
them and who is told. `workflows.transitions.apply` runs any of them; the back office and the portal read
their labels, buttons and filters from here. A transition added here is walked by tests/test_state_machines.py.
"""
from models import (Amendment, BankDetails, ContractProposal, CreditNote, Delegation, Dossier, Employer, Invoice,
                    Organisation, Rupture, User)
from models.states import (AmendmentState, BankDetailsStatus, CreditNoteState, DelegationState, DossierState,
                           EmployerStatus, InvoiceState, OrganisationStatus, ProposalState, RuptureState,
                           USER_ACTIVITY_LABELS)
from workflows.transitions import Machine, Notify, Transition
from workflows.webhooks import dossier_state_changed, invoice_state_changed

D, I, C, B = DossierState, InvoiceState, CreditNoteState, BankDetailsStatus
DG, A, R, O, E, P = DelegationState, AmendmentState, RuptureState, OrganisationStatus, EmployerStatus, ProposalState

# A dossier's news go to its organisation and to the organisations managing its contracts (delegation);
# an organisation's bank details to its own administrators only.
TELL_DOSSIER = (Notify("organisation", "dossier.view", "dossier", delegates=True),)
TELL_BILLING = (Notify("organisation", "dossier.bill", "billing", delegates=True),)
TELL_ADMINS = (Notify("organisation", "organisation.admin", "rib"),)


def _delegate_side(scope, delegation):
    return scope.is_staff or scope.organisation_id == delegation.delegate_id


def _either_side(scope, delegation):
    return scope.is_staff or scope.organisation_id in (delegation.delegate_id, delegation.delegator_id)


def _own_organisation(scope, obj):
    """An organisation's own administrators act on its bank details, never those of a delegate organisation."""
    return scope.is_staff or scope.organisation_id == obj.organisation_id


def _same_organisation(scope, user):
    """A CFA administrator manages the users of their organisation only; staff manage every account."""
    if scope.is_staff:
        return True
    from models import Membership
    return (Membership.select().where((Membership.user == user.id)
                                      & (Membership.organisation == scope.organisation_id)).exists())


DOSSIER = Machine("dossier", Dossier, "dossier", D, describe=lambda d: f"Dossier {d.number}",
                  events=dossier_state_changed, transitions=[
    Transition("instruire", (D.RECEIVED,), D.IN_INSTRUCTION, "dossier.instruct", "Prendre en instruction",
               "take_into_instruction", notify=TELL_DOSSIER, done="pris en instruction",
               confirmation="Prendre les dossiers sélectionnés en instruction ?"),
    Transition("demander_pieces", (D.IN_INSTRUCTION,), D.AWAITING_DOCUMENTS, "dossier.instruct",
               "Demander des pièces", "request_documents", notify=TELL_DOSSIER, done="pièces demandées",
               needs_input=True, button="warning"),
    Transition("reprendre", (D.AWAITING_DOCUMENTS,), D.IN_INSTRUCTION, "dossier.instruct", "Reprendre l'instruction",
               "resume_instruction", notify=TELL_DOSSIER, done="instruction reprise",
               confirmation="Reprendre l'instruction des dossiers sélectionnés ?"),
    Transition("engager", (D.IN_INSTRUCTION,), D.ENGAGED, "dossier.instruct", "Engager (accord de financement)",
               "engage", notify=TELL_DOSSIER, done="engagé", needs_input=True, button="success"),
    Transition("refuser", (D.IN_INSTRUCTION, D.AWAITING_DOCUMENTS), D.REFUSED, "dossier.instruct", "Refuser",
               "refuse", needs_reason=True, notify=TELL_DOSSIER, done="refusé (motif enregistré)",
               needs_input=True, button="danger"),
    Transition("annuler", (D.RECEIVED, D.IN_INSTRUCTION, D.AWAITING_DOCUMENTS, D.ENGAGED), D.CANCELLED,
               "dossier.instruct", "Annuler", "cancel", notify=TELL_DOSSIER, done="annulé", button="secondary",
               confirmation="Annuler les dossiers sélectionnés (à la demande de l'employeur) ?"),
    Transition("supprimer", (D.RECEIVED, D.IN_INSTRUCTION, D.AWAITING_DOCUMENTS), D.DELETED, "dossier.instruct",
               "Supprimer (avant accord)", "delete", notify=TELL_DOSSIER, done="supprimé", button="danger",
               confirmation="Supprimer les dossiers sélectionnés ? Possible seulement avant l'accord."),
    Transition("solder", (D.ENGAGED,), D.SETTLED, "dossier.instruct", "Solder", "settle", notify=TELL_DOSSIER,
               done="soldé", confirmation="Solder les dossiers sélectionnés ?", button="secondary"),
    # the CFA settles an expired dossier by declaring its final balance (seed 002 *dossiers échus*)
    Transition("declarer_solde", (D.ENGAGED,), D.SETTLED, "dossier.bill", "Déclarer le solde définitif",
               "declare_final_balance", notify=TELL_BILLING),
])

INVOICE = Machine("invoice", Invoice, "invoice", I, describe=lambda i: f"Facture {i.display_number}",
                  events=invoice_state_changed, transitions=[
    Transition("deposer", (I.DRAFT,), I.PROCESSING, "dossier.bill", "Déposer la facture", "submit"),
    Transition("valider", (I.PROCESSING,), I.VALIDATED, "invoice.decide", "Valider", "validate",
               notify=TELL_BILLING, done="validée (bon à payer)", button="success",
               confirmation="Valider les factures sélectionnées (bon à payer) ?"),
    Transition("mettre_en_attente", (I.PROCESSING,), I.ON_HOLD, "invoice.decide", "Mettre en attente",
               "put_on_hold", needs_reason=True, notify=TELL_BILLING, done="mise en attente", button="warning",
               needs_input=True),
    Transition("rejeter", (I.PROCESSING, I.ON_HOLD), I.REJECTED, "invoice.decide", "Rejeter", "reject",
               needs_reason=True, notify=TELL_BILLING, done="rejetée", button="danger", needs_input=True),
    Transition("reponse_cfa", (I.ON_HOLD,), I.PROCESSING, "dossier.bill", "Répondre par un document",
               "answer_hold"),
    Transition("payer", (I.VALIDATED,), I.PAID, "payment.record", "Régler", "pay"),
])

# The open states of an invoice, where the CFA may add a supplementary document (seed 004 *Déposer une pièce
# complémentaire à la facture*, right "dossier.bill"): on hold it is the answer (`reponse_cfa` above), in the
# other two the state stays. A paid or rejected invoice is closed; a draft gets its documents when it is sent.
INVOICE_SUPPLEMENT_STATES = (I.PROCESSING, I.ON_HOLD, I.VALIDATED)
INVOICE_SUPPLEMENT_PERMISSION = "dossier.bill"

CREDIT_NOTE = Machine("credit_note", CreditNote, "credit_note", C, describe=lambda c: f"Avoir {c.display_number}",
                      transitions=[
    Transition("deposer", (C.TO_ISSUE,), C.DEPOSITED, "dossier.bill", "Déposer l'avoir", "deposit"),
    Transition("rembourser", (C.TO_ISSUE, C.DEPOSITED, C.OVERDUE), C.REFUNDED, "credit_note.manage",
               "Marquer remboursé", "refund", notify=TELL_BILLING),
    Transition("imputer", (C.TO_ISSUE, C.DEPOSITED, C.OVERDUE), C.DEDUCTED, "payment.record",
               "Imputer sur un règlement", "deduct"),
    Transition("mettre_en_retard", (C.TO_ISSUE, C.DEPOSITED), C.OVERDUE, None, "Remboursement en retard",
               "mark_overdue", notify=TELL_BILLING),
])

BANK_DETAILS = Machine("bank_details", BankDetails, "bank_details", B, column="status",
                       describe=lambda b: "Vos coordonnées bancaires", transitions=[
    Transition("approuver", (B.PENDING,), B.APPROVED, "bank_details.review", "Valider le RIB", "approve",
               notify=TELL_ADMINS),
    Transition("refuser", (B.PENDING,), B.REFUSED, "bank_details.review", "Refuser le RIB", "refuse",
               needs_reason=True, notify=TELL_ADMINS),
    Transition("remplacer", (B.APPROVED,), B.REPLACED, "bank_details.review",
               "Remplacer par le RIB nouvellement validé", "replace"),
    Transition("remplacer_saisie", (B.PENDING,), B.REFUSED, "bank_details.submit",
               "Remplacer par une nouvelle saisie", "supersede", only=_own_organisation),
])

DELEGATION = Machine("delegation", Delegation, "delegation", DG, describe=lambda d: "Délégation", transitions=[
    Transition("approuver", (DG.REQUESTED,), DG.APPROVED, "delegation.decide", "Approuver", "approve",
               notify=(Notify("delegate", "organisation.admin", "delegation"),
                       Notify("delegator", "organisation.admin", "delegation"))),
    Transition("refuser", (DG.REQUESTED,), DG.REFUSED, "delegation.decide", "Refuser", "refuse", needs_reason=True,
               notify=(Notify("delegate", "organisation.admin", "delegation"),)),
    Transition("annuler", (DG.REQUESTED,), DG.ENDED, "delegation.end", "Annuler la demande", "cancel",
               only=_delegate_side, notify=(Notify("delegator", "organisation.admin", "delegation"),)),
    Transition("terminer", (DG.APPROVED,), DG.ENDED, "delegation.end", "Mettre fin à la délégation", "end",
               only=_either_side, notify=(Notify("both", "organisation.admin", "delegation"),)),
])

AMENDMENT = Machine("amendment", Amendment, "amendment", A, describe=lambda a: "Demande d'avenant", transitions=[
    Transition("accorder", (A.DEPOSITED,), A.GRANTED, "dossier.instruct", "Accorder l'avenant", "grant",
               notify=TELL_DOSSIER),
    Transition("refuser", (A.DEPOSITED,), A.REFUSED, "dossier.instruct", "Refuser l'avenant", "refuse",
               needs_reason=True, notify=TELL_DOSSIER),
])

RUPTURE = Machine("rupture", Rupture, "rupture", R, describe=lambda r: "Rupture", transitions=[
    Transition("confirmer", (R.DECLARED,), R.CONFIRMED, "dossier.instruct", "Confirmer la rupture", "confirm",
               notify=TELL_DOSSIER),
])

ORGANISATION = Machine("organisation", Organisation, "organisation", O, column="status",
                       describe=lambda o: f"Organisme {o.name}", transitions=[
    Transition("valider_inscription", (O.PENDING,), O.ACTIVE, "registration.decide", "Valider l'inscription",
               "validate_registration", notify=(Notify("organisation", "organisation.admin", "compte"),)),
    Transition("refuser_inscription", (O.PENDING,), O.REFUSED, "registration.decide", "Refuser l'inscription",
               "refuse_registration", needs_reason=True),
    Transition("desactiver", (O.PENDING, O.ACTIVE), O.INACTIVE, "organisation.manage", "Désactiver", "deactivate"),
    Transition("reactiver", (O.INACTIVE,), O.ACTIVE, "organisation.manage", "Réactiver", "reactivate"),
])

EMPLOYER = Machine("employer", Employer, "employer", E, column="status", transitions=[
    Transition("desactiver", (E.ACTIVE,), E.INACTIVE, "employer.manage", "Désactiver", "deactivate"),
    Transition("reactiver", (E.INACTIVE,), E.ACTIVE, "employer.manage", "Réactiver", "reactivate"),
])

USER = Machine("user", User, "user", USER_ACTIVITY_LABELS, column="active", transitions=[
    Transition("desactiver", (True,), False, "user.manage", "Désactiver", "deactivate", only=_same_organisation),
    Transition("reactiver", (False,), True, "user.manage", "Réactiver", "reactivate", only=_same_organisation),
])

def _api_key(scope, proposal):
    """Only a CFA's software (an API key) transmits a proposal by API; people send it from the portal."""
    return getattr(scope, "kind", None) == "api"


PROPOSAL = Machine("proposal", ContractProposal, "contract_proposal", P, describe=lambda p: "Proposition de contrat",
                   transitions=[
    Transition("envoyer", (P.DRAFT,), P.SENT, "proposal.manage", "Envoyer à l'entreprise", "send"),
    Transition("transmettre_api", (P.DRAFT,), P.FROM_API, "proposal.manage", "Transmettre par API", "send_from_api",
               only=_api_key),
    Transition("examiner", (P.SENT, P.FROM_API), P.UNDER_REVIEW, "proposal.decide", "Accepter et compléter",
               "accept", notify=(Notify("organisation", "proposal.manage", "dossier"),)),
    Transition("refuser", (P.SENT, P.UNDER_REVIEW, P.FROM_API), P.REFUSED_BY_EMPLOYER, "proposal.decide",
               "Refuser", "refuse", needs_reason=True, notify=(Notify("organisation", "proposal.manage", "dossier"),)),
    Transition("transformer", (P.UNDER_REVIEW,), P.ACCEPTED, "proposal.decide", "Valider (créer le dossier)",
               "convert_to_dossier", notify=(Notify("organisation", "proposal.manage", "dossier"),)),
    # under the employer's management mandate (declared with its attestation) the CFA deposits it itself
    Transition("transmettre_mandat", (P.DRAFT, P.SENT), P.ACCEPTED, "proposal.manage",
               "Transmettre à l'OPCO (mandat de l'employeur)", "convert_to_dossier_under_mandate",
               notify=(Notify("organisation", "proposal.manage", "dossier"),)),
])

MACHINES = {m.name: m for m in (DOSSIER, INVOICE, CREDIT_NOTE, BANK_DETAILS, DELEGATION, AMENDMENT, RUPTURE,
                                ORGANISATION, EMPLOYER, USER, PROPOSAL)}
BY_MODEL = {m.model: m for m in MACHINES.values()}


def machine_of(obj):
    """The machine of a record (by its model), or None."""
    return BY_MODEL.get(type(obj))
