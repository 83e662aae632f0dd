"""API keys (/portail/cles-api, seeds 003 *Token de sécurité* and 004 *Clé d'authentification*): an administrator
OF generates a key for one of the establishments they administer, sees it once, lists and revokes their keys.

The raw key lives only in the response to the POST that created it (no redirect, flash or session), served with
`Cache-Control: no-store`; the database keeps its hash. Decisions live in workflows/api_keys.py.
"""
from flask import abort, flash, make_response, redirect, render_template, request, url_for

from access.web import current_scope, int_or_404, require
from forms.api_keys import ApiKeyForm
from views.portal import bp
from workflows import api_keys as workflow

DOCS_URL = "/api/v1/docs"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _list_page(form, establishments, status=200):
    scope = current_scope()
    rows = list(workflow.keys_for(scope, establishments))
    html = render_template("portal/api_keys/index.html", form=form, rows=rows, establishments=establishments,
                           state_of=workflow.state_of, state_labels=workflow.STATE_LABELS, docs_url=DOCS_URL,
                           validity_days=workflow.VALIDITY_DAYS)
    return _no_store(make_response(html, status))


@bp.route("/cles-api", methods=("GET", "POST"))
@require("api_key.manage")
def api_keys():
    scope = current_scope()
    establishments = workflow.establishments(scope)
    if request.method == "POST" and ApiKeyForm.names_foreign_establishment(request.form, establishments):
        abort(403)
    form = ApiKeyForm.for_establishments(establishments, default_id=scope.organisation_id)
    if form.validate_on_submit():
        organisation = next(o for o in establishments if o.siret == form.siret.data)
        try:
            key, raw = workflow.create_for(scope, organisation.id, form.name.data)
        except workflow.OutOfScope:
            abort(403)
        except workflow.ApiKeyRefused as refused:
            form.name.errors.append(str(refused))
        else:
            html = render_template("portal/api_keys/created.html", key=key, raw=raw, organisation=organisation,
                                   docs_url=DOCS_URL)
            return _no_store(make_response(html))
    return _list_page(form, establishments, 400 if form.is_submitted() else 200)


@bp.route("/cles-api/<int:key_id>/revoquer", methods=("POST",))
@require("api_key.manage")
def api_key_revoke(key_id):
    scope = current_scope()
    try:
        key, revoked = workflow.revoke_for(scope, int_or_404(key_id))
    except workflow.OutOfScope:
        abort(404)
    if revoked:
        flash(f"La clé « {key.name} » ({key.prefix}…) est révoquée : le logiciel qui l'utilisait n'a plus accès "
              f"au portail.", "success")
    else:
        flash(f"La clé « {key.name} » ({key.prefix}…) était déjà révoquée.", "info")
    return redirect(url_for("portal.api_keys"))
