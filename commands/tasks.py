"""The worker's tasks (`make worker`): what cron ran before, each a thin call of its workflow.

Queued after a commit: one outbox email (`send_outbox_email`), the due webhooks (`deliver_webhooks`). Periodic,
on Paris time: the outbox sweep every 5 minutes and the webhooks every minute (what a queued job missed: the
outbox and delivery rows stay pending until sent, they are the source of truth), the overdue credit notes at
06:30, the API-key expiry warnings at 06:45, the daily digest at 07:00, the purge of API idempotency records
every hour, the planner statistics at 03:15, the background exports' sweep every 15 minutes (re-queue,
interrupted runs, files purged after 7 days). Queued after a commit too: one background export (`build_export`). The CLI commands (`send-emails`,
`digest`, …) still run the same workflows by hand.
"""
import datetime as dt
import logging

from flask import current_app

from infrastructure import clock
from infrastructure.jobs import at, periodic_task, task
from infrastructure.mail import drain_outbox, send_one

log = logging.getLogger(__name__)


def _config():
    return current_app.config


@task()
def send_outbox_email(row_id):
    """Send one outbox email; an SMTP failure raises, so Huey retries it (the row stays unsent meanwhile)."""
    return send_one(_config(), row_id)


@task(retries=3, retry_delay=30)
def deliver_webhooks():
    """Send the due webhook deliveries (each one keeps its own back-off in its row)."""
    from workflows.webhooks import deliver_due
    return deliver_due(allow_private=bool(_config().get("WEBHOOK_ALLOW_PRIVATE")))


@task(retries=2, retry_delay=60, context=True)
def build_export(request_id, task=None):
    """Write one background export to storage; a failure marks it failed (French message) and Huey retries it."""
    from infrastructure.storage import get_storage
    from views.admin.background_exports import write_export
    from workflows.background_exports import run_export

    row = run_export(request_id, write_export, get_storage(), last_attempt=task is None or task.retries == 0)
    return row.id if row else None


@periodic_task(at(minute="*/15"))
def sweep_exports():
    """Background exports: re-queue the forgotten ones, fail the interrupted ones, purge files after 7 days."""
    from infrastructure.storage import get_storage
    from workflows.background_exports import sweep_exports as sweep

    return sweep(get_storage())


@periodic_task(at(minute="*/5"))
def sweep_outbox():
    """The emails a queued job did not send (queue down, SMTP refused too long, worker stopped)."""
    sent, failed = drain_outbox(_config())
    if sent or failed:
        log.info("Boîte d'envoi : %s envoyé(s), %s en échec", sent, failed)
    return sent, failed


@periodic_task(at(minute="*"))
def sweep_webhooks():
    """Webhook retries fall due by their back-off: looked for every minute."""
    from workflows.webhooks import deliver_due
    return deliver_due(allow_private=bool(_config().get("WEBHOOK_ALLOW_PRIVATE")))


@periodic_task(at(minute="30", hour="6"))
def overdue_credit_notes():
    """Refund-mode credit notes unpaid after 15 days become overdue and their CFA is told."""
    from workflows.credit_notes import mark_overdue_credit_notes
    return mark_overdue_credit_notes(clock.today())


@periodic_task(at(minute="45", hour="6"))
def warn_api_keys():
    """Warn the administrators OF of each API key expiring within 30 days, once per key."""
    from workflows.api_keys import warn_expiring_keys
    return warn_expiring_keys(dt.datetime.now(), site_url=_config().get("SITE_URL", ""))


@periodic_task(at(minute="0", hour="7"))
def daily_digest():
    """The daily digest of the last 24 hours' unread notifications (its emails are queued as they commit)."""
    from workflows.digest import send_daily_digest
    return send_daily_digest(dt.datetime.now() - dt.timedelta(hours=24), site_url=_config()["SITE_URL"])


@periodic_task(at(minute="10"))
def purge_idempotency_records():
    """API idempotency answers are kept 24 hours."""
    from workflows.api_keys import purge_idempotency_records
    return purge_idempotency_records()


@periodic_task(at(minute="15", hour="3"))
def refresh_planner_statistics():
    """Fresh planner statistics every night: without them SQLite reads a million dossiers the slow way."""
    import models
    return models.refresh_planner_statistics(full=True)
