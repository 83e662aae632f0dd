"""*Mes contrats stockés* (seed 003): the stock contracts the OPCO took over, with their rhythm, and
*Étape 1 : Vérifier mes contrats stockés* — for the users holding a stock right."""
from flask import abort, flash, redirect, render_template, request, url_for

from access.web import current_scope, get_dossier_or_404, require
from forms.stock_contracts import StockVerificationForm
from models.dossier import DOSSIER_STATES, INSTALLMENT_KINDS, INSTALLMENT_STATUSES
from models.states import StockCheck
from views.portal import bp
from views.portal.reimbursement import RHYTHMS
from workflows.dossier_rules import stored_installments
from workflows.stock_contracts import (VerificationRefused, history, latest_answers, may_verify, next_installments,
                                       stock_page, verify)

PER_PAGE = 20


def _cursor():
    value = request.args.get("apres", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


@bp.route("/contrats-stockes")
@require("stock.manage")
def stock_contracts():
    """Keyset pages of 20, newest first: no COUNT, one extra row tells whether a next page exists."""
    after = _cursor()
    rows = stock_page(current_scope(), PER_PAGE + 1, after=after)
    more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    ids = [row["id"] for row in rows]
    answers, due = latest_answers(ids), next_installments(ids)
    return render_template(
        "portal/stock_contracts.html", rows=rows, answers=answers, due=due, rhythm=RHYTHMS["stock"],
        state_labels=dict(DOSSIER_STATES), first_page=after is not None,
        next_url=url_for("portal.stock_contracts", apres=rows[-1]["id"]) if more and rows else None)


def _stock_dossier(number):
    """A stock dossier of the scope (any other number is a 404: no hint that it exists)."""
    dossier = get_dossier_or_404(number)
    if not dossier.is_stock:
        abort(404)
    if not may_verify(current_scope(), dossier):
        abort(403)
    return dossier


@bp.route("/contrats-stockes/<number>", methods=["GET", "POST"])
@require("stock.manage")
def stock_contract(number):
    dossier = _stock_dossier(number)
    form = StockVerificationForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():  # CSRF token missing or stale
            error = "Le formulaire a expiré : rechargez la page et recommencez."
        else:
            try:
                _, new = verify(current_scope(), dossier, form.answer.data, form.comment.data)
            except VerificationRefused as refused:
                error = str(refused)
            else:
                if new:
                    flash(f"Contrat stocké {dossier.number} : {StockCheck.label_of(form.answer.data).lower()}"
                          " (visible par l'OPCO).", "success")
                else:
                    flash("Cette réponse était déjà enregistrée.", "info")
                return redirect(url_for("portal.stock_contracts"))
    answers = history(dossier)
    status = 400 if error else 200
    return render_template(
        "portal/stock_contract.html", d=dossier, form=form, error=error, answers=answers,
        latest=answers[0] if answers else None, installments=stored_installments(dossier, True),
        rhythm=RHYTHMS["stock"], state_labels=dict(DOSSIER_STATES), kind_labels=dict(INSTALLMENT_KINDS),
        status_labels=dict(INSTALLMENT_STATUSES)), status
