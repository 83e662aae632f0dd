"""One base class for every back-office view: staff-only access, CSRF, French exports, audit."""
import datetime as dt

from flask import abort, flash, g, make_response, redirect, request, session, url_for
from flask_admin import AdminIndexView
from flask_admin.contrib.peewee import ModelView
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import IntegrityError
from werkzeug.utils import secure_filename
from wtforms.validators import ValidationError

from models import db
from services.audit import record, snapshot
from services.exports import csv_response, spreadsheet_safe, xlsx_response
from services.formatting import date_fr, montant

ALL_STAFF = {"conseiller", "comptable", "admin"}

# Flask-Admin's French catalogue lacks these two flashes; shown as-is they would be in English.
FRENCH_FLASHES = {
    "Failed to create record.": "Enregistrement impossible : corrigez les champs signalés ci-dessous.",
    "Failed to update record.": "Modification impossible : corrigez les champs signalés ci-dessous.",
}


def _frenchify_flashes():
    """Rewrite pending English flashes before the page displays them."""
    pending = session.get("_flashes")
    if pending and any(message in FRENCH_FLASHES for _, message in pending):
        session["_flashes"] = [(category, FRENCH_FLASHES.get(message, message)) for category, message in pending]


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
    read_roles = ALL_STAFF

    def is_accessible(self):
        return (current_user.is_authenticated and current_user.kind == "staff"
                and current_user.staff_role in self.read_roles)

    def inaccessible_callback(self, name, **kwargs):
        return staff_denied()

    def has_role(self, roles):
        return current_user.is_authenticated and current_user.kind == "staff" and current_user.staff_role in roles


class StaffModelView(StaffAccessMixin, ModelView):
    """Read for every staff role; create/edit/delete only for `manage_roles`."""

    form_base_class = AdminForm
    manage_roles = {"admin"}
    create_roles = None  # defaults to manage_roles
    deletable = True
    can_view_details = True
    can_export = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 0
    page_size = 25
    can_set_page_size = True
    page_size_options = (25, 50, 100)
    audit_entity = None
    column_type_formatters = None  # set below the class (dates jj/mm/aaaa, Oui/Non)
    column_type_formatters_detail = None

    # --- permissions, evaluated per request -------------------------------------------------
    @property
    def can_create(self):
        return self.has_role(self.create_roles if self.create_roles is not None else self.manage_roles)

    @property
    def can_edit(self):
        return self.has_role(self.manage_roles)

    @property
    def can_delete(self):
        return self.deletable and self.has_role(self.manage_roles)

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
            record(self.entity_name(), model.get_id(), "création", None, snapshot(model))
        return model

    def update_model(self, form, model):
        before = snapshot(model)
        with db.atomic() as txn:
            if not super().update_model(form, model) or not self._checked(txn, model):
                txn.rollback()
                g.admin_save_failed = True
                return False
            fresh = type(model).get_by_id(model.get_id())
            after = snapshot(fresh)
            changed_before = {k: v for k, v in before.items() if after.get(k) != v}
            changed_after = {k: after[k] for k in changed_before}
            record(self.entity_name(), model.get_id(), "modification", changed_before, changed_after)
        return True

    def delete_model(self, model):
        if not self.deletable:
            flash("Cet élément ne peut pas être supprimé.", "error")
            return False
        before = snapshot(model)
        try:
            with db.atomic():
                model.delete_instance(recursive=False)
                record(self.entity_name(), before.get("id"), "suppression", before, None)
        except IntegrityError:
            flash("Suppression impossible : cet élément est utilisé par d'autres données.", "error")
            return False
        return True

    # --- exports: ';' + BOM, streamed ----------------------------------------------------------
    def export_rows(self):
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        sort_column = sort_column[0] if sort_column else None
        _, query = self.get_list(0, sort_column, view_args.sort_desc, view_args.search, view_args.filters,
                                 execute=False, page_size=0)
        yield from query.iterator()  # lazy: runs on the streaming connection

    def _export_table(self):
        columns = self._export_columns
        header = [str(label) for _, label in columns]
        rows = ([_export_text(self.get_export_value(row, name)) for name, _ in columns] for row in self.export_rows())
        return header, rows

    def _export_csv(self, return_url):
        header, rows = self._export_table()
        return csv_response(secure_filename(self.get_export_name(export_type="csv")), header, rows)

    def _export_tablib(self, export_type, return_url):
        header, rows = self._export_table()
        return xlsx_response(secure_filename(self.get_export_name(export_type="xlsx")), header, rows)


def _export_text(value):
    """Text as typed, never run as a formula in the OPCO's Excel (services.exports.spreadsheet_safe)."""
    return "" if value is None else spreadsheet_safe(str(value))


def money_formatter(view, context, model, name):
    return montant(getattr(model, name))


def date_formatter(view, context, model, name):
    return date_fr(getattr(model, name))


def _date_type_formatter(view, value, name):
    return date_fr(value)


def _bool_type_formatter(view, value, name):
    return "Oui" if value else "Non"


StaffModelView.column_type_formatters = {**typefmt.BASE_FORMATTERS, dt.date: _date_type_formatter}
StaffModelView.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, dt.date: _date_type_formatter,
                                                bool: _bool_type_formatter}


class ReadOnlyModelView(StaffModelView):
    """Money and audit records: listed, exported, never created, edited or deleted here."""

    manage_roles = set()
    deletable = False


class StaffIndexView(StaffAccessMixin, AdminIndexView):
    pass
