"""Background jobs on Huey, on both backends (a SQLite file and Redis on 127.0.0.1:6379): jobs queued only once
their transaction commits, run by a real consumer (threads in the test, and `huey_consumer app.huey` as `make
worker` runs it), retried when they fail without losing the outbox or delivery row, and the periodic tasks that
replace the cron lines registered on Paris time."""
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import models
from commands import tasks
from infrastructure import jobs
from tests.smtp import smtp_server  # noqa: F401  (the fixture)
from tests.webhook_receiver import Receiver
from workflows import webhooks
from workflows.notify import send_email
from workflows.state_machines import DOSSIER
from workflows.transitions import apply

ROOT = Path(__file__).resolve().parent.parent
REDIS_TEST_URL = "redis://127.0.0.1:6379/11"  # a database of its own; each test's queue has a unique name too
UTC = dt.timezone.utc


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, app, tmp_path):
    """The app's queue on one backend, empty; put back as the session's app had it afterwards."""
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "JOBS_DATABASE", "JOBS_QUEUE_NAME")}
    name = f"portail-test-{uuid.uuid4().hex[:10]}"
    if request.param == "redis":
        app.config.update(REDIS_URL=REDIS_TEST_URL, JOBS_QUEUE_NAME=name)
    else:
        app.config.update(REDIS_URL="", JOBS_DATABASE=str(tmp_path / "jobs.db"), JOBS_QUEUE_NAME=name)
    huey = jobs.init_app(app)
    assert jobs.backend_name() == {"sqlite": "SQLite", "redis": "Redis"}[request.param]
    yield huey
    huey.immediate = False
    huey.storage.flush_all()
    app.config.update(saved)
    jobs.init_app(app)


class Worker:
    """A real Huey consumer in threads of the test (what `make worker` runs), polling every 0.1 s."""

    def __init__(self, huey, workers=2):
        self.consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                             initial_delay=0.05, max_delay=0.2, scheduler_interval=1,
                                             check_worker_health=False)
        self.consumer._set_signal_handlers = lambda: None  # pytest keeps its own

    def __enter__(self):
        self.consumer.start()
        return self

    def __exit__(self, *exc):
        self.consumer.stop(graceful=True)


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def queued(huey):
    return [(t.name, t.args) for t in huey.pending()]


def outbox(row_id):
    return models.OutboxEmail.get_by_id(row_id)


# --- after commit ---------------------------------------------------------------------------------------------

def test_an_email_is_queued_when_its_transaction_commits_never_before(queue, db):
    with db.atomic():
        row = send_email("cfa@example.test", "Dossier engagé", "Bonjour")
        assert queued(queue) == []  # the worker could not see the row yet
    assert queued(queue) == [("send_outbox_email", (row.id,))]


def test_outside_a_transaction_the_email_is_queued_at_once(queue, db):
    row = send_email("cfa@example.test", "Dossier engagé", "Bonjour")  # autocommit: already visible
    assert queued(queue) == [("send_outbox_email", (row.id,))]


def test_nothing_is_queued_for_a_rolled_back_transaction_nor_a_rolled_back_savepoint(queue, db):
    with pytest.raises(RuntimeError):
        with db.atomic():
            send_email("cfa@example.test", "Annulé", "…")
            raise RuntimeError("the change fails")
    assert queued(queue) == [] and models.OutboxEmail.select().count() == 0

    with db.atomic():
        try:
            with db.atomic():  # a nested step that fails and is caught: its savepoint is rolled back
                send_email("cfa@example.test", "Annulé aussi", "…")
                raise RuntimeError
        except RuntimeError:
            pass
        kept = send_email("cfa@example.test", "Gardé", "…")
    assert queued(queue) == [("send_outbox_email", (kept.id,))]
    assert [r.subject for r in models.OutboxEmail.select()] == ["Gardé"]


def test_events_of_one_transaction_queue_one_webhook_job(queue, db, factory):
    org = factory.organisation()
    models.WebhookEndpoint.create(organisation=org.id, url="https://cfa.example.test/hook", secret="whsec_x",
                                  description="", active=True)
    with db.atomic():
        for number in range(3):
            webhooks.emit(org.id, "dossier.etat", {"numeroInterneDossier": number})
    assert queued(queue) == [("deliver_webhooks", ())]
    assert models.WebhookDelivery.select().count() == 3


def test_a_queue_that_cannot_be_reached_loses_nothing_the_sweep_sends_it(app, db, smtp_server):  # noqa: F811
    """Redis down when the change commits: the change stands, the email stays in the outbox for the sweep."""
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    jobs.init_app(app)
    try:
        with db.atomic():
            row = send_email("cfa@example.test", "Facture validée", "Bonjour")
    finally:
        app.config["REDIS_URL"] = saved
        jobs.init_app(app)
    assert outbox(row.id).sent_at is None
    assert smtp_server.messages == []

    jobs.huey.immediate = True
    try:
        tasks.sweep_outbox()
    finally:
        jobs.huey.immediate = False
    assert outbox(row.id).sent_at is not None
    assert [m["Subject"] for _, m in smtp_server.messages] == ["Facture validée"]


