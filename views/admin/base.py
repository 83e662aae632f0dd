"""One base class for every back-office view: staff-only access, CSRF, French exports, audit."""
import datetime as dt
from decimal import Decimal

from flask import abort, flash, g, make_response, redirect, request, session, url_for
from flask_admin import AdminIndexView
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.form import BaseForm
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import SQL, IntegrityError, NodeList
from werkzeug.utils import secure_filename
from wtforms.validators import ValidationError

import models
from access.permissions import can
from models import db, is_postgres
from workflows.audit import record, snapshot
from workflows.deactivation import change_activity
from infrastructure.exports import csv_response, spreadsheet_safe, streamed_rows, xlsx_response
from workflows.transitions import TransitionRefused

from .french import DETAIL_FORMATTERS, EXPORT_FORMATTERS, LIST_FORMATTERS, FrenchModelConverter, model_choices

# Flask-Admin's French catalogue lacks these two flashes; shown as-is they would be in English.
FRENCH_FLASHES = {
    "Failed to create record.": "Enregistrement impossible : corrigez les champs signalés ci-dessous.",
    "Failed to update record.": "Modification impossible : corrigez les champs signalés ci-dessous.",
}


# Money and audit records are cancelled or credited, never erased, whatever the view or the role; a
# delegation is the history of who could see and bill what: it ends, it is not erased.
NEVER_DELETED = (models.Invoice, models.InvoiceLine, models.InvoiceEvent, models.Payment, models.PaymentLine,
                 models.PaymentDeduction, models.CreditNote, models.Installment, models.AuditEntry,
                 models.Delegation)

# How a refusal names the rows that point at a record (singular, plural).
REFERENCE_LABELS = {
    "Organisation": ("établissement rattaché", "établissements rattachés"),
    "Delegation": ("délégation", "délégations"), "User": ("utilisateur", "utilisateurs"),
    "Membership": ("rattachement d'utilisateur", "rattachements d'utilisateurs"),
    "Dossier": ("dossier", "dossiers"), "Installment": ("échéance", "échéances"),
    "Rupture": ("rupture", "ruptures"), "Amendment": ("avenant", "avenants"),
    "ExpiredSettlement": ("solde de dossier échu", "soldes de dossiers échus"),
    "BankDetails": ("RIB", "RIB"), "Invoice": ("facture", "factures"),
    "InvoiceLine": ("ligne de facture", "lignes de facture"),
    "InvoiceEvent": ("événement de facture", "événements de facture"), "CreditNote": ("avoir", "avoirs"),
    "Payment": ("règlement", "règlements"), "PaymentLine": ("ligne de règlement", "lignes de règlement"),
    "PaymentDeduction": ("déduction d'avoir", "déductions d'avoir"), "Document": ("pièce jointe", "pièces jointes"),
    "Letter": ("courrier", "courriers"), "Notification": ("notification", "notifications"),
    "ContractProposal": ("proposition de contrat", "propositions de contrat"),
    "ProposalStep": ("étape de proposition", "étapes de proposition"), "ApiKey": ("clé d'API", "clés d'API"),
    "AuditEntry": ("entrée du journal d'audit", "entrées du journal d'audit"),
}


def references(instance):
    """[(model, rows)] of every table whose foreign keys point at `instance` (any on_delete)."""
    by_model = {}
    for field in type(instance)._meta.backrefs:
        by_model.setdefault(field.model, []).append(field)
    found = []
    for model in models.MODELS:
        fields = by_model.get(model)
        if not fields:
            continue
        condition = fields[0] == instance.id
        for field in fields[1:]:
            condition |= field == instance.id
        rows = model.select().where(condition).count()
        if rows:
            found.append((model, rows))
    return found


def describe_references(found):
    """'2 dossiers, 1 facture' for a French refusal."""
    parts = []
    for model, rows in found:
        singular, plural = REFERENCE_LABELS.get(model.__name__, (model._meta.table_name, model._meta.table_name))
        parts.append(f"{rows} {singular if rows == 1 else plural}")
    return ", ".join(parts)


