"""Throughput of `GET /api/v1/dossiers` (a page of 100) under gunicorn with 2 workers, beside the same app's
`/connexion` page, with 1,000 then 1,000,000 dossiers in one organisation (the key's).

Goals (issue "JSON API"): the API list serves at least 0.5 × the requests per second of `/connexion`, and its
median latency at 1,000,000 dossiers is within 1.5 × the one at 1,000.

Run from the project root: ``python bench/api.py [--large 1000000] [--seconds 5] [--clients 4]
[--database-url postgresql://postgres@127.0.0.1:5432/EMPTY_DB]``. Without ``--database-url`` it works in a
throw-away SQLite file. Figures are printed side by side; exit status 1 when a goal is missed.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

import models  # noqa: E402
from app import create_app  # noqa: E402
from commands.generate import generate, make_siret  # noqa: E402
from workflows.api_keys import create_key  # noqa: E402

SIRET = make_siret(99_999_997)
THROUGHPUT_GOAL, LATENCY_GOAL = 0.5, 1.5
API_PAGE = "/api/v1/dossiers?parPage=100"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fill(database, target_total):
    database.connect(reuse_if_open=True)
    have = models.Dossier.select().count()
    if target_total > have:
        began = time.perf_counter()
        generate(target_total - have, target_siret=SIRET, share=1.0,
                 progress=lambda done, total: print(f"    {have + done:>9,} dossiers "
                                                    f"({time.perf_counter() - began:.0f} s)", flush=True)
                 if done % 200_000 == 0 else None)
    database.execute_sql("ANALYZE")
    database.close()


def get(url, headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def throughput(url, headers, seconds, clients):
    """Requests per second of `clients` threads for `seconds`, and the count of non-200 answers."""
    counts, errors, deadline = [0] * clients, [0] * clients, time.monotonic() + seconds

    def worker(i):
        while time.monotonic() < deadline:
            try:
                status = get(url, headers)
            except (urllib.error.URLError, OSError):
                status = 0
            counts[i] += 1
            errors[i] += status != 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - began), sum(errors)


def latency(url, headers, repeat=30):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        get(url, headers)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def serve(env, folder):
    port = free_port()
    log = open(Path(folder) / "gunicorn.log", "a")
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "--timeout", "120", "app:create_app()"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    limit = time.monotonic() + 120
    while time.monotonic() < limit:
        if server.poll() is not None:
            raise SystemExit("gunicorn s'est arrêté au démarrage (voir gunicorn.log)")
        try:
            get(base + "/connexion", {})
            return server, base
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn ne répond pas")


def measure(env, folder, raw_key, seconds, clients):
    server, base = serve(env, folder)
    try:
        headers = {"X-API-KEY": raw_key}
        for _ in range(5):  # warm both workers
            get(base + API_PAGE, headers)
            get(base + "/connexion", {})
        login_rps, login_errors = throughput(base + "/connexion", {}, seconds, clients)
        api_rps, api_errors = throughput(base + API_PAGE, headers, seconds, clients)
        return {"login_rps": login_rps, "api_rps": api_rps, "errors": login_errors + api_errors,
                "api_latency": latency(base + API_PAGE, headers)}
    finally:
        server.terminate()
        server.wait(30)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="an EMPTY database; default: a temporary SQLite file")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="portail-bench-api-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
           "SECRET_KEY": "bench", "API_RATE_LIMIT": "100000000 per minute", "PYTHONPATH": str(ROOT),
           # as in production: the per-key limit's counters shared by the workers (Redis on every project machine)
           "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/14")}
    results = {}
    try:
        app = create_app({"DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
                          "SECRET_KEY": "bench"})
        database = app.extensions["database"]
        database.connect(reuse_if_open=True)
        models.create_schema()
        database.close()
        raw_key = None
        for total in (args.small, args.large):
            print(f"Filling the database up to {total:,} dossiers (all in one organisation)…", flush=True)
            fill(database, total)
            if raw_key is None:
                database.connect(reuse_if_open=True)
                organisation = models.Organisation.get(models.Organisation.siret == SIRET)
                raw_key = create_key(organisation, "bench")[1]
                database.close()
            results[total] = measure(env, folder, raw_key, args.seconds, args.clients)
            r = results[total]
            print(f"  {total:>9,} dossiers: /connexion {r['login_rps']:7.1f} req/s, API list {r['api_rps']:7.1f} "
                  f"req/s (ratio {r['api_rps'] / r['login_rps']:.2f}), API median {r['api_latency'] * 1000:.1f} ms, "
                  f"errors {r['errors']}", flush=True)
    finally:
        models.db.close()
        shutil.rmtree(folder, ignore_errors=True)

    small, large = results[args.small], results[args.large]
    print()
    print(f"{'':>22} {'/connexion req/s':>17} {'API req/s':>10} {'ratio':>6} {'API median':>11}")
    for total in (args.small, args.large):
        r = results[total]
        print(f"{total:>13,} dossiers {r['login_rps']:17.1f} {r['api_rps']:10.1f} "
              f"{r['api_rps'] / r['login_rps']:6.2f} {r['api_latency'] * 1000:9.1f} ms")
    worst_ratio = min(r["api_rps"] / r["login_rps"] for r in results.values())
    growth = large["api_latency"] / small["api_latency"]
    print(f"throughput ratio to /connexion (worst): {worst_ratio:.2f} (goal ≥ {THROUGHPUT_GOAL})  "
          f"{'OK' if worst_ratio >= THROUGHPUT_GOAL else 'NOT MET'}")
    print(f"API latency {args.large:,} / {args.small:,}: {growth:.2f} (goal ≤ {LATENCY_GOAL})  "
          f"{'OK' if growth <= LATENCY_GOAL else 'NOT MET'}")
    errors = sum(r["errors"] for r in results.values())
    print(f"errors: {errors}")
    return 0 if worst_ratio >= THROUGHPUT_GOAL and growth <= LATENCY_GOAL and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
