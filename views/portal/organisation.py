"""The organisation's profile (/portail/organisation, seed 003 *Fiche OF*).

Always the organisation picked in the header. Its admin OF edits it; any other member reads the same page
without a form, and a POST from them is refused (403) before anything is read from it.
"""
from flask import abort, flash, make_response, redirect, render_template, request, url_for

from access.web import cfa_required, current_organisation, current_scope
from forms.organisation import OrganisationProfileForm
from views.portal import bp
from workflows import organisation_profile as profile


@bp.route("/organisation", methods=("GET", "POST"))
@cfa_required
def organisation_profile():
    organisation = current_organisation()
    if organisation is None:
        abort(404)
    editable = profile.may_edit(current_scope(), organisation)
    form = OrganisationProfileForm.of(organisation) if editable else None
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            try:
                changed = profile.update_profile(current_scope(), organisation, form.values())
            except profile.ProfileRefused:
                abort(403)
            flash("Fiche de l'organisme enregistrée." if changed else "Aucune modification à enregistrer.",
                  "success" if changed else "info")
            return redirect(url_for("portal.organisation_profile"))
        html = render_template("portal/organisation.html", organisation=organisation, form=form)
        return make_response(html, 400)
    return render_template("portal/organisation.html", organisation=organisation, form=form)
