"""Expired dossiers to settle (*dossiers échus à traiter*, seed 002): list, certificate, rupture link, final balance."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from access import scope as scoped
from access.permissions import can
from access.web import current_scope, get_dossier_or_404, require
from models import Dossier, ExpiredSettlement
from workflows.documents import DocumentError
from infrastructure.formatting import montant
from workflows.expired import ExpiredError, declare_certificate, declare_final_balance, expired_rows, history
from views.portal import bp
from infrastructure import clock

KIND_LABELS = dict(ExpiredSettlement.kind.choices)


def _page(status=200, error=None):
    today = clock.today()
    rows = expired_rows(scoped.dossiers(current_scope()), today)
    past = history(scoped.dossiers(current_scope(), Dossier.select(Dossier.id)))
    return render_template("portal/billing/expired.html", rows=rows, history=past, today=today, error=error,
                           kind_labels=KIND_LABELS), status


def _billable_dossier(number):
    dossier = get_dossier_or_404(number)
    if not can(current_scope(), "dossier.bill", dossier):
        abort(403)
    return dossier


@bp.route("/echus")
@require("dossier.bill")
def expired():
    return _page()


@bp.route("/echus/<number>/certificat", methods=["POST"])
@require("dossier.bill")
def expired_certificate(number):
    dossier = _billable_dossier(number)
    try:
        declare_certificate(dossier, request.files.get("document"), user=current_user._get_current_object())
    except DocumentError as exc:
        return _page(exc.status, f"Dossier {dossier.number} : {exc}")
    except ExpiredError as exc:
        return _page(400, str(exc))
    flash(f"Certificat de réalisation déclaré pour le dossier {dossier.number}.", "success")
    return redirect(url_for("portal.expired"))


@bp.route("/echus/<number>/solde", methods=["POST"])
@require("dossier.bill")
def expired_final_balance(number):
    dossier = _billable_dossier(number)
    if request.form.get("confirm") != "1":
        return _page(400, f"Dossier {dossier.number} : cochez la case de confirmation du solde définitif.")
    try:
        settlement = declare_final_balance(dossier, user=current_user._get_current_object())
    except ExpiredError as exc:
        return _page(400, str(exc))
    flash(f"Solde définitif du dossier {dossier.number} déclaré ; engagement libéré : "
          f"{montant(settlement.amount_released)}.", "success")
    return redirect(url_for("portal.expired"))