# --- immediate mode -------------------------------------------------------------------------------------------

def test_in_immediate_mode_the_email_leaves_when_the_transaction_commits(queue, db, smtp_server):  # noqa: F811
    queue.immediate = True
    with db.atomic():
        row = send_email("cfa@example.test", "Récépissé", "Bonjour")
        assert smtp_server.messages == []
    assert [(to, m["Subject"]) for to, m in smtp_server.messages] == [(["cfa@example.test"], "Récépissé")]
    assert outbox(row.id).sent_at is not None and outbox(row.id).attempts == 1


def test_in_immediate_mode_the_hourly_purge_forgets_idempotency_records_older_than_a_day(queue, db):
    old = models.IdempotencyRecord.create(key="k-old", fingerprint="f",
                                          created_at=dt.datetime.now() - dt.timedelta(hours=25))
    fresh = models.IdempotencyRecord.create(key="k-new", fingerprint="f",
                                            created_at=dt.datetime.now() - dt.timedelta(hours=23))
    queue.immediate = True
    tasks.purge_idempotency_records()
    assert [r.key for r in models.IdempotencyRecord.select()] == [fresh.key]
    assert models.IdempotencyRecord.get_or_none(models.IdempotencyRecord.key == old.key) is None


# --- a real consumer ------------------------------------------------------------------------------------------

def test_the_worker_sends_an_email_queued_by_a_request(queue, client, factory, smtp_server, app):  # noqa: F811
    """The forgotten-password form writes its email; the worker sends it (no after-request send: the web
    process has no MAIL_SERVER, the worker does — the same app configuration otherwise)."""
    user = factory.cfa_user(email="oubli@cfa.test")
    mail_server = app.config["MAIL_SERVER"]
    app.config["MAIL_SERVER"] = ""
    response = client.post_form("/mot-de-passe-oublie", {"email": user.email})
    assert response.status_code in (200, 302)
    [(name, (row_id,))] = queued(queue)
    assert name == "send_outbox_email" and outbox(row_id).sent_at is None

    app.config["MAIL_SERVER"] = mail_server
    with Worker(queue):
        assert wait_for(lambda: outbox(row_id).sent_at is not None)
    [(to, message)] = smtp_server.messages
    assert to == ["oubli@cfa.test"] and message["Subject"] == outbox(row_id).subject


def test_a_failing_email_job_is_retried_and_the_row_stays_until_it_is_sent(queue, db, smtp_server, monkeypatch):  # noqa: F811,E501
    monkeypatch.setattr(tasks.send_outbox_email.task_class, "default_retry_delay", 0.1)
    smtp_server.refuse = True  # 451 to every message
    with db.atomic():
        row = send_email("cfa@example.test", "Avis de paiement", "Bonjour")
    def failed_again():  # one read: a retry may be claiming the row at any moment
        state = outbox(row.id)
        return state if state.attempts >= 2 and state.claimed_at is None else None

    with Worker(queue):
        failing = wait_for(failed_again)  # failed, then retried by Huey, and failed again
        assert failing and failing.sent_at is None and "451" in failing.last_error
        smtp_server.refuse = False
        assert wait_for(lambda: outbox(row.id).sent_at is not None)
    sent = outbox(row.id)
    assert sent.last_error is None and sent.attempts >= 2
    assert [m["Subject"] for _, m in smtp_server.messages] == ["Avis de paiement"]  # sent once


def test_the_worker_delivers_a_webhook_queued_by_a_state_change(queue, app, db, factory):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    org = factory.organisation(name="CFA Ouest")
    with Receiver() as receiver:
        endpoint = models.WebhookEndpoint.create(organisation=org.id, url=receiver.url, secret="whsec_test",
                                                 description="Logiciel", active=True)
        dossier = factory.dossier(organisation=org, state="recu")
        apply(DOSSIER, "instruire", dossier, factory.staff("conseiller"))
        assert queued(queue) == [("deliver_webhooks", ())]
        with Worker(queue):
            assert wait_for(lambda: models.WebhookDelivery.get().state == "delivered")
    [got] = receiver.requests
    assert got["headers"]["X-Portail-Event"] == "dossier.etat"
    assert models.WebhookDelivery.get().endpoint_id == endpoint.id


