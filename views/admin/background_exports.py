"""« Exporter en arrière-plan » on the back-office dossier list, and « Mes exports » where the file is fetched.

The button posts the list's own query string (search, filters, sort); the worker replays it on the same view in a
request context of its own, so the file holds exactly the rows and bytes the synchronous export would send
(SqlCsvExport.sql_csv). The file is served only to the staff user who asked — 404 to anybody else, staff
included — as an attachment, and the download is audited.
"""
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose

from infrastructure.exports import write_csv_file
from infrastructure.storage import get_storage
from workflows import background_exports as exports
from workflows.transitions import TransitionRefused

from .base import StaffAccessMixin

LIST_ARGUMENTS = ("search", "sort", "desc")  # with every flt…: what decides the rows and their order
MAX_PARAMS = 2000


def list_arguments(args):
    """The list's arguments that decide the export's rows, as a query string (page and page size left out)."""
    kept = [(key, value) for key, value in args.items(multi=True) if key in LIST_ARGUMENTS or key.startswith("flt")]
    return urlencode(kept)


class BackgroundExportMixin:
    """For a SqlCsvExport list: a POST that records an ExportRequest and queues its job."""

    export_kind = "dossiers"

    def background_export_scope(self):
        """What the button says it exports: the list's search and filters, or every row."""
        view_args = self._get_list_extra_args()
        parts = []
        if view_args.search:
            parts.append(f"recherche « {view_args.search} »")
        for index, name, value in view_args.filters or ():
            operation = self._filters[index].operation()
            parts.append(f"{name} {operation} « {value} »")
        return ", ".join(parts) if parts else "tous les dossiers"

    @expose("/export/arriere-plan/", methods=("POST",))
    def background_export(self):
        if not self.can_export or self.sql_export_expressions() is None:
            abort(404)
        params = list_arguments(request.args)
        if len(params) > MAX_PARAMS:
            abort(400, "Trop de filtres pour un export en arrière-plan : simplifiez la recherche.")
        description = f"Dossiers (CSV) : {self.background_export_scope()}"
        try:
            exports.request_export(self.actor, self.export_kind, params, description)
        except TransitionRefused as refusal:
            flash(str(refusal), "error")
            abort(403)
        flash("Export demandé : il se prépare en arrière-plan. Retrouvez-le ici dès qu'il est prêt "
              "(la page se met à jour seule).", "success")
        return redirect(url_for("mes_exports.index"))


def _view(endpoint):
    return next(v for v in current_app.extensions["portail_admin"]._views if v.endpoint == endpoint)


def write_dossier_csv(out, row):
    """The worker's side: the dossier list's CSV for the request's arguments, written to `out`; returns the rows."""
    view = _view("dossier")
    with current_app.test_request_context(f"{view.url}/?{row.params}"):
        header, chunks = view.sql_csv()
        write_csv_file(out, header, chunks)
    return chunks.rows


WRITERS = {"dossiers": write_dossier_csv}


def write_export(out, row):
    return WRITERS[row.kind](out, row)


class MyExportsView(StaffAccessMixin, BaseView):
    """« Mes exports »: the signed-in staff user's own requests, with their state and the download link."""

    @expose("/")
    def index(self):
        rows = list(exports.requests_of(self.actor))
        waiting = any(r.state in ("en_attente", "en_cours") for r in rows)
        return self.render("admin/my_exports.html", rows=rows, waiting=waiting, keep_days=exports.KEEP_FILES.days)

    @expose("/<int:request_id>/telecharger")
    def download(self, request_id):
        from views.downloads import attachment_response

        row = exports.downloadable(request_id, self.actor) or abort(404)
        try:
            body = get_storage().stream(row.stored_name)
        except (FileNotFoundError, ValueError):
            abort(404)
        exports.log_export_download(row, self.actor)
        response = attachment_response(body, f"export-dossiers-{row.requested_at:%Y%m%d-%H%M}-{row.id}.csv",
                                       "text/csv; charset=utf-8")
        if row.size is not None:
            response.headers["Content-Length"] = str(row.size)
        return response
