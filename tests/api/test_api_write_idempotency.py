"""`Idempotency-Key` on every POST of the API: repeats (sequential, or concurrent against a real threaded server)
create one record and all get the first answer; the same key with another body is refused (422)."""
import datetime as dt
import io
import threading

import pytest
import requests
from peewee import fn

import models
from tests.factories import make_pdf

from .test_api_contracts import cerfa_of, payload
from .test_api_dossier_writes import engaged

REPEATS = 5
CONCURRENT = 4


def rupture_body():
    dossier = engaged("CFA Sud")
    date = dossier.contract_start + dt.timedelta(days=120)
    return f"/api/v1/dossiers/{dossier.number}/ruptures", {"dateRupture": date.isoformat(), "motif": "Démission"}


def document_form():
    return f"/api/v1/dossiers/{engaged('CFA Sud').number}/documents", {"typeDocument": "autre"}


def invoice_form():
    """A small teaching amount on a CFA Sud dossier of the demo, for the month after what is already invoiced."""
    dossier = engaged("CFA Sud")
    invoiced = (models.InvoiceLine.select(fn.MAX(models.InvoiceLine.period_end))
                .where(models.InvoiceLine.dossier == dossier.id).scalar())
    start = (invoiced + dt.timedelta(days=1)) if invoiced else dossier.contract_start
    return "/api/v1/factures", {"numeroInterneDossier": dossier.number, "dateDebutPeriode": start.isoformat(),
                                "dateFinPeriode": (start + dt.timedelta(days=27)).isoformat(),
                                "montantFraisPedagogiques": "10.00", "acceptationConditions": "true"}


def created(operation):
    model = {"contrats": models.ContractProposal, "ruptures": models.Rupture, "documents": models.Document,
             "factures": models.Invoice}[operation]
    return model.select().count()


def request_of(operation, changed=False):
    """(url, JSON body or form fields) of the operation, computed once per test; `changed` gives another body."""
    if operation == "contrats":
        return "/api/v1/contrats", payload(cerfa_of(**({"apprenti.prenom": "Autre"} if changed else {})))
    if operation == "ruptures":
        url, body = rupture_body()
        return url, dict(body, motif="Autre motif") if changed else body
    url, form = document_form() if operation == "documents" else invoice_form()
    form["fichier" if operation == "documents" else "facture"] = make_pdf("Autre" if changed else "Pièce")
    if operation == "factures":
        form["certificatRealisation"] = make_pdf("Certificat")
    return url, form


def send(client, request, key):
    url, body = request
    headers = {"Idempotency-Key": key}
    if url.endswith(("/contrats", "/ruptures")):
        return client.post(url, json=body, headers=headers)
    form = {k: (io.BytesIO(v), "piece.pdf") if isinstance(v, bytes) else v for k, v in body.items()}
    return client.post(url, data=form, content_type="multipart/form-data", headers=headers)


@pytest.mark.parametrize("operation", ["contrats", "factures", "documents", "ruptures"])
def test_five_sequential_repeats_create_one_record_and_replay_the_first_answer(sud_api, operation):
    before = created(operation)
    request = request_of(operation)
    answers = [send(sud_api, request, f"repeat-{operation}") for _ in range(REPEATS)]
    first = answers[0]
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    for repeat in answers[1:]:
        assert (repeat.status_code, repeat.get_json()) == (201, first.get_json())
        assert repeat.headers["Idempotent-Replayed"] == "true"
        assert repeat.headers.get("Location") == first.headers.get("Location")
    assert created(operation) == before + 1
    assert models.IdempotencyRecord.select().count() == 1


@pytest.mark.parametrize("operation", ["contrats", "factures", "documents", "ruptures"])
def test_the_same_key_with_another_body_is_refused_and_creates_nothing(sud_api, operation):
    first, changed = request_of(operation), request_of(operation, changed=True)
    assert send(sud_api, first, "reused").status_code == 201
    before = created(operation)
    other = send(sud_api, changed, "reused")
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.get_json()["code"] == "cle_idempotence_reutilisee"
    assert created(operation) == before


def test_a_refusal_is_an_answer_too_and_is_replayed(sud_api):
    flat = cerfa_of()
    del flat["apprenti.nom"]
    answers = [sud_api.post("/api/v1/contrats", json=payload(flat), headers={"Idempotency-Key": "refused"})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert answers[1].get_json() == answers[0].get_json()
    assert models.ContractProposal.select().where(models.ContractProposal.api_key_id.is_null(False)).count() == 0


def test_keys_of_two_api_keys_never_collide(demo, make_key, api_client):
    first, second = api_client(make_key("CFA Sud")[1]), api_client(make_key("CFA Sud", "Autre logiciel")[1])
    before = created("contrats")
    request = request_of("contrats")
    assert send(first, request, "same").status_code == 201
    assert send(second, request, "same").status_code == 201
    assert created("contrats") == before + 2


def post_together(url, raw_key, idempotency_key, **kwargs):
    """CONCURRENT clients posting the same request with the same key at the same moment; their answers."""
    barrier = threading.Barrier(CONCURRENT)
    answers = [None] * CONCURRENT

    def post(index):
        barrier.wait()
        answers[index] = requests.post(url, timeout=60, **kwargs,
                                       headers={"X-API-KEY": raw_key, "Idempotency-Key": idempotency_key})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return answers


@pytest.mark.parametrize("operation", ["contrats", "ruptures"])
def test_concurrent_repeats_against_a_real_server_create_exactly_one_record(demo, make_key, live_server, operation):
    raw = make_key("CFA Sud")[1]
    before = created(operation)
    if operation == "contrats":
        url, kwargs = "/api/v1/contrats", {"json": payload(cerfa_of())}
    else:
        url, body = rupture_body()
        kwargs = {"json": body}
    answers = post_together(live_server + url, raw, "together", **kwargs)
    assert [a.status_code for a in answers] == [201] * CONCURRENT, [a.text[:300] for a in answers]
    assert len({a.text for a in answers}) == 1
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [""] + ["true"] * (CONCURRENT - 1)
    assert created(operation) == before + 1
    assert models.IdempotencyRecord.select().count() == 1


@pytest.fixture
def gunicorn_server(app, db):
    """The app under gunicorn with 4 worker processes on the test database (what production runs)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "DATA_DIR": app.config["DATA_DIR"],
           "UPLOAD_DIR": app.config["UPLOAD_DIR"], "SECRET_KEY": "test-secret", "API_RATE_LIMIT": "10000 per minute"}
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", "4", "--bind",
                               f"127.0.0.1:{port}", "app:create_app()"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(base + "/healthz", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or its workers still booting
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn n'a pas démarré")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def test_four_gunicorn_worker_processes_answering_the_same_key_create_exactly_one_record(demo, make_key,
                                                                                        gunicorn_server):
    raw = make_key("CFA Sud")[1]
    before = created("ruptures")
    url, body = rupture_body()
    answers = post_together(gunicorn_server + url, raw, "quatre-processus", json=body)
    assert [a.status_code for a in answers] == [201] * CONCURRENT, [a.text[:300] for a in answers]
    assert len({a.text for a in answers}) == 1
    assert created("ruptures") == before + 1
    assert models.IdempotencyRecord.select().count() == 1
