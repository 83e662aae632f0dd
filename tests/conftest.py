"""Shared fixtures: one throw-away database and one app per run (SQLite file, or PostgreSQL when
TEST_DB=postgres); before each test the tables are emptied, the app's configuration restored, its upload folder
made fresh and the per-address sign-in limit forgotten; a test client with login and CSRF helpers; data factories."""
import atexit
import os
import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

# argon2id at its lowest cost for the whole run, subprocess workers included (they inherit the environment):
# a password check costs microseconds instead of most of a second; production keeps config.py's defaults.
os.environ.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_COST="8", ARGON2_PARALLELISM="1")

import peewee  # noqa: E402
import pytest  # noqa: E402
from itsdangerous import URLSafeTimedSerializer  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import models  # noqa: E402
from app import create_app  # noqa: E402
from infrastructure import clock  # noqa: E402
from views.extensions import limiter  # noqa: E402

from .factories import Factory  # noqa: E402


def pytest_configure(config):
    """One day for the whole run: a suite that crosses midnight compares dates of one day."""
    clock.pin(clock.today())
    config.addinivalue_line("markers", "postgres_only: a check of PostgreSQL's own machinery, run on the "
                                       "PostgreSQL pass only (deselected on SQLite, never skipped)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TEST_DB", "sqlite") == "postgres":
        return
    kept = [item for item in items if item.get_closest_marker("postgres_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _create_pg_database():
    import psycopg2

    name = f"portail_test_{os.getpid()}_{secrets.token_hex(3)}"
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_pg_database(name):
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("TEST_DB", "sqlite") == "postgres":
        name, url = _create_pg_database()
        yield url
        models.db.close()
        _drop_pg_database(name)
    else:
        folder = tempfile.mkdtemp(prefix="portail-test-")
        yield f"sqlite:///{folder}/test.db"
        models.db.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _schema(database_url):
    database = models.bind(database_url)
    database.connect(reuse_if_open=True)
    models.create_schema()
    database.close()
    return database_url


def _empty_tables(database):
    """Delete every row (but the schema version) in one transaction, from the tables that hold any, and restart
    the id sequences: what a TRUNCATE … RESTART IDENTITY does, in a fraction of its time on small tables."""
    tables = [m._meta.table_name for m in reversed(models.MODELS) if m is not models.SchemaVersion]
    pg = database_url_is_pg(database)
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    filled = [row[0] for row in database.execute_sql(probe).fetchall()]
    if not pg:
        database.execute_sql("PRAGMA foreign_keys = OFF")
    with database.atomic():
        if pg:
            database.execute_sql("SET LOCAL session_replication_role = replica")  # no foreign-key triggers
        for table in filled:
            database.execute_sql(f'DELETE FROM "{table}"')
        if pg:
            database.execute_sql("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('\"{m._meta.table_name}\"', '{m._meta.primary_key.column_name}'), "
                "1, false)" for m in models.MODELS if isinstance(m._meta.primary_key, peewee.AutoField)))
        elif database.table_exists("sqlite_sequence"):
            database.execute_sql("DELETE FROM sqlite_sequence")
    if not pg:
        database.execute_sql("PRAGMA foreign_keys = ON")


def _dump_tables(database):
    """Every row of every table, as the driver returns it (no field conversion on the way back in)."""
    dump = {}
    for model in models.MODELS:
        if model is models.SchemaVersion:
            continue
        columns = [f.column_name for f in model._meta.sorted_fields]
        select = "SELECT {} FROM \"{}\"".format(", ".join(f'"{c}"' for c in columns), model._meta.table_name)
        dump[model._meta.table_name] = (columns, [tuple(row) for row in database.execute_sql(select).fetchall()])
    return dump


def _restore_tables(database, dump):
    """Put `_dump_tables`'s rows back into the emptied tables (foreign keys checked by the dump's origin)."""
    pg = database_url_is_pg(database)
    if not pg:
        database.execute_sql("PRAGMA foreign_keys = OFF")
    with database.atomic():
        if pg:
            database.execute_sql("SET LOCAL session_replication_role = replica")
        cursor = database.cursor()
        for table, (columns, rows) in dump.items():
            if rows:
                cursor.executemany("INSERT INTO \"{}\" ({}) VALUES ({})".format(
                    table, ", ".join(f'"{c}"' for c in columns), ", ".join([database.param] * len(columns))), rows)
                if pg and "id" in columns:
                    database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                         f"(SELECT MAX(id) FROM \"{table}\"))")
    if not pg:
        database.execute_sql("PRAGMA foreign_keys = ON")


