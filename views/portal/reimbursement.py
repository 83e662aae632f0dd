"""Demande de remboursement (seed 001) on one engaged, subrogated dossier, then its receipt."""
import re
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from access import scope as scoped
from access.permissions import can
from access.web import cfa_required, current_organisation, current_scope, get_dossier_or_404
import rules
from forms.portal import MAX_SUPPORTING_FILES, ReimbursementForm
from infrastructure import clock
from models import Invoice
from models.states import DossierState
from workflows.delegations import DelegationError
from workflows.documents import DocumentError, DocumentTooLarge, is_provided, read_pdf_upload, read_pdf_uploads
from workflows.dossier_rules import stored_installments
from workflows.reimbursement import RequestData, RequestRefused, certificate_needed, check, submit
from views.portal import bp

RHYTHMS = {
    "stock": ("Reprise de stock (contrats signés jusqu'au 31/08/2019)",
              ["50 % du coût annuel facturable à partir du 01/01/2020",
               "puis 25 % du coût annuel tous les 3 mois à partir du 01/07/2020, jusqu'au total proratisé",
               "le reste dû est facturable à la fin du contrat"]),
    "2019": ("Contrats conclus du 01/09/2019 au 30/12/2020",
             ["50 % du coût annuel + frais annexes exposés le 1er mois", "25 % au 7e mois",
              "le solde au 10e mois ; répétition de ce schéma chaque année",
              "contrat de moins d'un an : 50 % au 1er mois, le solde à la fin du contrat"]),
    "2021": ("Contrats conclus du 31/12/2020 au 30/06/2025",
             ["40 % du coût annuel + frais annexes exposés le 1er mois", "30 % au 7e mois",
              "le solde au 10e mois ; répétition de ce schéma chaque année",
              "contrat de moins d'un an : 50 % au 1er mois, le solde à la fin du contrat"]),
    "2025": ("Contrats conclus depuis le 01/07/2025",
             ["40 % du coût annuel le 1er mois", "30 % au 7e mois", "20 % au 10e mois",
              "10 % (solde final) après service fait, sur certificat de réalisation, "
              "perdu s'il n'est pas facturé dans les 4 mois suivant la fin du contrat (dernière année)"]),
}
KEY_RE = re.compile(r"^[0-9a-f]{32}$")


def _billable_dossier(number):
    dossier = get_dossier_or_404(number)
    if not (dossier.state == DossierState.ENGAGED and dossier.subrogated and can(current_scope(), "dossier.bill", dossier)):
        abort(403)
    return dossier


def _render(dossier, form, refusals=(), status=200):
    return render_template("portal/reimbursement.html", d=dossier, form=form, refusals=refusals,
                           rhythm=RHYTHMS.get(dossier.regime), installments=stored_installments(dossier, True),
                           vat_liable=current_organisation().vat_liable), status


@bp.route("/dossiers/<number>/remboursement", methods=["GET", "POST"])
@cfa_required
def reimbursement(number):
    dossier = _billable_dossier(number)
    form = ReimbursementForm()
    if request.method == "GET":
        form.submission_key.data = secrets.token_hex(16)
        form.cfa_invoice_date.raw = clock.today().strftime("%d/%m/%Y")
        return _render(dossier, form)
    key = request.form.get("submission_key", "")
    key = key if KEY_RE.match(key) else None
    if key:
        done = scoped.invoices(current_scope()).where(Invoice.submission_key == key).first()
        if done is not None:  # the same form sent twice: show the first result, create nothing
            return redirect(url_for("portal.invoice", invoice_id=done.id))
    if not form.validate():
        return _render(dossier, form, status=400)
    data = RequestData(
        period_start=form.period_start.data, period_end=form.period_end.data,
        teaching_amount=form.teaching_amount.data, nights=form.nights.data, lodging_amount=form.lodging_amount.data,
        meals=form.meals.data, meals_amount=form.meals_amount.data,
        first_equipment_amount=form.first_equipment_amount.data, mobility_amount=form.mobility_amount.data,
        cfa_reference=(form.cfa_reference.data or "").strip(), terms_accepted=bool(form.terms.data),
        invoice_date=form.cfa_invoice_date.data, amount_ht=form.amount_ht.data,
        amount_ttc=form.amount_ttc.data if current_organisation().vat_liable else None,
        comment=(form.comment.data or "").strip())
    files, file_errors = {}, False
    for field, label in ((form.invoice_pdf, "La facture"), (form.certificate_pdf, "Le certificat de réalisation")):
        upload = request.files.get(field.name)
        if not is_provided(upload):
            continue
        try:
            files[field.name] = read_pdf_upload(upload, label=label)
        except DocumentTooLarge:
            abort(413)
        except DocumentError as error:
            field.errors = list(field.errors) + [str(error)]
            file_errors = True
    supporting = []
    try:
        supporting = read_pdf_uploads(request.files.getlist(form.supporting_pdfs.name), maximum=MAX_SUPPORTING_FILES)
    except DocumentTooLarge:
        abort(413)
    except DocumentError as error:
        form.supporting_pdfs.errors = list(form.supporting_pdfs.errors) + [str(error)]
        file_errors = True
    refusals = check(dossier, data, "invoice_pdf" in files, "certificate_pdf" in files, current_organisation())
    if file_errors or refusals:
        return _render(dossier, form, refusals=refusals, status=400)
    try:
        invoice = submit(dossier, data, files["invoice_pdf"], files.get("certificate_pdf"),
                         current_user._get_current_object(), submission_key=key,
                         organisation=current_organisation(), supporting_files=supporting)
    except RequestRefused as refused:  # a concurrent request changed what is left to invoice
        return _render(dossier, form, refusals=refused.refusals, status=409)
    except DelegationError as refused:  # the delegation ended while the form was being filled in
        return _render(dossier, form, refusals=[rules.Refusal("delegation", str(refused))], status=409)
    flash(f"Votre demande de remboursement {invoice.display_number} a bien été déposée. "
          f"Téléchargez votre récépissé {invoice.receipt_number}.", "success")
    return redirect(url_for("portal.invoice", invoice_id=invoice.id, depose=1))


__all__ = ["reimbursement", "certificate_needed"]
