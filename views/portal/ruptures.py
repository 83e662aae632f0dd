"""Rupture of a contract declared from the portal: form → preview of the recomputed schedule → declaration.

The declaration is a second POST carrying the same inputs; the service re-validates everything. It
records a fact the CFA reports (`declaree`): from then on no invoice may cover a period after the
declared date, and the schedule, cancellations and credit note are applied when the OPCO confirms it.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from access.web import get_dossier_or_404, require
from forms.rupture import RuptureForm
from models import Installment
from models.states import DossierState
from infrastructure.formatting import date_fr
from workflows.ruptures import RuptureError, declare_rupture, declared_rupture, rupture_preview
from views.portal import bp

# "Manage contracts" (with or without billing) or stock contracts: apprentices without contract have none to break.
KIND_LABELS = dict(Installment.kind.choices)
STATUS_LABELS = dict(Installment.status.choices)


def dossier_url(number):
    """The dossier page when the portal has one, else the dashboard."""
    try:
        return url_for("portal.dossier", number=number)
    except BuildError:
        return url_for("portal.dashboard")


def _source():
    return "expired" if request.values.get("source") == "expired" else ""


def _ctx(dossier, form):
    return dict(dossier=dossier, form=form, back_url=dossier_url(dossier.number), source=_source(),
                kind_labels=KIND_LABELS, status_labels=STATUS_LABELS)


@bp.route("/dossiers/<number>/rupture", methods=["GET", "POST"])
@require("dossier.change_contract")
def rupture(number):
    """GET: the declaration form; POST: the preview (nothing is written)."""
    dossier = get_dossier_or_404(number)
    form = RuptureForm()
    ctx = _ctx(dossier, form)
    if request.method == "GET":
        if dossier.state != DossierState.ENGAGED or dossier.rupture_date or declared_rupture(dossier):
            flash("Seul un dossier engagé et sans rupture enregistrée ou déclarée peut faire l'objet d'une "
                  "rupture.", "warning")
        return render_template("portal/billing/rupture_form.html", **ctx)
    if not form.validate():
        return render_template("portal/billing/rupture_form.html", **ctx), 400
    try:
        preview = rupture_preview(dossier, **form.inputs(), settling=False)
    except RuptureError as exc:
        return render_template("portal/billing/rupture_form.html", error=str(exc), **ctx), 400
    return render_template("portal/billing/rupture_preview.html", preview=preview,
                           confirm_url=url_for("portal.rupture_confirm", number=dossier.number), **ctx)


@bp.route("/dossiers/<number>/rupture/confirmer", methods=["POST"])
@require("dossier.change_contract")
def rupture_confirm(number):
    dossier = get_dossier_or_404(number)
    form = RuptureForm()
    ctx = _ctx(dossier, form)
    if not form.validate():
        return render_template("portal/billing/rupture_form.html", **ctx), 400
    try:
        rupture = declare_rupture(dossier, user=current_user._get_current_object(), source=_source(),
                                  **form.inputs())
    except RuptureError as exc:
        return render_template("portal/billing/rupture_form.html", error=str(exc), **ctx), 400
    flash(f"La rupture au {date_fr(rupture.date)} est déclarée. L'OPCO va la confirmer : l'échéancier sera alors "
          "recalculé et le courrier de rupture vous sera adressé. Dès maintenant, aucune facture ne peut couvrir "
          "une période postérieure à cette date.", "success")
    if _source() == "expired":
        return redirect(url_for("portal.expired"))
    return redirect(dossier_url(dossier.number))


