"""Probes for the process supervisor and the load balancer, outside /portail and without sign-in.

`/healthz`: the process answers (no database: a database outage must not get every worker restarted).
`/readyz`: this instance can serve — database reachable, migrations applied, file storage writable; 503 when
any check fails, so a load balancer sends traffic elsewhere. Both are GET only (no CSRF), never rate limited,
and say nothing secret: a failing check names the error's type, not its message (which may hold a host or path).
"""
from flask import Blueprint, current_app, jsonify

from infrastructure.storage import get_storage
from models.migrations import SCHEMA_VERSION
from models.settings import SchemaVersion

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", **NO_STORE}


@bp.get("/readyz")
def readyz():
    checks = {"database": _check_database, "migrations": _check_migrations, "storage": _check_storage}
    results = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as error:  # noqa: BLE001 — any failure means "not ready", reported, never a 500
            ok, detail = False, type(error).__name__
        if not ok:
            current_app.logger.warning("readyz : %s en échec (%s)", name, detail)
        results[name] = {"ok": ok, "detail": detail}
    ready = all(result["ok"] for result in results.values())
    return jsonify(status="ok" if ready else "unavailable", checks=results), 200 if ready else 503, NO_STORE


def _check_database():
    database = current_app.extensions["database"]
    database.connect(reuse_if_open=True)
    database.execute_sql("SELECT 1").fetchone()
    return True, "SELECT 1"


def _check_migrations():
    """The database's schema version against the code's: behind means `flask migrate` has not run (a database
    ahead of the code, during a rolling upgrade, still serves: steps only add)."""
    database = current_app.extensions["database"]
    database.connect(reuse_if_open=True)
    table = SchemaVersion._meta.table_name
    version = database.execute_sql(f'SELECT MAX(version) FROM "{table}"').fetchone()[0]
    return version is not None and version >= SCHEMA_VERSION, f"version {version}, attendue {SCHEMA_VERSION}"


def _check_storage():
    """Write then delete a probe through the storage interface (whatever the backend)."""
    storage = get_storage()
    name, _, _ = storage.save(b"readyz", suffix=".probe")
    try:
        same = storage.read(name) == b"readyz"
    finally:
        storage.delete(name)
    return same, "écriture, relecture, suppression"
