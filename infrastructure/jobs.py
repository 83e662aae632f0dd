"""Background jobs on Huey: the queue of the emails, webhooks, daily runs and purges (`make worker` consumes it).

One Huey instance for the process, configured from the application by `init_app` (create_app): a SQLite file in
DATA_DIR by default (embedded: nothing more to run), Redis when REDIS_URL is set (several machines share one
queue). Tasks are declared with `task` / `periodic_task` (commands/tasks.py) and run inside an application
context with the database connected. Jobs that depend on a change are queued by `enqueue_after_commit` once the
transaction commits: none runs before its data is visible, none is queued for a rolled-back change.
"""
import datetime as dt
import functools
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import MemoryStorage

import models

# Until init_app runs, jobs go to memory and are never run: importing a task never touches a real queue.
huey = Huey("portail-cfa", storage_class=MemoryStorage, results=False)
TASKS = {}  # name → Huey task, for the lower layers that queue a job by its name
PARIS = ZoneInfo("Europe/Paris")
log = logging.getLogger(__name__)
_app = None


def init_app(app):
    """Point the queue at the app's configuration and run its tasks in that app's context."""
    global _app
    config = app.config
    huey.name = config.get("JOBS_QUEUE_NAME") or "portail-cfa"
    if config.get("REDIS_URL"):
        huey.storage_class = RedisHuey.storage_class
        huey.storage_kwargs = {"url": config["REDIS_URL"]}
    else:
        path = config.get("JOBS_DATABASE") or str(Path(config["DATA_DIR"]) / "jobs.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteHuey.storage_class
        huey.storage_kwargs = {"filename": path}
    huey.storage = huey.create_storage()
    _app = app
    app.extensions["huey"] = huey
    return huey


def backend_name():
    """« Redis » or « SQLite », for the worker's banner and the README's promise."""
    return "Redis" if huey.storage_class is RedisHuey.storage_class else "SQLite"


def _in_app_context(func):
    """Run the task in the configured app's context with the database connected (closed after if opened here)."""
    @functools.wraps(func)
    def run(*args, **kwargs):
        if _app is None:
            raise RuntimeError("infrastructure.jobs.init_app(app) was never called")
        with _app.app_context():
            opened = models.db.connect(reuse_if_open=True)
            try:
                return func(*args, **kwargs)
            finally:
                if opened and not models.db.is_closed():
                    models.db.close()
    return run


def task(retries=8, retry_delay=30, retry_backoff=2, **settings):
    """A queued task (retried with a growing delay: 30 s, 1 min, 2 min … when it raises)."""
    def decorate(func):
        wrapper = huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff,
                            name=func.__name__, **settings)(_in_app_context(func))
        TASKS[func.__name__] = wrapper
        return wrapper
    return decorate


def periodic_task(schedule, retries=2, retry_delay=60, **settings):
    """A task the worker queues itself when `schedule` (see `at`) matches the current minute."""
    def decorate(func):
        wrapper = huey.periodic_task(schedule, retries=retries, retry_delay=retry_delay, name=func.__name__,
                                     **settings)(_in_app_context(func))
        wrapper.schedule = schedule
        TASKS[func.__name__] = wrapper
        return wrapper
    return decorate


def at(minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """A crontab read on Paris time: Huey's clock is UTC, the OPCO's day is Europe/Paris (summer time included)."""
    matches = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)

    def schedule(timestamp):
        moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=dt.timezone.utc)
        return matches(moment.astimezone(PARIS).replace(tzinfo=None))
    schedule.crontab = " ".join(str(v) for v in (minute, hour, day, month, day_of_week))
    return schedule


# --- after commit --------------------------------------------------------------------------------------------

class _Enqueue:
    """One job to queue at commit; equal jobs in one transaction are queued once."""

    def __init__(self, name, args):
        self.name, self.args = name, args

    def __eq__(self, other):
        return isinstance(other, _Enqueue) and (self.name, self.args) == (other.name, other.args)

    def __call__(self):
        try:
            TASKS[self.name](*self.args)
        except Exception:  # the queue is down: the change is committed and its row pending, a sweep will take it
            log.exception("Tâche %s non mise en file (%s) : elle partira au prochain passage périodique",
                          self.name, backend_name())


def enqueue_after_commit(name, *args):
    """Queue task `name` once the current transaction commits (at once outside a transaction); forgotten when
    the transaction — or the savepoint it was asked in (models.make_database) — rolls back."""
    if _app is None or name not in TASKS:  # no queue in this process (a script without the app)
        return None
    job = _Enqueue(name, args)
    database = models.db.obj
    if database is None or database.transaction_depth() == 0:
        return job()
    if job not in database._state.commit_callbacks:
        database.after_commit(job)
