"""A request id for every request: taken from a sane incoming `X-Request-ID` (set by the reverse proxy, so one id
follows a request from the proxy's log to ours), otherwise a new one; on `flask.g`, in the `X-Request-ID` response
header (gunicorn's access log prints it from there) and in every log record written while the request runs."""
import logging
import re
import uuid

from flask import g, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
# A token that cannot split a log line or a header, nor inflate either: anything else is replaced, not cleaned.
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOG_FORMAT = "[%(asctime)s] %(levelname)s [%(request_id)s] in %(module)s: %(message)s"


def request_id_for(incoming):
    """The incoming id when it is a sane token, else a fresh uuid4 (hex)."""
    if incoming and SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id():
    """This request's id, or "-" outside a request (CLI commands, worker start-up)."""
    if has_request_context():
        return g.get("request_id", "-")
    return "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record it sees, so a format may print `%(request_id)s` (gunicorn.conf.py's
    handlers use it too)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


_FILTER = RequestIdFilter()


def init_request_id(app):
    """Hooks on the app: the id is set before any other hook runs and returned on every response."""

    def _assign():
        g.request_id = request_id_for(request.headers.get(HEADER))

    app.before_request_funcs.setdefault(None, []).insert(0, _assign)

    @app.after_request
    def _return_it(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    app.logger.addFilter(_FILTER)  # records of the app's own logger, whichever handler writes them
    default_handler.addFilter(_FILTER)  # one instance: the logger and handler are shared by every app built
    default_handler.setFormatter(logging.Formatter(LOG_FORMAT))
