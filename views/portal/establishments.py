"""Établissements (/portail/etablissements, seed 004): the organisations of the user's memberships, the main
establishment marked, and a detail page for each. A membership reaches its own establishment only — never the
secondary establishments of a main one (access/scope.py)."""
from flask import abort, render_template, request

from access import scope as scoped
from access.web import cfa_required, current_scope
from models.states import OrganisationStatus
from models.user import MEMBERSHIP_ROLES, RIGHTS
from views.portal import bp


def _memberships():
    return scoped.establishment_memberships(current_scope().user)


@bp.route("/etablissements")
@cfa_required
def establishments():
    rows = _memberships()
    query = (request.args.get("q") or "").strip()[:100]
    if query:
        needle = query.lower()
        rows = [m for m in rows if needle in m.organisation.name.lower() or needle in m.organisation.siret]
    return render_template("portal/establishments.html", rows=rows, q=query, active=OrganisationStatus.ACTIVE.value,
                           roles=dict(MEMBERSHIP_ROLES))


@bp.route("/etablissements/<siret>")
@cfa_required
def establishment(siret):
    rows = _memberships()
    membership = next((m for m in rows if m.organisation.siret == str(siret)), None)
    if membership is None:
        abort(404)
    organisation = membership.organisation
    secondary = [m.organisation for m in rows if m.organisation.parent_id == organisation.id]
    return render_template("portal/establishments_detail.html", membership=membership, organisation=organisation,
                           secondary=secondary, active=OrganisationStatus.ACTIVE.value, roles=dict(MEMBERSHIP_ROLES),
                           rights=RIGHTS, status_label=OrganisationStatus.label_of(organisation.status))
