"""Bank details (RIB) of an organisation: entry by the CFA, approval by the OPCO (SPEC §4, seed 003).

Every entry is a new row (the history is kept); it is `pending` until a comptable or an admin
other than the person who entered it approves or refuses it. Payments only ever go to the
latest approved row. No change while one of the organisation's invoices is being processed.
When a new RIB is approved, the one approved before becomes `replaced` (with the date), through the
`REPLACEMENT` transition below, audited in the approval's transaction.
"""
from models import BankDetails, Invoice, now
from models.bank_details import BANK_STATUSES
from rules.identifiers import check_bic, check_iban, mask_iban, normalize_bic, normalize_iban
from services import audit
from services.notify import notify_organisation
from services.numbering import immediate_transaction
from services.transitions import Machine, Transition, apply

REVIEWER_ROLES = {"comptable", "admin"}


def _is_reviewer(actor, obj=None):
    return getattr(actor, "kind", None) == "staff" and getattr(actor, "staff_role", None) in REVIEWER_ROLES


REPLACEMENT = Machine(BankDetails, "BankDetails", dict(BANK_STATUSES), column="status", transitions=[
    Transition("remplacer", ("approved",), "replaced", "Remplacer par le RIB nouvellement validé",
               audit_action="replaced", permission=_is_reviewer),
])


class BankDetailsError(ValueError):
    """A refused entry or review; the French message is shown as is."""


def history(organisation):
    return list(BankDetails.select().where(BankDetails.organisation == organisation)
                .order_by(BankDetails.entered_at.desc(), BankDetails.id.desc()))


def approved_bank_details(organisation):
    """The bank details payments go to: the most recently approved entry, or None."""
    return (BankDetails.select()
            .where((BankDetails.organisation == organisation) & (BankDetails.status == "approved"))
            .order_by(BankDetails.reviewed_at.desc(), BankDetails.id.desc()).first())


def change_blocked_reason(organisation):
    """Why the bank details cannot change now (an invoice being processed), or None."""
    busy = (Invoice.select(Invoice.number).where((Invoice.organisation == organisation)
                                                 & (Invoice.state == "en_traitement")).first())
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

    `rib_upload` is a werkzeug FileStorage checked by services.documents (PDF only).
    """
    errors = check_entry(iban, bic, holder)
    if errors:
        raise BankDetailsError(" ".join(errors.values()))
    from services.documents import store_upload

    with immediate_transaction():
        blocked = change_blocked_reason(organisation)
        if blocked:
            raise BankDetailsError(blocked)
        for old in BankDetails.select().where((BankDetails.organisation == organisation)
                                              & (BankDetails.status == "pending")):
            before = audit.snapshot(old)
            old.status = "refused"
            old.refusal_reason = "Remplacé par une nouvelle saisie du CFA."
            old.reviewed_at = now()
            old.save()
            audit.record("BankDetails", old.id, "superseded", before, old, user=user)
        details = BankDetails.create(organisation=organisation, iban=normalize_iban(iban), bic=normalize_bic(bic),
                                     holder=holder.strip(), third_party=bool(third_party),
                                     entered_by=user.id if user else None)
        if rib_upload is not None:
            store_upload(rib_upload, organisation, "rib", user=user, label="Le RIB", bank_details=details)
        audit.record("BankDetails", details.id, "create", None, details, user=user)
    return details


def _review(details, user, status, reason=""):
    if user is None or not _is_reviewer(user):
        raise BankDetailsError("Seul un comptable ou un administrateur de l'OPCO peut examiner un RIB.")
    with immediate_transaction():
        details = BankDetails.get_by_id(details.id)
        if details.entered_by_id == user.id:
            raise BankDetailsError("Vous avez saisi ce RIB : un autre comptable doit le valider.")
        before = audit.snapshot(details)
        updated = (BankDetails.update(status=status, refusal_reason=reason, reviewed_by=user.id,
                                      reviewed_at=now())
                   .where((BankDetails.id == details.id) & (BankDetails.status == "pending")).execute())
        if not updated:
            raise BankDetailsError(f"Ce RIB a déjà été examiné ({details.get_status_display().lower()}).")
        details = BankDetails.get_by_id(details.id)
        audit.record("BankDetails", details.id, "approve" if status == "approved" else "refuse", before, details,
                     user=user, note=reason)
        if status == "approved":
            _replace_previous(details, user)
            message = f"Vos coordonnées bancaires ({mask_iban(details.iban)}) ont été validées par l'OPCO."
        else:
            message = f"Vos coordonnées bancaires ({mask_iban(details.iban)}) ont été refusées : {reason}"
        notify_organisation(details.organisation, message, category="billing")
    return details


def _replace_previous(details, user):
    """The RIB approved before `details` is replaced by it (call inside the approval's transaction)."""
    previous = (BankDetails.select().where((BankDetails.organisation == details.organisation_id)
                                           & (BankDetails.status == "approved") & (BankDetails.id != details.id)))
    for old in previous:
        apply(REPLACEMENT, "remplacer", old, user, changes={"replaced_at": details.reviewed_at},
              note=f"remplacé par le RIB {mask_iban(details.iban)}")


def approve(details, user):
    return _review(details, user, "approved")


def refuse(details, reason, user):
    reason = (reason or "").strip()
    if not reason:
        raise BankDetailsError("Le motif du refus est obligatoire : il est affiché au CFA.")
    return _review(details, user, "refused", reason)
