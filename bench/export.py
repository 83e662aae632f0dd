"""CSV exports of 1,000,000 dossiers — the portal's and the back office's — on SQLite or PostgreSQL: rows/s and
extra peak RSS of each; on SQLite, the portal's against a raw ``sqlite3 -csv`` dump; and receipt PDF time.

Goals: each export ≤ 50 MB extra peak RSS (issue 14, item 7), the back office's at the portal's speed; on
SQLite the portal export reaches ≥ 75 % of the raw dump's rows/s; one receipt PDF renders in ≤ 50 ms at the
95th percentile.

Run from the project root:
``python bench/export.py [--dossiers 1000000] [--db sqlite|postgres] [--database-url URL] [--receipts 100]``.
Without ``--database-url`` the dossiers are generated (commands.generate) into a throw-away SQLite file, or
with ``--db postgres`` into a throw-away database on 127.0.0.1:5432 (dropped at the end);
with it, the database must already hold the organisation ``--siret`` and the user ``--email``
(``flask --app app generate … --organisation-siret S --user-email E``).

The export runs in a child process through the real route (``/portail/dossiers/export.csv``, the Flask
test client, streamed chunk by chunk): its extra peak RSS is the highest resident size sampled at each
chunk minus the resident size once the app is up and the user signed in (SQLite's page cache,
``cache_size`` in models.SQLITE_PRAGMAS, counts in it: 64 MB by default). The raw dump runs the SQL
the route ran (captured from peewee's query log) through the ``sqlite3`` command-line shell.
"""
import argparse
import logging
import multiprocessing as mp
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EXPORT_URL = "/portail/dossiers/export.csv"
ADMIN_EXPORT_URL = "/admin/dossier/export/csv/"
STAFF_EMAIL = "bench-export-admin@opco.test"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SIRET = None  # set in main() from commands.generate.make_siret
EMAIL = "bench-export@cfa.test"
PASSWORD = "Portail-Demo-2026"
GOAL_SHARE = 0.75
GOAL_EXTRA_MB = 50
GOAL_RECEIPT_MS = 50


def _app(url, folder):
    from app import create_app
    return create_app({"DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
                       "SECRET_KEY": "bench", "TESTING": False})


def _login(client, email):
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"connexion impossible pour {email} ({response.status_code})")