def test_huey_consumer_runs_the_apps_queue_as_make_worker_does(queue, app, db, smtp_server, database_url, tmp_path):  # noqa: F811,E501
    """`huey_consumer app.huey` in its own process, configured by the environment like the web app."""
    with db.atomic():
        row = send_email("cfa@example.test", "Bienvenue", "Bonjour")
    assert queued(queue) == [("send_outbox_email", (row.id,))]
    db.close()
    env = dict(os.environ, DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "worker"), SECRET_KEY="test-secret",
               REDIS_URL=app.config["REDIS_URL"], JOBS_DATABASE=app.config["JOBS_DATABASE"] or "",
               JOBS_QUEUE_NAME=app.config["JOBS_QUEUE_NAME"], MAIL_SERVER="127.0.0.1",
               MAIL_PORT=str(app.config["MAIL_PORT"]), PYTHONPATH=str(ROOT))
    consumer = Path(sys.executable).parent / "huey_consumer"
    worker = subprocess.Popen([str(consumer), "app.huey", "-w", "1", "-k", "thread", "-d", "0.1", "-m", "0.5"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: smtp_server.messages, seconds=60), "the worker sent nothing"
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    db.connect(reuse_if_open=True)
    assert [m["Subject"] for _, m in smtp_server.messages] == ["Bienvenue"], output
    assert wait_for(lambda: outbox(row.id).sent_at is not None, seconds=10)


# --- periodic tasks -------------------------------------------------------------------------------------------

def test_the_cron_lines_are_periodic_tasks_on_paris_time(queue):
    schedules = {t.name: t.schedule.crontab for t in (tasks.sweep_outbox, tasks.sweep_webhooks,
                                                       tasks.overdue_credit_notes, tasks.warn_api_keys,
                                                       tasks.daily_digest, tasks.purge_idempotency_records,
                                                       tasks.refresh_planner_statistics, tasks.sweep_exports)}
    assert schedules == {"sweep_outbox": "*/5 * * * *", "sweep_webhooks": "* * * * *",
                         "overdue_credit_notes": "30 6 * * *", "warn_api_keys": "45 6 * * *",
                         "daily_digest": "0 7 * * *", "purge_idempotency_records": "10 * * * *",
                         "refresh_planner_statistics": "15 3 * * *", "sweep_exports": "*/15 * * * *"}
    registered = {t.name for t in queue._registry.periodic_tasks}
    assert registered == set(schedules)

    def due(utc):  # what the consumer's scheduler queues at that minute (Huey's clock is naive UTC)
        return sorted(t.name for t in queue.read_periodic(utc))

    every_quarter = ["sweep_exports"]
    assert due(dt.datetime(2026, 1, 15, 6, 0)) == ["daily_digest", *every_quarter, "sweep_outbox",
                                                   "sweep_webhooks"]  # 07:00 CET
    assert due(dt.datetime(2026, 7, 15, 5, 0)) == ["daily_digest", *every_quarter, "sweep_outbox",
                                                   "sweep_webhooks"]  # 07:00 CEST
    assert "daily_digest" not in due(dt.datetime(2026, 1, 15, 7, 0))
    assert due(dt.datetime(2026, 1, 15, 5, 30)) == ["overdue_credit_notes", *every_quarter, "sweep_outbox",
                                                    "sweep_webhooks"]
    assert due(dt.datetime(2026, 1, 15, 5, 45)) == [*every_quarter, "sweep_outbox", "sweep_webhooks",
                                                    "warn_api_keys"]
    assert due(dt.datetime(2026, 1, 15, 13, 10)) == ["purge_idempotency_records", "sweep_outbox", "sweep_webhooks"]
    assert due(dt.datetime(2026, 1, 15, 13, 11)) == ["sweep_webhooks"]
    assert due(dt.datetime(2026, 1, 15, 2, 15)) == ["refresh_planner_statistics", "sweep_exports", "sweep_outbox",
                                                   "sweep_webhooks"]


def test_the_nightly_task_gives_the_planner_its_statistics(queue, db, factory):
    factory.dossier()
    tasks.refresh_planner_statistics()
    if models.is_postgres():
        analysed = db.execute_sql("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'dossier'")
        assert analysed.fetchone()[0] is not None
    else:
        assert db.execute_sql("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0


def test_failing_tasks_are_retried(queue):
    assert (tasks.send_outbox_email.retries, tasks.send_outbox_email.retry_delay) == (8, 30)
    assert tasks.deliver_webhooks.retries == 3
    assert all(t.retries >= 2 for t in queue._registry.periodic_tasks)


def test_the_daily_digest_task_writes_and_sends_the_digest(queue, db, factory, smtp_server):  # noqa: F811
    org = factory.organisation()
    user = factory.cfa_user(org, email="digest@cfa.test")
    models.User.update(daily_digest=True).where(models.User.id == user.id).execute()
    models.Notification.create(organisation=org.id, user=user.id, message="Dossier engagé", category="dossier")
    queue.immediate = True
    tasks.daily_digest()
    [(to, message)] = smtp_server.messages  # written to the outbox, queued at commit, sent
    assert to == [user.notices_address] and "1 nouvelle(s) notification(s)" in message["Subject"]
