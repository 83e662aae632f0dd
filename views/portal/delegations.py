"""Gestion des accès (seed 001): delegation requests asked, received and decided by the organisations' admin OF.

The workflow (states, who decides, notifications) is workflows/delegations.py; this page only shows the
current organisation's two sides: the delegations it asked for or holds, and those of its own contracts.
"""
from flask import flash, redirect, render_template, request, url_for

from access import scope as scoped
from access.web import current_organisation, current_scope, forget_scope, get_delegation_or_404, require
from forms.portal import DelegationForm
from models import Delegation, Organisation
from workflows import delegations as workflow
from views.portal import bp


def _page(form=None, status=200, errors=None):
    organisation = current_organisation()
    received = list(scoped.delegations_received(current_scope()).order_by(Organisation.name, Delegation.id.desc()))
    given = list(scoped.delegations_given(current_scope()).order_by(Organisation.name, Delegation.id.desc()))
    return render_template("portal/delegations.html", form=form or DelegationForm(), received=received, given=given,
                           label=workflow.label, errors=errors or {}, reason=request.form.get("reason", ""),
                           decides=workflow.has_active_admin(organisation.id)), status


@bp.route("/delegations", methods=["GET", "POST"])
@require("organisation.admin")
def delegations():
    form = DelegationForm()
    if not form.is_submitted():
        return _page(form)
    if form.validate():
        try:
            delegation = workflow.request(current_organisation(), form.siret.data, form.name.data, current_scope())
        except workflow.DelegationError as exc:
            form.siret.errors = list(form.siret.errors) + [str(exc)]
        else:
            flash(f"Demande envoyée à {delegation.delegator.name} : ses dossiers apparaîtront dans vos listes "
                  "quand elle sera approuvée.", "success")
            return redirect(url_for("portal.delegations"))
    return _page(form, 400)


def _sentence(text):
    """A refusal of workflows/transitions.py ("le motif est obligatoire") as a sentence."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _decide(delegation_id, run, done):
    delegation = get_delegation_or_404(delegation_id)
    try:
        row = run(delegation)
    except workflow.TransitionRefused as exc:
        return _page(status=400, errors={delegation.id: _sentence(str(exc))})
    forget_scope()
    flash(done(row), "success")
    return redirect(url_for("portal.delegations"))


@bp.route("/delegations/<int:delegation_id>/accepter", methods=["POST"])
@require("organisation.admin")
def delegation_approve(delegation_id):
    return _decide(delegation_id, lambda d: workflow.approve(d, current_scope()),
                   lambda d: f"Délégation approuvée : {d.delegate.name} gère désormais vos contrats.")


@bp.route("/delegations/<int:delegation_id>/refuser", methods=["POST"])
@require("organisation.admin")
def delegation_refuse(delegation_id):
    return _decide(delegation_id, lambda d: workflow.refuse(d, current_scope(), request.form.get("reason", "")),
                   lambda d: f"Demande de {d.delegate.name} refusée.")


@bp.route("/delegations/<int:delegation_id>/terminer", methods=["POST"])
@require("organisation.admin")
def delegation_end(delegation_id):
    return _decide(delegation_id, lambda d: workflow.end(d, current_scope()),
                   lambda d: f"Délégation {d.delegator.name} → {d.delegate.name} terminée : plus aucun dossier "
                             "n'est partagé.")
