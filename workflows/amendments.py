"""Amendment (*avenant*) of an engaged contract: new end date and/or NPEC and/or training (SPEC §4).

From the portal an amendment is a *request* (`deposee`): the signed avenant and the previewed effect,
nothing about money changes. A conseiller agrees (`accordee`: schedule recomputed, new installments or
a credit note, letter) or refuses it with a reason (`refusee`). Staff may record an amendment directly:
deposited and agreed in one transaction.

The preview, the deposit and the agreement share `amendment_preview` (rules.amend from the stored
dossier and payments); the agreement re-runs it inside the transaction from the dossier as it is then,
so nothing posted back by the browser, nor figures computed at the deposit, are trusted.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import rules
from models import Amendment, Dossier, Installment
from models.states import AmendmentState, RuptureState
from workflows import audit
from workflows.dossier_rules import contract_from_dossier, stored_installments
from infrastructure.formatting import date_fr, montant
from workflows.ruptures import (RuptureError, apply_schedule, check_engaged, check_no_pending_invoice, credited_on,
                               paid_on, plan_schedule, transaction_with_files)
from workflows.state_machines import AMENDMENT
from workflows.transitions import TransitionRefused, apply

AMENDMENT_MACHINE = AMENDMENT
MAX_TEXT = 2000


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

    @property
    def training(self):
        """(title, RNCP code) of the training after the amendment."""
        return (self.inputs["new_training"] or self.dossier.diploma_title,
                self.inputs["new_rncp_code"] or self.dossier.rncp_code)


def pending_amendment(dossier):
    """The amendment request deposited on `dossier` and not decided yet (or None)."""
    return (Amendment.select().where((Amendment.dossier == dossier.id) & (Amendment.state == AmendmentState.DEPOSITED))
            .order_by(Amendment.id).first())


def amendment_preview(dossier, new_end=None, new_npec=None, reason="", new_training="", new_rncp_code="",
                      pending=None, settling=True):
    """Validate the amendment and compute the new financing, without writing anything.

    `pending` is the request being decided: it does not stand in its own way.
    """
    check_engaged(dossier)
    waiting = pending_amendment(dossier)
    if waiting is not None and (pending is None or waiting.id != pending.id):
        raise AmendmentError(f"Une demande d'avenant déposée le {date_fr(waiting.created_at.date())} attend "
                             "la décision de l'OPCO sur ce dossier.")
    new_training = (new_training or "").strip()
    new_rncp_code = (new_rncp_code or "").strip()
    if new_end is None and new_npec is None and not new_training and not new_rncp_code:
        raise AmendmentError("Indiquez une nouvelle date de fin et/ou un nouveau NPEC et/ou une nouvelle formation.")
    if new_end is not None and new_end <= dossier.contract_start:
        raise AmendmentError(f"La nouvelle date de fin ({date_fr(new_end)}) doit suivre le début du contrat "
                             f"({date_fr(dossier.contract_start)}).")
    if new_npec is not None and Decimal(new_npec) <= 0:
        raise AmendmentError("Le NPEC doit être un montant positif.")
    same_end = new_end is None or new_end == dossier.contract_end
    same_npec = new_npec is None or Decimal(new_npec) == Decimal(dossier.npec)
    same_training = new_training in ("", dossier.diploma_title) and new_rncp_code in ("", dossier.rncp_code)
    if same_end and same_npec and same_training:
        raise AmendmentError("L'avenant ne change ni la date de fin, ni le NPEC, ni la formation du contrat.")
    if settling:
        check_no_pending_invoice(dossier)
    paid, credited = paid_on(dossier), credited_on(dossier)
    try:
        result = rules.amend(contract_from_dossier(dossier), new_end=new_end,
                             new_npec=Decimal(new_npec) if new_npec is not None else None, paid=paid - credited)
    except ValueError as exc:
        raise AmendmentError(f"Avenant impossible : {exc}.") from None
    current = stored_installments(dossier)
    to_cancel, new_rows = plan_schedule(current, result.financing.installments, credited)
    inputs = dict(new_end=new_end, new_npec=Decimal(new_npec) if new_npec is not None else None, reason=reason,
                  new_training=new_training, new_rncp_code=new_rncp_code)
    return AmendmentPreview(dossier, inputs, paid, credited, result, current, new_rows, to_cancel)


def request_preview(amendment):
    """The preview of a deposited request, recomputed now from what the CFA asked (a value equal to the
    contract's at the deposit means "unchanged")."""
    dossier = Dossier.get_by_id(amendment.dossier_id)
    return amendment_preview(
        dossier,
        new_end=amendment.new_end if amendment.new_end != amendment.old_end else None,
        new_npec=amendment.new_npec if amendment.new_npec != amendment.old_npec else None,
        new_training=amendment.new_training if amendment.new_training != amendment.old_training else "",
        new_rncp_code=amendment.new_rncp_code if amendment.new_rncp_code != amendment.old_rncp_code else "",
        reason=amendment.reason, pending=amendment)


def _require_reason(reason):
    if not (reason or "").strip():
        raise AmendmentError("Indiquez l'objet de l'avenant.")
    if len(reason.strip()) > MAX_TEXT:
        raise AmendmentError(f"L'objet de l'avenant dépasse {MAX_TEXT} caractères.")


def _deposit(preview, name, data, user, stored_files):
    """Store the signed avenant and create the `deposee` request (inside the caller's transaction)."""
    from workflows.documents import save_document

    dossier = preview.dossier
    document = save_document(name, data, dossier.organisation_id, "avenant", dossier=dossier.id, user=user)
    stored_files.append(document.stored_name)
    return record_request(preview, user, document)


def record_request(preview, user, document=None):
    """Create the `deposee` request of `preview` (inside the caller's transaction); portal and demo deposits
    go through `deposit_amendment`, which requires the signed PDF."""
    dossier, inputs = preview.dossier, preview.inputs
    title, rncp = preview.training
    amendment = Amendment.create(
        dossier=dossier.id, old_end=dossier.contract_end, new_end=preview.result.contract.end,
        old_npec=dossier.npec, new_npec=preview.result.contract.npec, old_training=dossier.diploma_title,
        new_training=title, old_rncp_code=dossier.rncp_code, new_rncp_code=rncp,
        difference=preview.result.difference, reason=inputs["reason"].strip(),
        document_id=document.id if document else None,
        declared_by=user.id if user else None)
    audit.record("amendment", amendment.id, "create", None, amendment, user=user,
                 note=f"avenant déposé : écart prévu {montant(preview.result.difference)}")
    return amendment


def _signed_avenant(reason, file_storage):
    """Check the object and read the signed avenant (name, bytes) before any transaction starts."""
    from workflows.documents import read_pdf_upload

    _require_reason(reason)
    return read_pdf_upload(file_storage, label="L'avenant signé (PDF)")


def deposit_amendment(dossier, new_end, new_npec, reason, file_storage, user=None, new_training="",
                      new_rncp_code=""):
    """The CFA deposits an amendment request with the signed PDF: one `deposee` row, no money moves."""
    name, data = _signed_avenant(reason, file_storage)
    with transaction_with_files() as stored_files:
        dossier = Dossier.get_by_id(dossier.id)
        preview = amendment_preview(dossier, new_end, new_npec, reason, new_training, new_rncp_code,
                                     settling=False)
        amendment = _deposit(preview, name, data, user, stored_files)
    return amendment


def agree_amendment(amendment, user):
    """A conseiller agrees to a deposited request: the transition, then schedule, credit note and letter."""
    with transaction_with_files() as stored_files:
        amendment = Amendment.get_or_none(Amendment.id == amendment.id)
        if amendment is None:
            raise TransitionRefused("demande d'avenant introuvable")
        preview = request_preview(amendment)
        amendment, credit_note, letter = _agree(preview, amendment, user, stored_files)
    return amendment, credit_note, letter


def refuse_amendment(amendment, user, reason):
    """A conseiller refuses a deposited request with a reason; the CFA is notified. Nothing else moves."""
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT:
        raise TransitionRefused(f"le motif dépasse {MAX_TEXT} caractères")

    def notice(row):
        return f"Demande d'avenant du dossier {Dossier.get_by_id(row.dossier_id).number} refusée par l'OPCO : {reason}"

    return apply(AMENDMENT, "refuser", amendment, user, reason=reason, notice=notice, changes=dict(
        refusal_reason=reason, decided_by=user.id if user else None,
        decided_at=dt.datetime.now().replace(microsecond=0)))


def confirm_amendment(dossier, new_end, new_npec, reason, file_storage, user=None, new_training="",
                      new_rncp_code=""):
    """Staff record an amendment directly: deposited and agreed in one transaction (`accordee` at once)."""
    name, data = _signed_avenant(reason, file_storage)
    with transaction_with_files() as stored_files:
        dossier = Dossier.get_by_id(dossier.id)
        preview = amendment_preview(dossier, new_end, new_npec, reason, new_training, new_rncp_code)
        amendment = _deposit(preview, name, data, user, stored_files)
        amendment, credit_note, letter = _agree(preview, amendment, user, stored_files)
    return amendment, credit_note, letter


def _agree(preview, amendment, user, stored_files):
    """Agree `amendment` and apply `preview` to the dossier (inside the caller's transaction)."""
    from workflows.credit_notes import create_credit_note
    from workflows.letters import issue_letter

    dossier, result = preview.dossier, preview.result
    title, rncp = preview.training
    done = {}

    def then(amendment):
        """Schedule, dossier, credit note and letter, in the agreement's transaction."""
        before = audit.snapshot(dossier)
        apply_schedule(dossier, preview.cancelled_rows, preview.new_rows)
        dossier.contract_end = result.contract.end
        dossier.npec = result.contract.npec
        dossier.diploma_title, dossier.rncp_code = title, rncp
        dossier.total_financed = result.financing.total
        dossier.employer_share = result.financing.employer_share
        dossier.updated_at = dt.datetime.now()
        dossier.save()
        audit.record("dossier", dossier.id, "record_amendment", before, dossier, user=user,
                     note=f"avenant : écart {montant(result.difference)}")
        credit_note = None
        if result.credit_note > 0 and not dossier.is_stock:
            credit_note = create_credit_note(dossier, result.credit_note, "amendment", user=user)
        done["credit_note"] = credit_note
        done["letter"] = issue_letter(dossier, "avenant", dict(
            amendment=amendment, result=result, paid=preview.paid, credit_note=credit_note,
            new_rows=preview.new_rows, kind_labels=dict(Installment.kind.choices)),
            user=user, stored_files=stored_files)

    amendment = apply(AMENDMENT, "accorder", amendment, user, within=then,
                      notice=lambda row: _agreed_notice(preview, done.get("credit_note")), changes=dict(
        old_end=dossier.contract_end, new_end=result.contract.end, old_npec=dossier.npec,
        new_npec=result.contract.npec, old_training=dossier.diploma_title, new_training=title,
        old_rncp_code=dossier.rncp_code, new_rncp_code=rncp, difference=result.difference,
        decided_by=user.id if user else None, decided_at=dt.datetime.now().replace(microsecond=0)))
    return amendment, done["credit_note"], done["letter"]


def _agreed_notice(preview, credit_note):
    dossier = preview.dossier
    return (f"Avenant du dossier {dossier.number} accordé : écart {montant(preview.result.difference)}, "
            "échéancier recalculé"
            + (f", avoir {credit_note.display_number} de {montant(credit_note.amount)}." if credit_note else "."))


def dossier_requests(dossier):
    """The ruptures and amendments of a dossier, newest first, with their state labels (dossier pages)."""
    from models import Rupture
    from workflows.state_machines import RUPTURE

    rows = []
    for rupture in Rupture.select().where(Rupture.dossier == dossier.id):
        rows.append(dict(kind="rupture", id=rupture.id, created_at=rupture.created_at, state=rupture.state,
                         label=f"Rupture au {date_fr(rupture.date)}", detail=rupture.reason,
                         state_label=RUPTURE.label(rupture.state), waiting=rupture.state == RuptureState.DECLARED))
    for amendment in Amendment.select().where(Amendment.dossier == dossier.id):
        changes = []
        if amendment.new_end != amendment.old_end:
            changes.append(f"fin au {date_fr(amendment.new_end)}")
        if amendment.new_npec != amendment.old_npec:
            changes.append(f"NPEC {montant(amendment.new_npec)}")
        if (amendment.new_training, amendment.new_rncp_code) != (amendment.old_training, amendment.old_rncp_code):
            changes.append(f"formation {amendment.new_training} ({amendment.new_rncp_code})")
        detail = amendment.reason + (f" — motif du refus : {amendment.refusal_reason}" if amendment.refusal_reason
                                     else "")
        rows.append(dict(kind="amendment", id=amendment.id, created_at=amendment.created_at, state=amendment.state,
                         label="Avenant : " + ", ".join(changes or ["sans changement"]), detail=detail,
                         state_label=AMENDMENT.label(amendment.state),
                         waiting=amendment.state == AmendmentState.DEPOSITED))
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)
