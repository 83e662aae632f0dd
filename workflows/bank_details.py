"""Bank details (RIB) of an organisation: entry by the CFA, approval by the OPCO (SPEC §4, seed 003).

Every entry is a new row (the history is kept); it is `pending` until a comptable or an admin
other than the person who entered it approves or refuses it. Payments only ever go to the
latest approved row. No change while one of the organisation's invoices is being processed.
When a new RIB is approved, the one approved before becomes `replaced` (with the date), through the
`remplacer` transition of workflows/state_machines.py, audited in the approval's transaction.
"""

from models import BankDetails, Invoice, now
from models.states import BankDetailsStatus, InvoiceState
from rules.identifiers import check_bic, check_iban, mask_iban, normalize_bic, normalize_iban
from workflows import audit
from infrastructure.numbering import immediate_transaction
from workflows.state_machines import BANK_DETAILS
from workflows.transitions import TransitionRefused, apply, permitted

REPLACEMENT = BANK_DETAILS
B = BankDetailsStatus


class BankDetailsError(ValueError):
    """A refused entry or review; the French message is shown as is."""


def history(organisation):
    return list(BankDetails.select().where(BankDetails.organisation == organisation)
                .order_by(BankDetails.entered_at.desc(), BankDetails.id.desc()))


def approved_bank_details(organisation):
    """The bank details payments go to: the most recently approved entry, or None."""
    return (BankDetails.select()
            .where((BankDetails.organisation == organisation) & (BankDetails.status == B.APPROVED))
            .order_by(BankDetails.reviewed_at.desc(), BankDetails.id.desc()).first())


def change_blocked_reason(organisation):
    """Why the bank details cannot change now (an invoice being processed), or None."""
    busy = (Invoice.select(Invoice.number).where((Invoice.organisation == organisation)
                                                 & (Invoice.state == InvoiceState.PROCESSING)).first())
    if busy:
        return (f"Les coordonnées bancaires ne peuvent pas être modifiées tant qu'une facture est en cours de "
                f"traitement (facture {busy.display_number}). Réessayez une fois la facture traitée.")
    return None


def check_entry(iban, bic, holder):
    """French messages per field, empty when the entry is valid."""
    errors = {}
    message = check_iban(iban)
    if message:
        errors["iban"] = message
    message = check_bic(bic)
    if message:
        errors["bic"] = message
    if not (holder or "").strip():
        errors["holder"] = "Le titulaire du compte est obligatoire."
    return errors


def submit(organisation, iban, bic, holder, third_party=False, user=None, rib_upload=None):
    """Record new bank details (pending approval), with the RIB PDF; the previous pending entry is superseded.

    `rib_upload` is a werkzeug FileStorage checked by workflows.documents (PDF only).
    """
    errors = check_entry(iban, bic, holder)
    if errors:
        raise BankDetailsError(" ".join(errors.values()))
    from workflows.documents import store_upload

    with immediate_transaction():
        blocked = change_blocked_reason(organisation)
        if blocked:
            raise BankDetailsError(blocked)
        for old in BankDetails.select().where((BankDetails.organisation == organisation)
                                              & (BankDetails.status == B.PENDING)):
            try:
                apply(BANK_DETAILS, "remplacer_saisie", old, user,
                      changes={"refusal_reason": "Remplacé par une nouvelle saisie du CFA.", "reviewed_at": now()})
            except TransitionRefused as exc:
                raise BankDetailsError(f"Saisie refusée : {exc}.") from None
        details = BankDetails.create(organisation=organisation, iban=normalize_iban(iban), bic=normalize_bic(bic),
                                     holder=holder.strip(), third_party=bool(third_party),
                                     entered_by=user.id if user else None)
        if rib_upload is not None:
            store_upload(rib_upload, organisation, "rib", user=user, label="Le RIB", bank_details=details)
        audit.record("bank_details", details.id, "create", None, details, user=user)
    return details


def _review(details, user, name, reason=""):
    if user is None or not permitted(BANK_DETAILS.transitions[name], user, None):
        raise BankDetailsError("Seul un comptable ou un administrateur de l'OPCO peut examiner un RIB.")
    with immediate_transaction():
        details = BankDetails.get_by_id(details.id)
        if details.entered_by_id == user.id:
            raise BankDetailsError("Vous avez saisi ce RIB : un autre comptable doit le valider.")
        if name == "approuver":
            notice = f"Vos coordonnées bancaires ({mask_iban(details.iban)}) ont été validées par l'OPCO."
        else:
            notice = f"Vos coordonnées bancaires ({mask_iban(details.iban)}) ont été refusées : {reason}"
        try:
            details = apply(BANK_DETAILS, name, details, user, reason=reason, notice=notice,
                            changes={"refusal_reason": reason, "reviewed_by": user.id, "reviewed_at": now()},
                            within=lambda row: _replace_previous(row, user) if name == "approuver" else None)
        except TransitionRefused as exc:
            current = BankDetails.get_by_id(details.id)
            if current.status == B.PENDING:
                raise BankDetailsError(str(exc)) from None
            raise BankDetailsError(f"Ce RIB a déjà été examiné ({current.get_status_display().lower()}).") from None
    return details


def _replace_previous(details, user):
    """The RIB approved before `details` is replaced by it (call inside the approval's transaction)."""
    previous = (BankDetails.select().where((BankDetails.organisation == details.organisation_id)
                                           & (BankDetails.status == B.APPROVED) & (BankDetails.id != details.id)))
    for old in previous:
        apply(BANK_DETAILS, "remplacer", old, user, changes={"replaced_at": details.reviewed_at},
              note=f"remplacé par le RIB {mask_iban(details.iban)}")


def approve(details, user):
    return _review(details, user, "approuver")


def refuse(details, reason, user):
    reason = (reason or "").strip()
    if not reason:
        raise BankDetailsError("Le motif du refus est obligatoire : il est affiché au CFA.")
    return _review(details, user, "refuser", reason)