def _frenchify_flashes():
    """Rewrite pending English flashes before the page displays them."""
    pending = session.get("_flashes")
    if pending and any(message in FRENCH_FLASHES for _, message in pending):
        session["_flashes"] = [(category, FRENCH_FLASHES.get(message, message)) for category, message in pending]


def no_index(column):
    """`+column`: the same value, but the planner may not reach the table through that column's index (a list
    ordered by id must not start from the few organisations and sort every row they hold)."""
    return NodeList((SQL("+"), column), glue="")


class AdminForm(BaseForm):
    """Flask-Admin form carrying Flask-WTF's CSRF token, so CSRFProtect accepts admin POSTs."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return BaseForm.Meta._translations


def staff_denied():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


class StaffAccessMixin:
    """Who may open the view: `read_permission` of the permission map (access/permissions.py)."""

    read_permission = "backoffice.read"

    @property
    def actor(self):
        """The signed-in staff user, passed to the workflows and written in the audit log."""
        if not current_user.is_authenticated:
            return None
        return current_user._get_current_object()

    def is_accessible(self):
        return self.allowed(self.read_permission)

    def inaccessible_callback(self, name, **kwargs):
        return staff_denied()

    def allowed(self, permission, obj=None):
        """`can(signed-in user, permission, obj)`; None (no permission declared) is allowed to nobody."""
        return permission is not None and can(self.actor, permission, obj)

    def action_ids(self, permission, ids):
        """A list action's ids as integers, for a user holding `permission`: 403 otherwise, 400 on a bad id."""
        if not self.allowed(permission):
            abort(403)
        try:
            return [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)


