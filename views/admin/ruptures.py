"""Back-office rupture (/admin/rupture/<dossier_id>/) and amendment (/admin/avenant/<dossier_id>/) of a dossier.

SPEC §6 "record a rupture": the same services as the portal (services.ruptures, services.amendments):
form → preview of the recomputed schedule → confirmation re-validated and recomputed server-side.
Reached from the dossier details page; hidden from the menu. Conseillers and administrators only.
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

CHANGE_ROLES = {"conseiller", "admin"}


class DossierChangeView(StaffAccessMixin, BaseView):
    """Form, preview and confirmation of a change to an engaged dossier's contract."""

    read_roles = CHANGE_ROLES
    url_path = ""
    form_class = None
    form_template = preview_template = ""
    done_message = ""

    def __init__(self, model=None, name=None, category=None, endpoint=None):
        # Registered through VIEW_MODULES like the model views (model, name, category, endpoint).
        super().__init__(name=name, category=category, endpoint=endpoint, url=self.url_path)

    def is_visible(self):
        return False

    def preview(self, dossier, inputs):
        raise NotImplementedError

    def apply(self, dossier, inputs, user):
        """Record the change; returns the credit note issued, if any."""
        raise NotImplementedError

    def _dossier(self, dossier_id):
        dossier = Dossier.get_or_none(Dossier.id == dossier_id)
        if dossier is None:
            abort(404)
        return dossier

    def _form_page(self, dossier, form, status=200, error=None):
        return self.render(self.form_template, dossier=dossier, form=form, error=error,
                           back_url=url_for("dossier.details_view", id=dossier.id)), status

    @expose("/")
    def index(self):
        """No page of its own: changes start from a dossier."""
        return redirect(url_for("dossier.index_view"))

    @expose("/<int:dossier_id>/", methods=["GET", "POST"])
    def declare(self, dossier_id):
        """GET: the form; POST: the preview (nothing written)."""
        dossier = self._dossier(dossier_id)
        form = self.form_class()
        if request.method == "GET":
            return self._form_page(dossier, form)
        if not form.validate():
            return self._form_page(dossier, form, 400)
        try:
            preview = self.preview(dossier, form.inputs())
        except RuptureError as exc:
            return self._form_page(dossier, form, 400, str(exc))
        return self.render(self.preview_template, dossier=dossier, form=form, preview=preview,
                           kind_labels=dict(Installment.kind.choices), status_labels=dict(Installment.status.choices))

    @expose("/<int:dossier_id>/confirmer", methods=["POST"])
    def confirm(self, dossier_id):
        dossier = self._dossier(dossier_id)
        form = self.form_class()
        if not form.validate():
            return self._form_page(dossier, form, 400)
        try:
            credit_note = self.apply(dossier, form.inputs(), current_user._get_current_object())
        except (DocumentError, RuptureError, CreditNoteError) as exc:
            return self._form_page(dossier, form, getattr(exc, "status", 400), str(exc))
        message = self.done_message.format(number=dossier.number)
        if credit_note is not None:
            message += f" Avoir {credit_note.display_number} émis."
        flash(message, "success")
        return redirect(url_for("dossier.details_view", id=dossier.id))


class RuptureView(DossierChangeView):
    url_path = "/admin/rupture"
    form_class = RuptureForm
    form_template, preview_template = "admin/rupture_form.html", "admin/rupture_preview.html"
    done_message = "Rupture du dossier {number} enregistrée ; échéancier recalculé et courrier envoyé au CFA."

    def preview(self, dossier, inputs):
        return rupture_preview(dossier, **inputs)

    def apply(self, dossier, inputs, user):
        return confirm_rupture(dossier, user=user, **inputs)[1]


class AmendmentView(DossierChangeView):
    """Amendment (*avenant*) recorded by the OPCO: the signed PDF is required, as on the portal."""

    url_path = "/admin/avenant"
    form_class = AmendmentForm
    form_template, preview_template = "admin/rupture_amendment_form.html", "admin/rupture_amendment_preview.html"
    done_message = "Avenant du dossier {number} enregistré ; échéancier recalculé et courrier envoyé au CFA."

    def preview(self, dossier, inputs):
        return amendment_preview(dossier, **inputs)

    def apply(self, dossier, inputs, user):
        return confirm_amendment(dossier, file_storage=request.files.get("document"), user=user, **inputs)[1]


VIEWS = [(RuptureView, Rupture, "Rupture", None), (AmendmentView, Amendment, "Avenant", None)]