class _Capture(logging.Handler):
    """Keep the SELECT on dossiers that the export ran, with its parameters."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = None

    def emit(self, record):
        msg = record.msg
        if (isinstance(msg, tuple) and len(msg) == 2 and 'FROM "dossier"' in msg[0] and "apprentice_name" in msg[0]
                and self.sql is None):
            self.sql = msg


def _export_child(url, folder, email, queue, export_url=EXPORT_URL):
    app = _app(url, folder)
    client = app.test_client()
    _login(client, email)
    capture = _Capture()
    logger = logging.getLogger("peewee")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    before_kb = peak_kb = _rss_kb()
    began = time.perf_counter()
    response = client.get(export_url, buffered=False)
    rows = size = 0
    for chunk in response.response:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        size += len(data)
        rows += data.count(b"\n")
        peak_kb = max(peak_kb, _rss_kb())
    response.close()
    seconds = time.perf_counter() - began
    queue.put({"status": response.status_code, "rows": rows - 1, "bytes": size, "seconds": seconds,
               "extra_mb": (peak_kb - before_kb) / 1024, "sql": capture.sql})


def _rss_kb():
    """Resident memory now (sampled at every streamed chunk: ru_maxrss would keep the login's argon2 peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _inline(sql, params):
    """The captured statement with its parameters written in (ints and quoted strings only)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError("paramètres inattendus")
    out = [parts[0]]
    for value, part in zip(params, parts[1:]):
        if isinstance(value, bool):
            literal = "1" if value else "0"
        elif isinstance(value, (int, float)):
            literal = str(value)
        else:
            literal = "'" + str(value).replace("'", "''") + "'"
        out.append(literal + part)
    return "".join(out)


def _raw_dump(db_path, sql):
    began = time.perf_counter()
    proc = subprocess.Popen(["sqlite3", "-csv", db_path, sql], stdout=subprocess.PIPE)
    rows = 0
    while chunk := proc.stdout.read(1 << 20):
        rows += chunk.count(b"\n")
    proc.wait()
    return rows, time.perf_counter() - began


def _receipt_times(url, folder, siret, count):
    """Render the receipt of one reimbursement invoice `count` times (after one warm-up)."""
    import models
    from workflows.invoice_workflow import create_invoice
    from workflows.receipts import render_receipt

    app = _app(url, folder)
    with app.app_context(), app.test_request_context():
        models.db.connect(reuse_if_open=True)
        organisation = models.Organisation.get(models.Organisation.siret == siret)
        dossier = models.Dossier.select().where(models.Dossier.organisation == organisation).first()
        invoice = create_invoice(organisation, [dict(dossier=dossier, nature="teaching", quantity=1,
                                                     amount=dossier.npec or 1000)], dossier=dossier,
                                 receipt_number="R-BENCH", period_start=dossier.contract_start,
                                 period_end=dossier.contract_start)
        render_receipt(invoice, True)
        times = []
        for _ in range(count):
            began = time.perf_counter()
            render_receipt(invoice, True)
            times.append((time.perf_counter() - began) * 1000)
        models.db.close()
    return times


def main(argv=None):
    import models
    from commands.generate import generate, make_siret

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite",
                        help="base générée (sans --database-url)")
    parser.add_argument("--siret", default=None, help="organisation exported (with --database-url)")
    parser.add_argument("--email", default=EMAIL, help="its admin OF (demo password)")
    parser.add_argument("--receipts", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="portail-bench-export-")
    url = args.database_url
    siret = args.siret or make_siret(99_999_998)
    pg_name = None
    try:
        if url is None:
            if args.db == "postgres":
                pg_name = f"portail_bench_export_{int(time.time())}"
                url = _create_pg(pg_name)
            else:
                url = f"sqlite:///{folder}/bench.db"
            database = models.bind(url)
            database.connect()
            models.create_schema()
            began = time.perf_counter()
            result = generate(args.dossiers, target_siret=siret, share=1.0, target_user_email=args.email)
            _staff_admin()
            database.close()
            print(f"génération : {result['dossiers']:,} dossiers en {time.perf_counter() - began:.1f} s")
        portal = _run_export(url, folder, args.email, EXPORT_URL, "portail")
        portal_rate = portal["rows"] / portal["seconds"]
        admin = _run_export(url, folder, STAFF_EMAIL, ADMIN_EXPORT_URL, "back-office")
        admin_rate = admin["rows"] / admin["seconds"]
        print(f"rapport  back-office / portail = {admin_rate / portal_rate:.0%} des lignes/s")
        memory_ok = max(portal["extra_mb"], admin["extra_mb"]) <= GOAL_EXTRA_MB
        if not url.startswith("sqlite"):
            print("(comparaison à « sqlite3 -csv » et récépissés : base SQLite uniquement)")
            print("objectifs atteints" if memory_ok else "objectif(s) NON atteint(s)")
            return 0 if memory_ok else 1
        db_path = url.split("sqlite:///", 1)[1]

        raw_rows, raw_seconds = _raw_dump(db_path, _inline(*portal["sql"]))
        raw_rate = raw_rows / raw_seconds
        share = portal_rate / raw_rate
        print(f"brut     sqlite3 -csv (même requête) : {raw_rows:,} lignes en {raw_seconds:.2f} s "
              f"= {raw_rate:,.0f} lignes/s")
        print(f"rapport  portail / brut = {share:.0%} (objectif ≥ {GOAL_SHARE:.0%})")

        times = _receipt_times(url, folder, siret, args.receipts)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
        print(f"récépissé PDF : médiane {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
              f"sur {len(times)} rendus (objectif ≤ {GOAL_RECEIPT_MS} ms)")
        ok = share >= GOAL_SHARE and memory_ok and p95 <= GOAL_RECEIPT_MS
        print("objectifs atteints" if ok else "objectif(s) NON atteint(s)")
        return 0 if ok else 1
    finally:
        if args.keep and args.database_url is None:
            print(f"base conservée : {url}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            if pg_name:
                models.db.close()
                _drop_pg(pg_name)


def _run_export(url, folder, email, export_url, label):
    """One export in a fresh child process (its RSS is the export's alone)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_export_child, args=(url, folder, email, queue, export_url))
    child.start()
    result = queue.get()
    child.join()
    if result["status"] != 200 or result["sql"] is None:
        raise SystemExit(f"export {label} en échec : {result['status']}")
    rate = result["rows"] / result["seconds"]
    print(f"{label:<11} {export_url} : {result['rows']:,} lignes en {result['seconds']:.2f} s "
          f"= {rate:,.0f} lignes/s, {result['bytes'] / 1e6:.0f} Mo, RSS crête en plus "
          f"{result['extra_mb']:.1f} Mo (objectif ≤ {GOAL_EXTRA_MB} Mo)")
    return result


def _staff_admin():
    """An OPCO administrator (demo password) for the back-office export."""
    import models
    from infrastructure.passwords import hash_password
    models.User.get_or_create(email=STAFF_EMAIL, defaults=dict(
        password_hash=hash_password(PASSWORD), kind="staff", staff_role="admin", first_name="Banc",
        last_name="Export", email_confirmed_at=models.now()))


def _pg_admin(sql):
    import psycopg2
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def _create_pg(name):
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _drop_pg(name):
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
