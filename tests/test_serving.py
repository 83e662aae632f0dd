"""Production serving: the probes a load balancer asks, the request id that ties a response to its log lines, and
gunicorn started for real with gunicorn.conf.py."""
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import models
from app import create_app
from models.migrations import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- /healthz and /readyz -------------------------------------------------------------------------------------

def test_healthz_says_ok_to_anyone(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_lists_each_check_and_answers_200_when_all_pass(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["detail"] == f"version {SCHEMA_VERSION}, attendue {SCHEMA_VERSION}"


def test_the_probe_leaves_no_file_in_the_storage(client, app):
    assert client.get("/readyz").status_code == 200
    assert [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()] == []


def test_probes_need_no_sign_in_live_outside_the_portal_and_are_never_rate_limited(app, client):
    rules = {rule.rule: rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("health.")}
    assert set(rules) == {"/healthz", "/readyz"}
    assert all(rule.methods - {"HEAD", "OPTIONS"} == {"GET"} for rule in rules.values())
    for _ in range(60):  # far beyond any per-address limit the app sets
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405  # nothing to post, so no CSRF question either


def _unreachable_database_urls(tmp_path):
    regular_file = tmp_path / "not-a-folder"
    regular_file.write_text("")
    return {
        "postgresql": f"postgresql://postgres@127.0.0.1:{free_port()}/absent",  # nothing listens there
        "sqlite": f"sqlite:///{regular_file}/portail.db",  # a path no SQLite can open
    }


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_readyz_answers_503_when_the_database_is_down_while_healthz_stays_up(app, tmp_path, backend):
    url = _unreachable_database_urls(tmp_path)[backend]
    down = create_app({"DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data"),
                       "UPLOAD_DIR": str(tmp_path / "data" / "files"), "SECRET_KEY": "test", "TESTING": True})
    try:
        probe = down.test_client()
        response = probe.get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["database"]["detail"] == "OperationalError"
        assert body["checks"]["migrations"]["ok"] is False
        assert body["checks"]["storage"]["ok"] is True
        assert url.split("//", 1)[1] not in response.get_data(as_text=True)  # no host nor path given away
        healthz = probe.get("/healthz")
        assert (healthz.status_code, healthz.get_data(as_text=True)) == (200, "ok")
    finally:
        models.db.initialize(app.extensions["database"])  # create_app bound the models to the dead database


def test_readyz_answers_503_when_migrations_are_behind(client, db):
    models.SchemaVersion.update(version=SCHEMA_VERSION - 1).execute()
    try:
        response = client.get("/readyz")
    finally:
        models.SchemaVersion.update(version=SCHEMA_VERSION).execute()
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["migrations"] == {"ok": False, "detail": f"version {SCHEMA_VERSION - 1}, attendue {SCHEMA_VERSION}"}
    assert checks["database"]["ok"] is True and checks["storage"]["ok"] is True
    assert client.get("/readyz").status_code == 200  # `flask migrate` done: ready again


def test_readyz_answers_503_when_the_storage_is_not_writable(client, app, tmp_path):
    regular_file = tmp_path / "a-file"
    regular_file.write_text("")
    app.config["UPLOAD_DIR"] = str(regular_file / "files")  # mkdir under a file fails, even for root
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["storage"]["ok"] is False
    assert checks["database"]["ok"] is True and checks["migrations"]["ok"] is True


# --- request id -----------------------------------------------------------------------------------------------

def test_each_response_carries_a_new_request_id(client):
    first = client.get("/connexion").headers["X-Request-ID"]
    second = client.get("/connexion").headers["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_sane_incoming_request_id_is_kept(client):
    for sane in ("abc-123", "proxy.req_42", "x" * 64):
        response = client.get("/healthz", headers={"X-Request-ID": sane})
        assert response.headers["X-Request-ID"] == sane


@pytest.mark.parametrize("hostile", ["abc\r\nSet-Cookie: session=stolen", "a\nb", "x" * 65, "a b", "<script>",
                                     "é", ""])
def test_a_hostile_incoming_request_id_is_replaced(client, hostile):
    response = client.get("/connexion", environ_overrides={"HTTP_X_REQUEST_ID": hostile})
    returned = response.headers["X-Request-ID"]
    assert returned != hostile and len(returned) == 32 and int(returned, 16) >= 0
    assert "Set-Cookie: session=stolen" not in str(response.headers)


def test_error_pages_carry_the_request_id_too(client):
    response = client.get("/page-inexistante", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404"


def test_application_log_records_carry_the_request_id(app, caplog):
    with caplog.at_level(logging.INFO):
        with app.test_request_context("/connexion", headers={"X-Request-ID": "trace-log-1"}):
            app.preprocess_request()
            app.logger.warning("dans la requête")
        app.logger.warning("hors requête")
    records = {r.getMessage(): r for r in caplog.records if r.name == app.logger.name}
    assert records["dans la requête"].request_id == "trace-log-1"
    assert records["hors requête"].request_id == "-"


# --- gunicorn, for real ---------------------------------------------------------------------------------------

def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_gunicorn_serves_with_the_project_configuration(tmp_path):
    pytest.importorskip("gunicorn")
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'portail.db'}",
           "UPLOAD_DIR": str(tmp_path / "files"), "SECRET_KEY": "serving-test", "PORT": str(port),
           "PYTHONPATH": str(ROOT), "SLOW_REQUEST_SECONDS": "0"}  # every request counts as slow: each is logged
    env.pop("BIND", None)
    env.pop("WEB_CONCURRENCY", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "init-db"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    out, err = tmp_path / "gunicorn.out", tmp_path / "gunicorn.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
                                  cwd=ROOT, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, err.read_text(errors="replace")[-3000:]
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn ne répond pas : " + err.read_text(errors="replace")[-3000:]
            time.sleep(0.2)

        status, body, headers = _get(base + "/healthz", {"X-Request-ID": "gunicorn-test-1"})
        assert (status, body) == (200, b"ok")
        assert headers["X-Request-ID"] == "gunicorn-test-1"
        status, body, _ = _get(base + "/readyz")
        assert status == 200, body
        status, body, _ = _get(base + "/connexion")
        assert status == 200 and "Connexion".encode() in body

        shutil.rmtree(tmp_path / "files")  # the storage folder replaced by a file: no probe can be written
        (tmp_path / "files").write_text("")
        status, body, _ = _get(base + "/readyz", {"X-Request-ID": "gunicorn-test-2"})
        assert status == 503, body
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
    access, errors = out.read_text(errors="replace"), err.read_text(errors="replace")
    assert "Using worker: gthread" in errors
    assert errors.count("Booting worker") == 2  # WEB_CONCURRENCY unset: two workers
    assert '[gunicorn-test-1] "GET /healthz HTTP/1.1" 200' in access
    assert '[gunicorn-test-2] "GET /readyz HTTP/1.1" 503' in access
    assert "[WARNING] [gunicorn-test-2] app: readyz : storage en échec" in errors  # the app's log, same id
    assert '"GET /readyz HTTP/1.1" 200' in access and '"GET /connexion HTTP/1.1" 200' in access
    # gunicorn's hooks name the request by the id the app answers with (gunicorn.conf.py, pre/post_request)
    assert "requête lente [gunicorn-test-1] GET /healthz" in errors
    fresh = re.search(r'\[([0-9a-f]{32})\] "GET /connexion HTTP/1.1" 200', access).group(1)
    assert f"requête lente [{fresh}] GET /connexion" in errors
