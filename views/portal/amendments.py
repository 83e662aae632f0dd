"""Amendment (*avenant*) request from the portal: form → preview of the new schedule → deposit with the signed PDF.

The deposit is a request (`deposee`) for the OPCO to instruct: nothing about money changes until a
conseiller agrees to it in the back office.
"""
from flask import flash, redirect, render_template, request
from flask_login import current_user

from access.web import get_dossier_or_404, require
from forms.rupture import AmendmentForm
from models import Installment
from workflows.amendments import AmendmentError, amendment_preview, deposit_amendment
from workflows.documents import DocumentError
from workflows.ruptures import RuptureError
from views.portal import bp
from views.portal.ruptures import dossier_url

KIND_LABELS = dict(Installment.kind.choices)


def _ctx(dossier, form, **extra):
    return dict(dossier=dossier, form=form, back_url=dossier_url(dossier.number), kind_labels=KIND_LABELS, **extra)


@bp.route("/dossiers/<number>/avenant", methods=["GET", "POST"])
@require("dossier.change_contract")
def amendment(number):
    """GET: the amendment form; POST: the preview (nothing is written)."""
    dossier = get_dossier_or_404(number)
    form = AmendmentForm()
    if request.method == "GET":
        return render_template("portal/billing/amendment_form.html", **_ctx(dossier, form))
    if not form.validate():
        return render_template("portal/billing/amendment_form.html", **_ctx(dossier, form)), 400
    inputs = form.inputs()
    try:
        preview = amendment_preview(dossier, **inputs, settling=False)
    except RuptureError as exc:
        return render_template("portal/billing/amendment_form.html", error=str(exc), **_ctx(dossier, form)), 400
    return render_template("portal/billing/amendment_preview.html", preview=preview, **_ctx(dossier, form))


@bp.route("/dossiers/<number>/avenant/confirmer", methods=["POST"])
@require("dossier.change_contract")
def amendment_confirm(number):
    dossier = get_dossier_or_404(number)
    form = AmendmentForm()
    if not form.validate():
        return render_template("portal/billing/amendment_form.html", **_ctx(dossier, form)), 400
    inputs = form.inputs()
    try:
        deposit_amendment(dossier, file_storage=request.files.get("document"),
                          user=current_user._get_current_object(), **inputs)
    except DocumentError as exc:
        # Show the preview again so the user only has to pick the file.
        try:
            preview = amendment_preview(dossier, **inputs, settling=False)
        except RuptureError as inner:
            return render_template("portal/billing/amendment_form.html", error=str(inner),
                                   **_ctx(dossier, form)), 400
        return render_template("portal/billing/amendment_preview.html", preview=preview, error=str(exc),
                               **_ctx(dossier, form)), exc.status
    except (AmendmentError, RuptureError) as exc:
        return render_template("portal/billing/amendment_form.html", error=str(exc), **_ctx(dossier, form)), 400
    flash("Votre demande d'avenant a été déposée. L'OPCO va l'instruire : le financement et l'échéancier ne "
          "changeront qu'après son accord.", "success")
    return redirect(dossier_url(dossier.number))
