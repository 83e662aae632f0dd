"""Bank details of the current organisation (/portail/organisation/banque, seed 003 *3.3*).

Only the admin OF or a user with a billing right sees and changes them; a change is a new entry
pending the OPCO's approval (the history stays), refused while an invoice is being processed.
Each entry's RIB file is downloadable again by the same users, for the organisation picked in the header only
(an organisation delegating its contracts keeps its RIB to itself).
"""
from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from access.web import current_organisation, first_or_404, int_or_404, require
from forms.billing import BankDetailsForm
from models import BankDetails, Document
from rules.identifiers import mask_iban
from workflows import bank_details as bank_service
from workflows.documents import DocumentError, is_provided
from views.downloads import document_response
from views.portal import bp


@bp.route("/organisation/banque", methods=("GET", "POST"))
@require("billing_settings.manage")
def bank_details():
    organisation = current_organisation()
    form = BankDetailsForm()
    error, status = None, 400
    blocked = bank_service.change_blocked_reason(organisation)
    if form.validate_on_submit():
        if blocked:
            error = blocked
        elif not is_provided(form.rib.data):
            form.rib.errors = ["Joignez le RIB au format PDF."]
        else:
            try:
                bank_service.submit(organisation, form.iban.data, form.bic.data, form.holder.data,
                                    third_party=form.third_party.data == "1",
                                    user=current_user._get_current_object(), rib_upload=form.rib.data)
            except (bank_service.BankDetailsError, DocumentError) as exc:
                error = str(exc)
                status = getattr(exc, "status", 400)
            else:
                flash("Coordonnées bancaires enregistrées : elles seront utilisées pour vos règlements une fois "
                      "validées par l'OPCO.", "success")
                return redirect(url_for("portal.bank_details"))
    history = bank_service.history(organisation)
    html = render_template("portal/billing/bank.html", form=form, organisation=organisation, error=error,
                           blocked=blocked, history=history, rib_files=_rib_files(organisation, history),
                           approved=bank_service.approved_bank_details(organisation), mask_iban=mask_iban)
    if form.is_submitted():
        return make_response(html, status)
    return html


def _rib_files(organisation, history):
    """{bank details id: its RIB document}, in one query."""
    ids = [b.id for b in history]
    if not ids:
        return {}
    query = (Document.select().where((Document.organisation == organisation.id) & (Document.doc_type == "rib")
                                     & Document.bank_details.in_(ids)).order_by(Document.id))
    return {d.bank_details_id: d for d in query}


@bp.route("/organisation/banque/<int:bank_details_id>/rib")
@require("billing_settings.manage")
def bank_details_rib(bank_details_id):
    """The RIB file of one of the current organisation's bank details entries, logged; 404 for anything else."""
    organisation = current_organisation()
    details = first_or_404(BankDetails.select().where((BankDetails.id == int_or_404(bank_details_id))
                                                      & (BankDetails.organisation == organisation.id)))
    document = first_or_404(Document.select().where((Document.bank_details == details.id)
                                                    & (Document.organisation == organisation.id)
                                                    & (Document.doc_type == "rib")).order_by(Document.id.desc()))
    return document_response(document)
