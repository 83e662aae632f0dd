"""Credit notes in the portal (/portail/organisation/avoirs): settlement mode, list, pro forma, CFA's avoir.

The list follows the dossiers the user may see (access.scope); the settlement mode belongs to the
current organisation and is changed only by its admin OF or a user with a billing right.
"""
import datetime as dt

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from access import scope as scoped
from access.permissions import can
from access.web import current_organisation, current_scope, get_credit_note_or_404, require
from forms.billing import AvoirUploadForm, SettlementModeForm
from models import CreditNote, Dossier, Organisation
from workflows import audit
from workflows import credit_notes as credit_service
from workflows.documents import DocumentError, store_upload
from views.downloads import attachment_response
from infrastructure.numbering import immediate_transaction
from infrastructure.pdf import render_pdf
from views.portal import bp


def _page(mode_form, upload_form=None, error=None, status=200):
    organisation = current_organisation()
    notes = []
    if can(current_scope(), "dossier.bill"):
        notes = list(scoped.credit_notes(current_scope(), CreditNote.select(CreditNote, Dossier).join(Dossier))
                     .order_by(CreditNote.number.desc()))
    html = render_template("portal/billing/credit_notes.html", organisation=organisation, mode_form=mode_form,
                           upload_form=upload_form or AvoirUploadForm(), notes=notes, error=error,
                           opco_iban=current_app.config["OPCO_IBAN"], opco_bic=current_app.config["OPCO_BIC"],
                           opco_name=current_app.config["OPCO_NAME"], states=dict(CreditNote.state.choices), reasons=dict(CreditNote.reason.choices))
    return make_response(html, status)


@bp.route("/organisation/avoirs", methods=("GET", "POST"))
@require("billing_settings.manage")
def credit_notes():
    organisation = current_organisation()
    form = SettlementModeForm()
    if not form.is_submitted():
        form.mode.data = organisation.credit_note_mode
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    with immediate_transaction():
        org = Organisation.get_by_id(organisation.id)
        before = {"credit_note_mode": org.credit_note_mode}
        if org.credit_note_mode != form.mode.data:
            org.credit_note_mode = form.mode.data
            org.save(only=[Organisation.credit_note_mode])
            audit.record("organisation", org.id, "change_credit_note_mode", before, {"credit_note_mode": org.credit_note_mode},
                         user=current_user._get_current_object())
    flash("Mode de règlement des avoirs enregistré : il s'applique aux prochains avoirs.", "success")
    return redirect(url_for("portal.credit_notes"))


@bp.route("/avoirs/<int:number>/pro-forma.pdf")
@require("dossier.bill")
def credit_note_pro_forma(number):
    note = get_credit_note_or_404(number)
    data = render_pdf("pdf/credit_note.html", note=note, organisation=note.organisation, dossier=note.dossier,
                      opco_name=current_app.config["OPCO_NAME"], opco_iban=current_app.config["OPCO_IBAN"],
                      opco_bic=current_app.config["OPCO_BIC"], generated_at=dt.datetime.now())
    return attachment_response(data, f"{note.display_number}.pdf")


@bp.route("/avoirs/<int:number>/avoir", methods=("POST",))
@require("dossier.bill")
def credit_note_upload(number):
    note = get_credit_note_or_404(number)
    if not can(current_scope(), "dossier.bill", note.dossier):
        abort(403)
    form = AvoirUploadForm()
    mode_form = SettlementModeForm(formdata=None, mode=current_organisation().credit_note_mode)
    if not form.validate_on_submit():
        return _page(mode_form, form, error="Le formulaire a expiré : rechargez la page.", status=400)
    try:
        with immediate_transaction():
            document = store_upload(form.avoir.data, note.organisation, "avoir", dossier=note.dossier,
                                    credit_note=note, user=current_user._get_current_object(), label="L'avoir")
            credit_service.deposit_avoir(note, document, user=current_user._get_current_object())
    except (DocumentError, credit_service.CreditNoteError) as exc:
        return _page(mode_form, form, error=str(exc), status=getattr(exc, "status", 400))
    flash(f"Avoir déposé pour {note.display_number}.", "success")
    return redirect(url_for("portal.credit_notes"))


def portal_credit_note_actions(organisation_ids):
    """For the portal dashboard's *actions à mener*: (refunds to issue, overdue refunds) of these organisations."""
    return (list(credit_service.refunds_to_issue(organisation_ids)),
            list(credit_service.overdue_credit_notes(organisation_ids)))

