"""Gestion des accès (seed 001): an admin OF adds or removes organisations that delegate to theirs."""
import unicodedata

from flask import flash, redirect, render_template, url_for

from forms.portal import DelegationForm
from models import Delegation, Membership, Organisation, User, db
from rules.identifiers import normalize_siret
from services import access
from services.audit import record
from services.notify import notify_organisation
from views.portal import bp


def _same_name(a, b):
    """Names compared without case, accents, punctuation or extra spaces."""
    def norm(text):
        text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
        return " ".join("".join(c if c.isalnum() else " " for c in text).split())
    return norm(a) == norm(b) and norm(a) != ""


@bp.route("/delegations", methods=["GET", "POST"])
@access.right_required("admin_of")
def delegations():
    form = DelegationForm()
    current = access.current_organisation()
    if form.is_submitted():
        if form.validate():
            error = _add(form, current)
            if error is None:
                return redirect(url_for("portal.delegations"))
            form.siret.errors = list(form.siret.errors) + [error]
        rows = list(access.delegations_received().order_by(Organisation.name))
        return render_template("portal/delegations.html", form=form, rows=rows), 400
    rows = list(access.delegations_received().order_by(Organisation.name))
    return render_template("portal/delegations.html", form=form, rows=rows)


def _add(form, current):
    siret = normalize_siret(form.siret.data)
    delegator = Organisation.select().where((Organisation.siret == siret) & (Organisation.status == "active")).first()
    if delegator is None or not _same_name(delegator.name, form.name.data):
        return "Aucun organisme actif ne correspond à ce SIRET et à ce nom d'établissement."
    if delegator.id == current.id:
        return "Un organisme ne peut pas se déléguer à lui-même."
    if Membership.select().join(User).where((Membership.organisation == delegator.id) & (User.active == True)).exists():  # noqa: E712
        # Its own users could not have agreed: a SIRET and a name are public, so the OPCO confirms this one.
        return ("Cet organisme dispose de ses propres accès au portail : demandez à l'OPCO d'enregistrer "
                "la délégation (elle doit être confirmée par l'organisme déléguant).")
    with db.atomic():
        if Delegation.select().where((Delegation.delegate == current.id) & (Delegation.delegator == delegator.id)).exists():
            return "Cet organisme vous délègue déjà la gestion de ses contrats."
        delegation = Delegation.create(delegate=current, delegator=delegator, note="Ajouté depuis le portail")
        record("delegation", delegation.id, "ajout", after=delegation,
               note=f"{delegator.name} ({delegator.siret}) délègue à {current.name} ({current.siret})")
        notify_organisation(delegator, f"{current.name} (SIRET {current.siret}) gère désormais vos contrats "
                                       "en tant qu'organisme délégataire.", category="compte")
    access.forget_scope()
    flash(f"{delegator.name} a été ajouté : ses dossiers apparaissent désormais dans vos listes.", "success")
    return None


@bp.route("/delegations/<int:delegation_id>/supprimer", methods=["POST"])
@access.right_required("admin_of")
def delegation_delete(delegation_id):
    delegation = access.get_delegation_or_404(delegation_id)
    delegator = delegation.delegator
    with db.atomic():
        record("delegation", delegation.id, "suppression", before=delegation,
               note=f"{delegator.name} ({delegator.siret}) ne délègue plus à {delegation.delegate.name}")
        Delegation.delete().where(Delegation.id == delegation.id).execute()
    access.forget_scope()
    flash(f"{delegator.name} a été retiré : ses dossiers n'apparaissent plus dans vos listes.", "success")
    return redirect(url_for("portal.delegations"))
