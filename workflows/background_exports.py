"""Exports computed by the worker: asked from a back-office list, written to storage, downloaded from « Mes exports ».

A request moves en_attente → en_cours → prete (or echec, with a French message, while Huey retries it); a
sweep re-queues what a queue that was down never received, fails what a stopped worker left en_cours (never a
silent « en cours ») and purges the files after 7 days (the row stays, expiree). The file is served only to
the staff user who asked; each download is audited.
"""
import datetime as dt
import logging
import os
import tempfile

from access.permissions import can
from infrastructure.jobs import enqueue_after_commit
from models import ExportRequest, db, now
from workflows.audit import record
from workflows.documents import log_download
from workflows.transitions import TransitionRefused

KEEP_FILES = dt.timedelta(days=7)
STUCK_AFTER = dt.timedelta(hours=2)  # far beyond a million dossiers (about 80 s): the worker stopped mid-way
REQUEUE_AFTER = dt.timedelta(minutes=10)  # still en_attente: the queue was down when it was asked
TASK = "build_export"
log = logging.getLogger(__name__)


def request_export(actor, kind, params, description):
    """Record `actor`'s request and queue its job once the row is committed."""
    if not can(actor, "backoffice.read"):
        raise TransitionRefused("Vous n'avez pas accès aux exports du back-office.")
    with db.atomic():
        row = ExportRequest.create(requested_by=actor.id, kind=kind, params=params, description=description[:500])
        record("export_request", row.id, "request", after={"kind": kind, "params": params}, user=actor,
               note=f"Export en arrière-plan demandé : {description}"[:500])
        enqueue_after_commit(TASK, row.id)
    return row


def _claim(request_id):
    """en_attente/echec → en_cours, once: a duplicate job finds nothing to claim and stops."""
    claimed = (ExportRequest.update(state="en_cours", started_at=now(), finished_at=None,
                                    attempts=ExportRequest.attempts + 1)
               .where((ExportRequest.id == request_id) & ExportRequest.state.in_(("en_attente", "echec")))
               .execute())
    return ExportRequest.get_by_id(request_id) if claimed else None


def run_export(request_id, write, storage, last_attempt=True):
    """Write the export of request `request_id` with `write(binary file, row) -> row count` to a temporary file,
    store it and mark it ready. On failure the request is marked failed with a French message and the error is
    raised again, so the queue retries it (`last_attempt` says whether a retry will follow)."""
    row = _claim(request_id)
    if row is None:
        return None
    path = None
    try:
        handle, path = tempfile.mkstemp(prefix="export-", suffix=".csv")
        with os.fdopen(handle, "wb") as out:
            rows = write(out, row)
        name, digest, size = storage.save_file(path, ".csv")
    except Exception as error:
        message = f"L'export a échoué ({type(error).__name__} : {error})"[:900]
        message += (". Il ne sera pas relancé automatiquement : demandez un nouvel export." if last_attempt
                    else ". Une nouvelle tentative est programmée automatiquement.")
        ExportRequest.update(state="echec", error=message, finished_at=now()).where(
            (ExportRequest.id == request_id) & (ExportRequest.state == "en_cours")).execute()
        raise
    finally:
        if path and os.path.exists(path):
            os.unlink(path)
    ExportRequest.update(state="prete", row_count=rows, stored_name=name, sha256=digest, size=size, error=None,
                         finished_at=now()).where(ExportRequest.id == request_id).execute()
    return ExportRequest.get_by_id(request_id)


def sweep_exports(storage, moment=None):
    """Re-queue the forgotten requests, fail the interrupted ones, purge the files older than 7 days.
    Returns (requeued, interrupted, purged)."""
    moment = moment or now()
    waiting = [r.id for r in ExportRequest.select(ExportRequest.id).where(
        (ExportRequest.state == "en_attente") & (ExportRequest.requested_at < moment - REQUEUE_AFTER))]
    for request_id in waiting:
        enqueue_after_commit(TASK, request_id)
    interrupted = (ExportRequest.update(
        state="echec", finished_at=moment,
        error="L'export a été interrompu (le processus de fond s'est arrêté) : demandez un nouvel export.")
        .where((ExportRequest.state == "en_cours") & (ExportRequest.started_at < moment - STUCK_AFTER)).execute())
    purged = 0
    for row in ExportRequest.select().where((ExportRequest.state == "prete")
                                            & (ExportRequest.finished_at < moment - KEEP_FILES)):
        storage.delete(row.stored_name)
        purged += ExportRequest.update(state="expiree", stored_name=None).where(
            (ExportRequest.id == row.id) & (ExportRequest.state == "prete")).execute()
    if waiting or interrupted or purged:
        log.info("Exports : %s relancé(s), %s interrompu(s), %s fichier(s) purgé(s)", len(waiting), interrupted,
                 purged)
    return len(waiting), interrupted, purged


def requests_of(user):
    """« Mes exports »: the user's own requests, newest first."""
    return (ExportRequest.select().where(ExportRequest.requested_by == user.id)
            .order_by(ExportRequest.requested_at.desc(), ExportRequest.id.desc()).limit(100))


def downloadable(request_id, user):
    """The ready request `request_id` if `user` asked for it, else None (the view answers 404, even to staff)."""
    return ExportRequest.get_or_none((ExportRequest.id == request_id) & (ExportRequest.requested_by == user.id)
                                     & (ExportRequest.state == "prete"))


def log_export_download(row, user):
    log_download("export_request", row.id, f"Export en arrière-plan ({row.row_count} ligne(s)) : "
                                           f"{row.description}"[:500], user=user)
