"""Comptable decisions in the back office: bulk list actions and detail-page buttons that run one workflow
per row, with a reason when the transition needs one, and per-row outcomes."""

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user

from forms.billing import ReasonForm
from views.downloads import attachment_response
from infrastructure.numbering import retry_when_busy




MAX_BULK = 200


def _pdf(data, filename):
    """Same header as the portal: a CFA's file name ("€", "œ", quotes) is not Latin-1, so it goes in filename*."""
    return attachment_response(data, filename)


class DecisionMixin:
    """Actions (list and detail buttons) reserved to `decision_permission`; reasons asked on a form page.

    `decisions` maps an action name to (button label, needs_reason, service callable(obj, reason, user)).
    """

    decisions = {}
    decision_permission = "invoice.decide"
    details_template = "admin/billing_details.html"
    list_template = "admin/billing_list.html"
    errors = (ValueError,)

    def is_action_allowed(self, name):
        if name in self.decisions:
            return self.allowed(self.decision_permission)
        return super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        if request.form.get("action") in self.decisions and not self.allowed(self.decision_permission):
            abort(403)
        return super().action_view()

    def detail_buttons(self, model):
        """(name, label, needs_reason) offered on the details page of `model`."""
        if not self.allowed(self.decision_permission):
            return []
        return [(name, label, needs) for name, (label, needs, _) in self.decisions.items()
                if self.decision_offered(name, model)]

    def decision_offered(self, name, model):
        return True

    def _apply(self, name, ids, reason=""):
        """Run one decision on each id, each in its own transaction; flash what was done per row."""
        label = self.decisions[name][0]
        try:
            ids = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        if len(ids) > MAX_BULK:
            flash(f"{MAX_BULK} éléments au plus par action : seuls les {MAX_BULK} premiers sont traités.", "warning")
            ids = ids[:MAX_BULK]
        outcomes = self.run_decision(name, list(dict.fromkeys(ids)), reason, current_user._get_current_object())
        done = sum(1 for ok, _ in outcomes if ok)
        if len(outcomes) > 1:
            flash(f"{label} : {done} élément(s) traité(s), {len(outcomes) - done} non traité(s).", "info")
        elif done:
            flash(f"{label} : {done} élément(s) traité(s).", "success")
        for ok, line in outcomes:
            if ok and len(outcomes) > 1:
                flash(line, "success")
            elif not ok:
                flash(line, "error")
        return done, [line for ok, line in outcomes if not ok]

    def run_decision(self, name, ids, reason, user):
        """(ok, French line) per id. The ids are read first: no write runs while a query is being iterated."""
        service = self.decisions[name][2]
        objects = {obj.id: obj for obj in self.model.select().where(self.model.id.in_(ids))}
        outcomes = []
        for obj_id in ids:
            obj = objects.get(obj_id)
            if obj is None:
                outcomes.append((False, f"#{obj_id} : introuvable"))
                continue
            try:
                retry_when_busy(lambda: service(obj, reason, user))
            except self.errors as exc:
                outcomes.append((False, str(exc)))
            else:
                outcomes.append((True, f"{obj} : fait"))
        return outcomes

    def _run_action(self, name, ids):
        if not self.allowed(self.decision_permission):
            abort(403)
        _, needs_reason, _ = self.decisions[name]
        if needs_reason:
            return redirect(url_for(".reason_view", decision=name, ids=",".join(str(i) for i in ids),
                                    url=get_redirect_target() or self.get_url(".index_view")))
        self._apply(name, ids)
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    @expose("/motif/<decision>/", methods=("GET", "POST"))
    def reason_view(self, decision):
        """The confirmation page of a decision that needs a reason shown to the CFA."""
        name = decision
        if name not in self.decisions or not self.decisions[name][1]:
            abort(404)
        if not self.allowed(self.decision_permission):
            abort(403)
        form = ReasonForm()
        if request.method == "GET":
            form.ids.data = request.args.get("ids", "")
        try:
            ids = [int(i) for i in (form.ids.data or "").split(",") if i.strip()]
        except ValueError:
            abort(400)
        if not ids:
            abort(400)
        return_url = get_redirect_target() or self.get_url(".index_view")
        if form.validate_on_submit():
            self._apply(name, ids, form.reason.data)
            return redirect(return_url)
        objects = list(self.model.select().where(self.model.id.in_(ids[:MAX_BULK])))
        html = self.render("admin/billing_reason.html", form=form, label=self.decisions[name][0], objects=objects,
                           return_url=return_url)
        return make_response(html, 400 if request.method == "POST" else 200)

    def extras(self, model):
        """Extra sections of the details page (lines, history, documents…)."""
        return {}


# --- invoices ---------------------------------------------------------------------------------
