"""gunicorn settings for Portail CFA: `make serve`, or `gunicorn -c gunicorn.conf.py "app:create_app()"`.

Every value may be changed by the environment below (or on the command line, which wins).

- workers = WEB_CONCURRENCY (default 2, this machine's cores): each worker is a process with its own database
  connection; on PostgreSQL count about (2 × cores) per machine, on SQLite keep few (one writer at a time).
- worker_class gthread, THREADS (default 4) per worker: a slow page or a long export holds one thread, not the
  whole worker, so /healthz and quick pages still answer beside it.
- timeout 300 s (TIMEOUT): gunicorn's default worker (sync, 30 s) killed the worker serving a 1M-dossier CSV
  export at 30.9 s, and a 49 s page with no answer at all. Under gthread the timeout watches the worker's main
  loop, which keeps beating while its threads work: a slow page or a long streamed export runs to its end, and
  only a worker frozen as a whole (the loop blocked for 300 s) is killed — logged as "WORKER TIMEOUT", then
  replaced, never silently. 300 s also covers such an export if the worker class is changed back to sync.
  Every request's duration is in the access log, so slow pages show there.
- graceful_timeout = timeout: a worker retired (max_requests below) or stopped (SIGTERM on deploy) finishes the
  requests under way before it exits, a long export included; with nothing under way it exits at once.
- max_requests 1000 + jitter 100: each worker is replaced after about a thousand requests, one at a time, so a
  slow memory growth (PDF rendering, caches) never builds up, and workers do not all restart together.
- keepalive 5 s: behind a reverse proxy that reuses its connections.
- no request ends unseen: the hooks below give every request its id before the app runs (the same
  `X-Request-ID` as views/request_id.py), log a warning for any request slower than SLOW_REQUEST_SECONDS
  (default 10 s) once it ends, and, if a worker is ever killed (timeout → SIGABRT, or stopped with requests
  under way), log an error naming each request it was serving — id, method, path, time spent — so the cut
  request can be found in the access log of the proxy and in ours. A client whose worker died gets the proxy's
  502/504, never a half-sent page taken for a whole one (the streamed exports end without their last line).
- access log on stdout with the request id (the `X-Request-ID` response header, see views/request_id.py) and
  the time taken in milliseconds; the application's own log records carry the same id.
"""
import os
import threading
import time
import uuid

try:
    from views.request_id import HEADER as REQUEST_ID_HEADER, request_id_for
except ImportError:  # gunicorn run outside the project root: same rule, inline
    REQUEST_ID_HEADER = "X-Request-ID"

    def request_id_for(incoming):
        return incoming or uuid.uuid4().hex

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
timeout = int(os.environ.get("TIMEOUT", "300"))
graceful_timeout = timeout
keepalive = 5
max_requests = 1000
max_requests_jitter = 100
# gunicorn ≥ 25's control socket lives in $HOME: two instances on one machine (tests, benches) would fight over it,
# and nothing here uses it (ignored by older versions).
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s [%({x-request-id}o)s] "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# One dictConfig for all: gunicorn's error log and the application's records (root logger, the request id on each)
# on stderr, the access log on stdout. Each logger writes once (no propagation to the root's handler).
_level = os.environ.get("LOG_LEVEL", "info").upper()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "views.request_id.RequestIdFilter"}},
    "formatters": {
        "app": {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] [%(request_id)s] %(name)s: %(message)s"},
        "gunicorn": {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "app": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "app",
                "filters": ["request_id"]},
        "gunicorn": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "gunicorn"},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
    },
    "root": {"level": _level, "handlers": ["app"]},
    "loggers": {
        "gunicorn.error": {"level": _level, "handlers": ["gunicorn"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}


SLOW_REQUEST_SECONDS = float(os.environ.get("SLOW_REQUEST_SECONDS", "10"))


def _in_flight(worker):
    if not hasattr(worker, "in_flight"):
        worker.in_flight = {}  # thread id → (request id, "METHOD path", start)
    return worker.in_flight


def pre_request(worker, req):
    """Fix the request's id here (the app keeps a sane incoming one) so the worker's own logs can name it."""
    incoming = next((value for name, value in req.headers if name.upper() == REQUEST_ID_HEADER.upper()), None)
    request_id = request_id_for(incoming)
    req.headers = [(name, value) for name, value in req.headers if name.upper() != REQUEST_ID_HEADER.upper()]
    req.headers.append((REQUEST_ID_HEADER.upper(), request_id))
    _in_flight(worker)[threading.get_ident()] = (request_id, f"{req.method} {req.path}", time.monotonic())


def post_request(worker, req, environ, resp):
    entry = _in_flight(worker).pop(threading.get_ident(), None)
    if entry is None:
        return
    request_id, line, started = entry
    seconds = time.monotonic() - started
    if seconds >= SLOW_REQUEST_SECONDS:
        worker.log.warning("requête lente [%s] %s : %.1f s (statut %s)", request_id, line, seconds,
                           getattr(resp, "status", "?"))


def _log_cut_requests(worker, why):
    for request_id, line, started in list(_in_flight(worker).values()):
        worker.log.error("%s : requête interrompue [%s] %s après %.1f s", why, request_id, line,
                         time.monotonic() - started)


def worker_abort(worker):
    """SIGABRT: the arbiter found the worker silent for `timeout` seconds and kills it."""
    _log_cut_requests(worker, f"WORKER TIMEOUT ({timeout} s)")


def worker_int(worker):
    """SIGINT/SIGQUIT: the worker stops at once (Ctrl-C, immediate shutdown)."""
    _log_cut_requests(worker, "arrêt immédiat du worker")