class StaffModelView(StaffAccessMixin, ModelView):
    """Read for every staff role; create/edit/delete only with `manage_permission`."""

    form_base_class = AdminForm
    manage_permission = None  # each editable view names its permission
    create_permission = None  # defaults to manage_permission
    deletable = True
    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 0
    page_size = 25
    can_set_page_size = True
    page_size_options = (25, 50, 100)
    audit_entity = None
    column_type_formatters = LIST_FORMATTERS  # amounts, dates jj/mm/aaaa, Oui/Non (infrastructure.formatting)
    column_type_formatters_detail = DETAIL_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    model_form_converter = FrenchModelConverter

    def __init__(self, model, *args, **kwargs):
        # Coded columns show the French label their model field declares, in lists, details and exports.
        self.column_choices = {**model_choices(model), **(type(self).column_choices or {})}
        super().__init__(model, *args, **kwargs)

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        value = super()._get_list_value(context, model, name, column_formatters, column_type_formatters)
        return "" if value is None else value  # an empty coded column (None) would read "None"

    # --- permissions, evaluated per request -------------------------------------------------
    @property
    def can_create(self):
        return self.allowed(self.create_permission if self.create_permission is not None else self.manage_permission)

    @property
    def can_edit(self):
        return self.allowed(self.manage_permission)

    @property
    def can_delete(self):
        return self.deletable and self.allowed(self.manage_permission)

    joined_models = ()  # models get_query() already joins

    def _handle_join(self, query, field, joins):
        model_class = getattr(field, "model", None)
        if model_class in self.joined_models:
            return query
        return super()._handle_join(query, field, joins)

    # --- robustness ------------------------------------------------------------------------
    def _get_column_by_idx(self, idx):
        """A bad ?sort= gives the default order instead of a 500."""
        column = super()._get_column_by_idx(idx)
        if column is None or column[0] not in self._sortable_columns:
            return None
        return column

    def render(self, template, **kwargs):
        """Forms re-displayed with errors answer 400, as all bad input does."""
        _frenchify_flashes()
        html = super().render(template, **kwargs)
        form = kwargs.get("form")
        failed = getattr(g, "admin_save_failed", False)
        if request.method == "POST" and form is not None and (getattr(form, "errors", None) or failed):
            return make_response(html, 400)
        return html

    def scaffold_form(self):
        """Form fields take the French column labels instead of peewee's English field names."""
        args = {name: {"label": str(label)} for name, label in (self.column_labels or {}).items()}
        for name, extra in (self.form_args or {}).items():
            args[name] = {**args.get(name, {}), **extra}
        self.form_args = args
        return super().scaffold_form()

    def search_placeholder(self):
        """Flask-Admin's peewee views would show the word 'None' in the search box."""
        labels = self.column_labels or {}
        names = [str(labels.get(c, c)) for c in self.column_searchable_list or () if isinstance(c, str)]
        return "Rechercher : " + ", ".join(names) if names else "Rechercher"

    def handle_view_exception(self, exc):
        if isinstance(exc, IntegrityError):
            flash("Enregistrement impossible : une valeur unique existe déjà (SIRET, numéro, e-mail…) "
                  "ou l'élément est référencé ailleurs.", "error")
            return True
        return super().handle_view_exception(exc)

    # --- audit in the same transaction -----------------------------------------------------
    def entity_name(self):
        return self.audit_entity or self.model.__name__.lower()

    def audit_note(self, form, model):
        """A note for the audit entry of an edit (what the before/after columns cannot show)."""
        return ""

    def validate_saved(self, model):
        """Checks that need the saved rows (inline forms); raise ValidationError to undo the save."""

    def _checked(self, txn, model):
        try:
            self.validate_saved(model)
        except ValidationError as exc:
            txn.rollback()
            flash(str(exc), "error")
            return False
        return True

    def create_model(self, form):
        with db.atomic() as txn:
            model = super().create_model(form)
            if not model or not self._checked(txn, model):
                txn.rollback()
                g.admin_save_failed = True
                return False
            record(self.entity_name(), model.id, "create", None, snapshot(model), user=self.actor)
        return model

    def update_model(self, form, model):
        before = snapshot(model)
        with db.atomic() as txn:
            if not super().update_model(form, model) or not self._checked(txn, model):
                txn.rollback()
                g.admin_save_failed = True
                return False
            # model.id, not get_id(): for a User, get_id() is the session token (Flask-Login)
            fresh = type(model).get_by_id(model.id)
            after = snapshot(fresh)
            changed_before = {k: v for k, v in before.items() if after.get(k) != v}
            changed_after = {k: after[k] for k in changed_before}
            record(self.entity_name(), model.id, "update", changed_before, changed_after,
                   note=self.audit_note(form, model), user=self.actor)
        return True

    # --- deletion: one guarded function behind every path (row button, details page, bulk action) --------
    fast_mass_delete = False
    details_template = "admin/staff_details.html"  # its delete button posts to delete_view like the list's
    activity = None
    deactivation_hint = ""  # how to take the record out of use instead (views with a deactivation machine)

    def delete_refusal(self, instance):
        """The French reason `instance` may not be deleted by the current user, or None."""
        if isinstance(instance, NEVER_DELETED):
            return (f"« {instance} » ne peut pas être supprimé : les factures, règlements, avoirs, échéances et "
                    f"le journal d'audit sont conservés (annulez la facture ou émettez un avoir).")
        if not self.deletable:
            return f"« {instance} » ne se supprime pas ici."
        if not self.can_delete:
            return "Vous n'avez pas le droit de supprimer cet élément."
        if isinstance(instance, models.User) and instance.id == current_user.id:
            return "Vous ne pouvez pas supprimer votre propre compte."
        found = references(instance)
        if found:
            return (f"Suppression impossible : « {instance} » est référencé par {describe_references(found)}. "
                    f"Rien n'a été supprimé." + (f" {self.deactivation_hint}" if self.deactivation_hint else ""))
        return None

    def guarded_delete(self, instance):
        """Delete one unreferenced row (never in cascade) and audit it in the same transaction; False if refused."""
        model = type(instance)
        with db.atomic() as txn:
            query = model.select().where(model.id == instance.id)
            current = (query.for_update() if is_postgres() else query).first()
            if current is None:
                flash("Cet élément n'existe plus.", "error")
                return False
            refusal = self.delete_refusal(current)
            if refusal:
                txn.rollback()
                flash(refusal, "error")
                return False
            before = snapshot(current)
            try:
                with db.atomic():
                    current.delete_instance(recursive=False)
            except IntegrityError:
                txn.rollback()
                flash(f"Suppression impossible : « {current} » est utilisé par d'autres données. "
                      f"Rien n'a été supprimé.", "error")
                return False
            record(self.entity_name(), current.id, "delete", before, None, user=self.actor)
        return True

    def delete_model(self, model):
        return self.guarded_delete(model)

    @action("delete", "Supprimer", "Supprimer les éléments sélectionnés ? Les éléments utilisés ailleurs sont "
                                   "conservés.")
    def action_delete(self, ids):
        """Flask-Admin's bulk delete cascades and skips delete_model: each id goes through guarded_delete."""
        if not self.can_delete:
            abort(403)
        try:
            ids = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        deleted = 0
        for instance in self.model.select().where(self.model.id.in_(ids)).order_by(self.model.id):
            deleted += bool(self.guarded_delete(instance))
        if deleted:
            flash(f"{deleted} élément(s) supprimé(s).", "success")

    # --- exports: ';' + BOM, streamed ----------------------------------------------------------
    def export_rows(self):
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        sort_column = sort_column[0] if sort_column else None
        _, query = self.get_list(0, sort_column, view_args.sort_desc, view_args.search, view_args.filters,
                                 execute=False, page_size=0)
        yield from streamed_rows(query)  # lazy: runs on the streaming connection, a server-side cursor on PostgreSQL

    def _export_table(self):
        columns = self._export_columns
        header = [str(label) for _, label in columns]
        rows = ([_export_value(self.get_export_value(row, name)) for name, _ in columns] for row in self.export_rows())
        return header, rows

    def _export_csv(self, return_url):
        header, rows = self._export_table()
        return csv_response(secure_filename(self.get_export_name(export_type="csv")), header, rows)

    def _export_tablib(self, export_type, return_url):
        header, rows = self._export_table()
        return xlsx_response(secure_filename(self.get_export_name(export_type="xlsx")), header, rows)