_DATA_SETS = {}


def cached_data_set(app, name, build):
    """`build()`'s records and stored files, built once per run and put back for each later test asking for them
    (the tables were emptied before the test). Returns what `build()` returned."""
    database = app.extensions["database"]
    upload = Path(app.config["UPLOAD_DIR"])
    if name not in _DATA_SETS:
        result = build()
        copy = Path(tempfile.mkdtemp(prefix=f"portail-{name}-"))
        atexit.register(shutil.rmtree, copy, ignore_errors=True)
        shutil.copytree(upload, copy, dirs_exist_ok=True)
        _DATA_SETS[name] = (_dump_tables(database), copy, result)
        return result
    dump, copy, result = _DATA_SETS[name]
    _restore_tables(database, dump)
    shutil.copytree(copy, upload, dirs_exist_ok=True)
    return result


@pytest.fixture
def demo(db, app, monkeypatch):
    """The demo, with each receipt's and letter's PDF replaced by a blank page: rendering 110 of them takes half a
    minute (they are rendered for real by the `demo` command test and by tests/test_check.py).
    Loaded once per run, then restored row for row, files included."""
    from commands.demo import load_demo
    from tests.factories import make_pdf

    blank = make_pdf()
    monkeypatch.setattr("workflows.receipts.render_receipt", lambda *args, **kwargs: blank)
    monkeypatch.setattr("workflows.letters.render_pdf", lambda *args, **kwargs: blank)
    with app.app_context():
        return cached_data_set(app, "demo", load_demo)


def database_url_is_pg(database):
    return type(database).__name__.startswith("Postgres")


@pytest.fixture(scope="session")
def _session_app(_schema, tmp_path_factory):
    """The app is built once: building it (Flask-Admin's views, the templates compiled) costs a second or more."""
    folder = tmp_path_factory.mktemp("app")
    application = create_app({
        "DATABASE_URL": _schema,
        "DATA_DIR": str(folder),
        "UPLOAD_DIR": str(folder / "files"),
        "SECRET_KEY": "test-secret",
        "TESTING": True,
    })
    return application, dict(application.config)


@pytest.fixture
def app(_session_app, tmp_path):
    """The session's app as a fresh one would be: pristine configuration, empty tables and upload folder."""
    application, pristine = _session_app
    application.config.clear()
    application.config.update(pristine, DATA_DIR=str(tmp_path), UPLOAD_DIR=str(tmp_path / "files"))
    Path(application.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    database = application.extensions["database"]
    models.db.initialize(database)  # an app built inside a test (own configuration) rebinds the models
    database.connect(reuse_if_open=True)
    _empty_tables(database)
    limiter.reset()
    yield application
    if not database.is_closed():
        database.close()


@pytest.fixture
def live_server(app):
    """The app behind a real threaded HTTP server on the test database (each request on its own thread and
    connection): for the browser tests and the API's concurrent requests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def db(app):
    """The bound database, with an open connection for direct model use in tests."""
    database = app.extensions["database"]
    database.connect(reuse_if_open=True)
    return database


@pytest.fixture
def factory(db):
    return Factory()


class PortalClient:
    """Test client wrapper: login/logout and form posts carrying a valid CSRF token."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self):
        with self.client.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = secrets.token_hex(20)
                sess["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post_form(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=data, **kwargs)

    def login(self, email, password="Portail-Demo-2026"):
        response = self.post_form("/connexion", {"email": email, "password": password})
        assert response.status_code == 302, f"login failed for {email}: {response.status_code}"
        return response

    def logout(self):
        return self.post_form("/deconnexion")


@pytest.fixture
def client(app):
    return PortalClient(app)


@pytest.fixture
def make_client(app):
    def _make(email=None):
        c = PortalClient(app)
        if email:
            c.login(email)
        return c

    return _make


def extract_csrf(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else None
