"""Amendment (*avenant*) of an engaged contract: new end date and/or NPEC, preview then confirmation.

Preview and confirmation share `amendment_preview` (rules.amend from the stored dossier and payments);
the confirmation re-runs it inside the transaction, so nothing posted back by the browser is trusted.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import rules
from models import Amendment, Dossier, Installment
from services import audit
from services.dossier_rules import contract_from_dossier, stored_installments
from services.formatting import date_fr, montant
from services.numbering import immediate_transaction
from services.ruptures import (RuptureError, _forget_files, apply_schedule, check_engaged, check_no_pending_invoice,
                               credited_on, paid_on, plan_schedule)


class AmendmentError(RuptureError):
    """An amendment refused for a reason the user can fix (French message)."""


@dataclass
class AmendmentPreview:
    dossier: Dossier
    inputs: dict
    paid: Decimal
    credited: Decimal
    result: rules.AmendmentResult
    current: list
    new_rows: list
    cancelled_rows: list


def amendment_preview(dossier, new_end=None, new_npec=None, reason=""):
    """Validate the amendment and compute the new financing, without writing anything."""
    check_engaged(dossier)
    if new_end is None and new_npec is None:
        raise AmendmentError("Indiquez une nouvelle date de fin et/ou un nouveau NPEC.")
    if new_end is not None and new_end <= dossier.contract_start:
        raise AmendmentError(f"La nouvelle date de fin ({date_fr(new_end)}) doit suivre le début du contrat "
                             f"({date_fr(dossier.contract_start)}).")
    if new_npec is not None and Decimal(new_npec) <= 0:
        raise AmendmentError("Le NPEC doit être un montant positif.")
    same_end = new_end is None or new_end == dossier.contract_end
    same_npec = new_npec is None or Decimal(new_npec) == Decimal(dossier.npec)
    if same_end and same_npec:
        raise AmendmentError("L'avenant ne change ni la date de fin ni le NPEC du contrat.")
    check_no_pending_invoice(dossier)
    paid, credited = paid_on(dossier), credited_on(dossier)
    try:
        result = rules.amend(contract_from_dossier(dossier), new_end=new_end,
                             new_npec=Decimal(new_npec) if new_npec is not None else None, paid=paid - credited)
    except ValueError as exc:
        raise AmendmentError(f"Avenant impossible : {exc}.") from None
    current = stored_installments(dossier)
    to_cancel, new_rows = plan_schedule(current, result.financing.installments, credited)
    inputs = dict(new_end=new_end, new_npec=Decimal(new_npec) if new_npec is not None else None, reason=reason)
    return AmendmentPreview(dossier, inputs, paid, credited, result, current, new_rows, to_cancel)


def confirm_amendment(dossier, new_end, new_npec, reason, file_storage, user=None):
    """Store the amendment PDF, recompute the schedule, credit note if overpaid, letter and audit — atomically."""
    from services.credit_notes import create_credit_note
    from services.documents import read_pdf_upload, save_document
    from services.letters import issue_letter

    if not (reason or "").strip():
        raise AmendmentError("Indiquez l'objet de l'avenant.")
    name, data = read_pdf_upload(file_storage, label="L'avenant signé (PDF)")
    stored_files = []
    try:
        with immediate_transaction():
            dossier = Dossier.get_by_id(dossier.id)
            preview = amendment_preview(dossier, new_end, new_npec, reason)
            result = preview.result
            before = audit.snapshot(dossier)
            document = save_document(name, data, dossier.organisation_id, "avenant", dossier=dossier.id, user=user)
            stored_files.append(document.stored_name)
            apply_schedule(dossier, preview.cancelled_rows, preview.new_rows)
            old_end, old_npec = dossier.contract_end, dossier.npec
            dossier.contract_end = result.contract.end
            dossier.npec = result.contract.npec
            dossier.total_financed = result.financing.total
            dossier.employer_share = result.financing.employer_share
            dossier.updated_at = dt.datetime.now()
            dossier.save()
            amendment = Amendment.create(dossier=dossier.id, old_end=old_end, new_end=dossier.contract_end,
                                         old_npec=old_npec, new_npec=dossier.npec, difference=result.difference,
                                         reason=reason.strip(), declared_by=user.id if user else None)
            audit.record("Dossier", dossier.id, "avenant", before, dossier, user=user,
                         note=f"avenant : écart {montant(result.difference)}")
            audit.record("Amendment", amendment.id, "create", None, amendment, user=user)
            credit_note = None
            if result.credit_note > 0 and not dossier.is_stock:
                credit_note = create_credit_note(dossier, result.credit_note, "amendment", user=user)
            letter = issue_letter(dossier, "avenant", dict(
                amendment=amendment, result=result, paid=preview.paid, credit_note=credit_note,
                new_rows=preview.new_rows, kind_labels=dict(Installment.kind.choices)),
                user=user, stored_files=stored_files)
    except Exception:
        _forget_files(stored_files)
        raise
    return amendment, credit_note, letter
