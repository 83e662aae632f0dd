"""Users and rights (/portail/utilisateurs, seeds 003 and 004): the administrator OF lists, invites (two steps:
identity, then rights per establishment), edits rights, deactivates and reactivates; a gestionnaire OF reads the
list of the organisation picked in the header. Decisions live in workflows/users.py."""
from flask import abort, flash, make_response, redirect, render_template, request, session, url_for

from access.web import current_scope, int_or_404, require
from forms.users import RightsForm, UserFiltersForm, UserIdentityForm
from infrastructure import signed_links
from views.portal import bp
from workflows import users as workflow

PER_PAGE = 20
MAX_PAGE = 100000
DRAFT = "user_invitation"  # the identity typed at step 1, until step 2 creates the user


def _link(secret):
    return url_for("invitation.accept", token=signed_links.sign(secret, "invitation"), _external=True)


def _page():
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return page if 1 <= page <= MAX_PAGE else 1


def _user_or_404(user_id, organisations):
    user = workflow.get_user(current_scope(), int_or_404(user_id), organisations=organisations)
    if user is None:
        abort(404)
    return user


def _refused(refused):
    """An organisation or user outside the administrator's establishments: never a hint, never a change."""
    if isinstance(refused, workflow.OutOfScope):
        abort(403)
    flash(str(refused), "error")


@bp.route("/utilisateurs")
@require("user.read")
def users():
    scope = current_scope()
    organisations = workflow.visible_organisations(scope)
    form = UserFiltersForm(formdata=request.args)
    valid = form.validate()
    page = _page()
    query = workflow.users(scope, organisations=organisations, **form.criteria())
    rows = list(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    establishments = workflow.memberships_by_user(rows, organisations)
    active = form.active_filters() if valid else {}
    html = render_template("portal/users.html", form=form, rows=rows, establishments=establishments, page=page,
                           has_next=has_next, manage=workflow.may_manage(scope), organisations=organisations,
                           pending=workflow.invitation_pending, roles=workflow.ROLE_LABELS,
                           page_url=lambda **kw: url_for("portal.users", **{**active, **kw}))
    return make_response(html, 200 if valid else 400)


@bp.route("/utilisateurs/nouveau", methods=("GET", "POST"))
@require("user.manage")
def user_new():
    """Step 1: nom, prénom, email (the login); kept in the session until step 2 creates the user."""
    draft = session.get(DRAFT) or {}
    form = UserIdentityForm(data=draft if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            email = workflow.check_new_email(current_scope(), form.email.data)
        except workflow.UsersRefused as refused:
            if isinstance(refused, workflow.OutOfScope):
                abort(403)
            form.email.errors.append(str(refused))
        else:
            session[DRAFT] = {"last_name": form.last_name.data, "first_name": form.first_name.data, "email": email}
            return redirect(url_for("portal.user_new_rights"))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/users_identity.html", form=form), status


@bp.route("/utilisateurs/nouveau/droits", methods=("GET", "POST"))
@require("user.manage")
def user_new_rights():
    """Step 2: a role and at least one right per establishment given access; then the invitation leaves."""
    draft = session.get(DRAFT)
    if not isinstance(draft, dict) or not draft.get("email"):
        flash("Commencez par l'identité du nouvel utilisateur.", "info")
        return redirect(url_for("portal.user_new"))
    scope = current_scope()
    establishments = workflow.administered(scope)
    if request.method == "POST" and RightsForm.names_foreign_organisation(request.form, establishments):
        abort(403)
    default = {scope.organisation_id: workflow.Grant("gestionnaire_of", frozenset())}
    form = RightsForm.for_establishments(establishments, grants=default)
    if form.validate_on_submit():
        try:
            user = workflow.invite(scope, draft.get("last_name"), draft.get("first_name"), draft.get("email"),
                                   form.grants(), _link)
        except workflow.UsersRefused as refused:
            _refused(refused)
        else:
            session.pop(DRAFT, None)
            flash(f"Utilisateur créé : une invitation a été envoyée à {user.email} (lien valable 24 heures).",
                  "success")
            return redirect(url_for("portal.user", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/users_rights.html", form=form, draft=draft, user=None), status


@bp.route("/utilisateurs/<int:user_id>")
@require("user.read")
def user(user_id):
    scope = current_scope()
    organisations = workflow.visible_organisations(scope)
    shown = _user_or_404(user_id, organisations)
    manage = workflow.may_manage(scope)
    return render_template("portal/users_detail.html", shown=shown, manage=manage,
                           memberships=workflow.memberships_in(shown, organisations),
                           pending=workflow.invitation_pending(shown), roles=workflow.ROLE_LABELS,
                           rights=workflow.RIGHT_LABELS, is_self=shown.id == scope.user.id)


@bp.route("/utilisateurs/<int:user_id>/droits", methods=("GET", "POST"))
@require("user.manage")
def user_rights(user_id):
    scope = current_scope()
    establishments = workflow.administered(scope)
    shown = _user_or_404(user_id, establishments)
    if request.method == "POST" and RightsForm.names_foreign_organisation(request.form, establishments):
        abort(403)
    grants = {m.organisation.id: workflow.grant_of(m) for m in workflow.memberships_in(shown, establishments)}
    form = RightsForm.for_establishments(establishments, grants=grants)
    if form.validate_on_submit():
        try:
            changed = workflow.change_rights(scope, shown, form.grants())
        except workflow.UsersRefused as refused:
            _refused(refused)
        else:
            flash("Droits enregistrés." if changed else "Aucune modification à enregistrer.",
                  "success" if changed else "info")
            return redirect(url_for("portal.user", user_id=shown.id))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/users_rights.html", form=form, draft=None, user=shown), status


def _action(user_id, run, done):
    scope = current_scope()
    shown = _user_or_404(user_id, workflow.administered(scope))
    try:
        run(scope, shown)
    except workflow.UsersRefused as refused:
        _refused(refused)
    else:
        flash(done(shown), "success")
    return redirect(url_for("portal.user", user_id=shown.id))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=("POST",))
@require("user.manage")
def user_deactivate(user_id):
    return _action(user_id, workflow.deactivate,
                   lambda u: f"{u.full_name} est désactivé(e) : ses sessions ouvertes sont fermées.")


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=("POST",))
@require("user.manage")
def user_reactivate(user_id):
    return _action(user_id, workflow.reactivate, lambda u: f"{u.full_name} est réactivé(e).")


@bp.route("/utilisateurs/<int:user_id>/invitation", methods=("POST",))
@require("user.manage")
def user_resend_invitation(user_id):
    return _action(user_id, lambda scope, u: workflow.resend_invitation(scope, u, _link),
                   lambda u: f"Une nouvelle invitation a été envoyée à {u.email} (lien valable 24 heures).")
