"""Back-office ruptures (/admin/rupture/) and amendments (/admin/avenant/) of engaged dossiers.

What a CFA declares or requests from the portal waits here: the index of each view lists it (declared
ruptures to confirm, amendment requests to instruct), and its page shows the same preview as the portal,
recomputed now, with the decision buttons. Staff may also record a rupture or an amendment directly
(/admin/rupture/<dossier_id>/, /admin/avenant/<dossier_id>/, reached from the dossier page): form →
preview → confirmation, re-validated and recomputed server-side. Conseillers and administrators only.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from forms.rupture import AmendmentForm, RuptureForm
from models import Amendment, Document, Dossier, Installment, Organisation, Rupture
from workflows.amendments import (AMENDMENT_MACHINE, agree_amendment, amendment_preview, confirm_amendment,
                                 pending_amendment, refuse_amendment, request_preview)
from workflows.credit_notes import CreditNoteError
from workflows.documents import DocumentError
from views.downloads import document_response
from workflows.ruptures import (RUPTURE_MACHINE, RuptureError, confirm_declared_rupture, confirm_rupture,
                               declared_preview, declared_rupture, rupture_preview)
from models.states import AmendmentState, RuptureState
from workflows.transitions import TransitionRefused

from .base import StaffAccessMixin

class DossierChangeView(StaffAccessMixin, BaseView):
    """Form, preview and confirmation of a change to an engaged dossier's contract."""

    read_permission = "dossier.instruct"
    url_path = ""
    form_class = None
    form_template = preview_template = ""
    done_message = ""

    def __init__(self, model=None, name=None, category=None, endpoint=None):
        # Registered through VIEW_MODULES like the model views (model, name, category, endpoint).
        super().__init__(name=name, category=category, endpoint=endpoint, url=self.url_path)

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

    def _labels(self):
        return dict(kind_labels=dict(Installment.kind.choices), status_labels=dict(Installment.status.choices))

    def _details(self, dossier):
        return redirect(url_for("dossier.details_view", id=dossier.id))

    def _waiting(self, model):
        """What the CFAs declared or requested and the OPCO has not decided yet, oldest first."""
        return list(model.select(model, Dossier, Organisation).join(Dossier).join(Organisation)
                    .where(model.state == self.waiting_state).order_by(model.created_at, model.id))

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
    waiting_state = RuptureState.DECLARED

    def preview(self, dossier, inputs):
        return rupture_preview(dossier, **inputs)

    def apply(self, dossier, inputs, user):
        return confirm_rupture(dossier, user=user, **inputs)[1]

    @expose("/")
    def index(self):
        """Ruptures declared by the CFAs, waiting for a conseiller to confirm them."""
        return self.render("admin/rupture_waiting.html", ruptures=self._waiting(Rupture), machine=RUPTURE_MACHINE)

    def _declared(self, dossier):
        rupture = declared_rupture(dossier)
        if rupture is None:
            flash(f"Aucune rupture déclarée n'attend de confirmation sur le dossier {dossier.number}.", "warning")
        return rupture

    @expose("/<int:dossier_id>/declaration")
    def declaration(self, dossier_id):
        """The declared rupture with its preview, recomputed now, and the confirmation button."""
        dossier = self._dossier(dossier_id)
        rupture = self._declared(dossier)
        if rupture is None:
            return self._details(dossier)
        preview, error = None, None
        try:
            preview = declared_preview(rupture)
        except RuptureError as exc:
            error = str(exc)
        return self.render("admin/rupture_declared.html", dossier=dossier, rupture=rupture, preview=preview,
                           error=error, machine=RUPTURE_MACHINE, **self._labels())

    @expose("/<int:dossier_id>/valider", methods=["POST"])
    def confirm_declared(self, dossier_id):
        dossier = self._dossier(dossier_id)
        rupture = self._declared(dossier)
        if rupture is None:
            return self._details(dossier)
        if request.form.get("rupture_id") != str(rupture.id):
            flash("La rupture déclarée a changé depuis l'affichage de la page : vérifiez-la à nouveau.", "error")
            return redirect(self.get_url(".declaration", dossier_id=dossier.id))
        try:
            _, credit_note, _ = confirm_declared_rupture(rupture, current_user._get_current_object())
        except (RuptureError, CreditNoteError, TransitionRefused) as exc:
            flash(f"Confirmation impossible : {exc}", "error")
            return redirect(self.get_url(".declaration", dossier_id=dossier.id))
        message = (f"Rupture du dossier {dossier.number} confirmée ; échéancier recalculé et courrier envoyé "
                   "au CFA.")
        if credit_note is not None:
            message += f" Avoir {credit_note.display_number} émis."
        flash(message, "success")
        return self._details(dossier)