def _export_text(value):
    """Text as typed, never run as a formula in the OPCO's Excel (infrastructure.exports.spreadsheet_safe)."""
    return "" if value is None else spreadsheet_safe(str(value))


def _export_value(value):
    """Amounts, dates, booleans and numbers keep their type (infrastructure.exports formats them per file type)."""
    if isinstance(value, (Decimal, dt.date, bool, int)):
        return value
    return _export_text(value)


class ReadOnlyModelView(StaffModelView):
    """Money and audit records: listed, exported, never created, edited or deleted here."""

    manage_permission = None
    deletable = False


class DeactivationMixin:
    """Deactivate instead of delete: list actions and details buttons run the view's `activity` machine."""

    deactivation_hint = "Désactivez-le plutôt (bouton « Désactiver » de sa fiche ou action de la liste)."

    def is_action_allowed(self, name):
        if self.activity is not None and name in self.activity.transitions:
            return self.allowed(self.manage_permission)
        return super().is_action_allowed(name)

    def activity_buttons(self, model):
        """(name, label) of the transitions open from `model`'s status for the current user."""
        if not self.allowed(self.manage_permission):
            return []
        return [(t.name, t.label) for t in self.activity.available(model, self.actor)]

    def activity_label(self, model):
        return self.activity.label(getattr(model, self.activity.column))

    def is_in_use(self, model):
        return getattr(model, self.activity.column) != self.activity.transitions["desactiver"].to_state

    def _change_activity(self, name, ids):
        ids = self.action_ids(self.manage_permission, ids)
        label = self.activity.transitions[name].label
        done = 0
        for instance in self.model.select().where(self.model.id.in_(ids)).order_by(self.model.id):
            try:
                change_activity(self.activity, name, instance, self.actor)
                done += 1
            except TransitionRefused as exc:
                flash(f"{instance} : {exc}.", "error")
        if done:
            flash(f"{label} : {done} élément(s) traité(s).", "success")

    @action("desactiver", "Désactiver", "Désactiver les éléments sélectionnés ? Ils restent consultables, avec "
                                        "leur historique, et peuvent être réactivés.")
    def action_desactiver(self, ids):
        return self._change_activity("desactiver", ids)

    @action("reactiver", "Réactiver", "Réactiver les éléments sélectionnés ?")
    def action_reactiver(self, ids):
        return self._change_activity("reactiver", ids)


class StaffIndexView(StaffAccessMixin, AdminIndexView):
    pass
