"""Back-office rupture (/admin/rupture/<dossier_id>/) and amendment (/admin/avenant/<dossier_id>/) of a dossier.

Same service as the portal (services.ruptures): form → preview of the recomputed schedule →
confirmation re-validated and recomputed server-side. Reached from the dossier details page; hidden
from the menu. Conseillers and administrators only.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from forms.rupture import AmendmentForm, RuptureForm
from models import Amendment, Dossier, Installment, Rupture
from services.amendments import amendment_preview, confirm_amendment
from services.credit_notes import CreditNoteError
from services.documents import DocumentError
from services.ruptures import RuptureError, confirm_rupture, rupture_preview

from .base import StaffAccessMixin

RUPTURE_ROLES = {"conseiller", "admin"}


class RuptureView(StaffAccessMixin, BaseView):
    read_roles = RUPTURE_ROLES

    def __init__(self, model=None, name="Rupture", category=None, endpoint="rupture"):
        # Registered through VIEW_MODULES like the model views (model, name, category, endpoint).
        super().__init__(name=name, category=category, endpoint=endpoint, url="/admin/rupture")

    def is_visible(self):
        return False

    def _dossier(self, dossier_id):
        dossier = Dossier.get_or_none(Dossier.id == dossier_id)
        if dossier is None:
            abort(404)
        return dossier

    def _ctx(self, dossier, form, **extra):
        return dict(dossier=dossier, form=form, kind_labels=dict(Installment.kind.choices),
                    status_labels=dict(Installment.status.choices),
                    back_url=url_for("dossier.details_view", id=dossier.id), **extra)

    @expose("/")
    def index(self):
        """No page of its own: ruptures start from a dossier."""
        return redirect(url_for("dossier.index_view"))

    @expose("/<int:dossier_id>/", methods=["GET", "POST"])
    def declare(self, dossier_id):
        """GET: the form; POST: the preview (nothing written)."""
        dossier = self._dossier(dossier_id)
        form = RuptureForm()
        if request.method == "GET":
            return self.render("admin/rupture_form.html", **self._ctx(dossier, form))
        if not form.validate():
            return self.render("admin/rupture_form.html", **self._ctx(dossier, form)), 400
        inputs = form.inputs()
        try:
            preview = rupture_preview(dossier, inputs["date"], inputs["continues_at_cfa"], inputs["new_contract"],
                                      inputs["reason"])
        except RuptureError as exc:
            return self.render("admin/rupture_form.html", error=str(exc), **self._ctx(dossier, form)), 400
        return self.render("admin/rupture_preview.html", preview=preview, **self._ctx(dossier, form))

    @expose("/<int:dossier_id>/confirmer", methods=["POST"])
    def confirm(self, dossier_id):
        dossier = self._dossier(dossier_id)
        form = RuptureForm()
        if not form.validate():
            return self.render("admin/rupture_form.html", **self._ctx(dossier, form)), 400
        inputs = form.inputs()
        try:
            _, credit_note, _ = confirm_rupture(dossier, inputs["date"], inputs["reason"], inputs["continues_at_cfa"],
                                                inputs["new_contract"], user=current_user._get_current_object())
        except (RuptureError, CreditNoteError) as exc:
            return self.render("admin/rupture_form.html", error=str(exc), **self._ctx(dossier, form)), 400
        message = f"Rupture du dossier {dossier.number} enregistrée ; échéancier recalculé et courrier envoyé au CFA."
        if credit_note is not None:
            message += f" Avoir {credit_note.display_number} émis."
        flash(message, "success")
        return redirect(url_for("dossier.details_view", id=dossier.id))


class AmendmentView(RuptureView):
    """Amendment (*avenant*) recorded by the OPCO: same service as the portal, the signed PDF required."""

    def __init__(self, model=None, name="Avenant", category=None, endpoint="amendment"):
        BaseView.__init__(self, name=name, category=category, endpoint=endpoint, url="/admin/avenant")

    @expose("/")
    def index(self):
        return redirect(url_for("dossier.index_view"))

    @expose("/<int:dossier_id>/", methods=["GET", "POST"])
    def declare(self, dossier_id):
        dossier = self._dossier(dossier_id)
        form = AmendmentForm()
        if request.method == "GET":
            return self.render("admin/rupture_amendment_form.html", **self._ctx(dossier, form))
        if not form.validate():
            return self.render("admin/rupture_amendment_form.html", **self._ctx(dossier, form)), 400
        inputs = form.inputs()
        try:
            preview = amendment_preview(dossier, inputs["new_end"], inputs["new_npec"], inputs["reason"])
        except RuptureError as exc:
            return self.render("admin/rupture_amendment_form.html", error=str(exc), **self._ctx(dossier, form)), 400
        return self.render("admin/rupture_amendment_preview.html", preview=preview, **self._ctx(dossier, form))

    @expose("/<int:dossier_id>/confirmer", methods=["POST"])
    def confirm(self, dossier_id):
        dossier = self._dossier(dossier_id)
        form = AmendmentForm()
        if not form.validate():
            return self.render("admin/rupture_amendment_form.html", **self._ctx(dossier, form)), 400
        inputs = form.inputs()
        try:
            _, credit_note, _ = confirm_amendment(dossier, inputs["new_end"], inputs["new_npec"], inputs["reason"],
                                                  request.files.get("document"), user=current_user._get_current_object())
        except (DocumentError, RuptureError, CreditNoteError) as exc:
            return (self.render("admin/rupture_amendment_form.html", error=str(exc), **self._ctx(dossier, form)),
                    getattr(exc, "status", 400))
        message = f"Avenant du dossier {dossier.number} enregistré ; échéancier recalculé et courrier envoyé au CFA."
        if credit_note is not None:
            message += f" Avoir {credit_note.display_number} émis."
        flash(message, "success")
        return redirect(url_for("dossier.details_view", id=dossier.id))


VIEWS = [(RuptureView, Rupture, "Rupture", None), (AmendmentView, Amendment, "Avenant", None)]