class AmendmentView(DossierChangeView):
    """Amendment (*avenant*) recorded by the OPCO: the signed PDF is required, as on the portal."""

    url_path = "/admin/avenant"
    form_class = AmendmentForm
    form_template, preview_template = "admin/rupture_amendment_form.html", "admin/rupture_amendment_preview.html"
    done_message = "Avenant du dossier {number} enregistré ; échéancier recalculé et courrier envoyé au CFA."

    def preview(self, dossier, inputs):
        return amendment_preview(dossier, **inputs)

    waiting_state = AmendmentState.DEPOSITED

    def apply(self, dossier, inputs, user):
        return confirm_amendment(dossier, file_storage=request.files.get("document"), user=user, **inputs)[1]

    @expose("/")
    def index(self):
        """Amendment requests deposited by the CFAs, waiting for a conseiller's decision."""
        return self.render("admin/amendment_waiting.html", amendments=self._waiting(Amendment),
                           machine=AMENDMENT_MACHINE)

    def _pending(self, dossier):
        amendment = pending_amendment(dossier)
        if amendment is None:
            flash(f"Aucune demande d'avenant n'attend de décision sur le dossier {dossier.number}.", "warning")
        return amendment

    def _request_page(self, dossier, amendment, status=200, error=None):
        preview = None
        try:
            preview = request_preview(amendment)
        except RuptureError as exc:
            error = error or str(exc)
        return self.render("admin/amendment_request.html", dossier=dossier, amendment=amendment, preview=preview,
                           error=error, machine=AMENDMENT_MACHINE, reason=request.form.get("reason", ""),
                           **self._labels()), status

    @expose("/<int:dossier_id>/demande")
    def request_view(self, dossier_id):
        """The deposited request with the same preview as the portal (recomputed now) and the decisions."""
        dossier = self._dossier(dossier_id)
        amendment = self._pending(dossier)
        if amendment is None:
            return self._details(dossier)
        return self._request_page(dossier, amendment)

    @expose("/<int:dossier_id>/demande/avenant.pdf")
    def request_document(self, dossier_id):
        """The signed avenant of the pending request (download logged)."""
        amendment = pending_amendment(self._dossier(dossier_id))
        document = Document.get_or_none(Document.id == amendment.document_id) if amendment else None
        if document is None:
            abort(404)
        return document_response(document, user=current_user._get_current_object())

    def _decide(self, dossier_id, decide, done):
        dossier = self._dossier(dossier_id)
        amendment = self._pending(dossier)
        if amendment is None:
            return self._details(dossier)
        if request.form.get("amendment_id") != str(amendment.id):
            flash("La demande d'avenant a changé depuis l'affichage de la page : vérifiez-la à nouveau.", "error")
            return redirect(self.get_url(".request_view", dossier_id=dossier.id))
        try:
            message = decide(amendment, current_user._get_current_object())
        except (RuptureError, CreditNoteError, TransitionRefused) as exc:
            return self._request_page(dossier, amendment, 400, f"Décision impossible : {exc}")
        flash(done.format(number=dossier.number) + message, "success")
        return self._details(dossier)

    @expose("/<int:dossier_id>/accorder", methods=["POST"])
    def agree(self, dossier_id):
        def decide(amendment, user):
            credit_note = agree_amendment(amendment, user)[1]
            return f" Avoir {credit_note.display_number} émis." if credit_note else ""
        return self._decide(dossier_id, decide, "Avenant du dossier {number} accordé ; échéancier recalculé et "
                                                "courrier envoyé au CFA.")

    @expose("/<int:dossier_id>/refuser", methods=["POST"])
    def refuse(self, dossier_id):
        def decide(amendment, user):
            refuse_amendment(amendment, user, request.form.get("reason", ""))
            return ""
        return self._decide(dossier_id, decide, "Demande d'avenant du dossier {number} refusée ; le CFA est "
                                                "informé du motif.")


VIEWS = [(RuptureView, Rupture, "Ruptures déclarées", "Dossiers"),
         (AmendmentView, Amendment, "Avenants à instruire", "Dossiers")]
