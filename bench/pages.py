"""Every page of issue 14's table at 1,000 dossiers and at 1,000,000, through gunicorn, on SQLite or PostgreSQL.

Goals (issue 14, items 1 and 2): each page's median at the large size within 1.5× of the same page at the small
one; the portal dashboard, the dossier list and the API list serving ≥ 0.5 of the req/s of `/connexion` under 2
workers.

Run from the project root:
``python bench/pages.py [--db sqlite|postgres] [--small 1000] [--large 1000000] [--rounds 10] [--seconds 5]
[--keep DIR]``. With ``--keep``, the generated databases are kept (SQLite files in DIR, PostgreSQL databases
``portail_bench_pages_<size>``) and reused by the next run, after the application's migrations.

Both databases are built by the generator (commands.generate + commands.generate_billing): 90 % of the dossiers
in one CFA, which manages a second one by an approved delegation (as CFA Sud manages CFA Ouest in the demo),
with invoices, payments, credit notes and notifications; a throw-away SQLite file, or with ``--db postgres`` a
throw-away database on 127.0.0.1:5432 (dropped at the end). PostgreSQL is `ANALYZE`d after loading (what its
autovacuum does within a minute in production); SQLite is left as the application leaves it, unless
``--analyze``. Each database is served by its own gunicorn (gunicorn.conf.py, 2 workers); pages are measured
signed in as the CFA's administrator (portal), an OPCO administrator (back office) and with an API key, in
interleaved rounds after a warm-up: medians of ``--rounds``.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

from concurrent_writes import Browser, Stats, free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PASSWORD = "Portail-Demo-2026"
CFA_EMAIL = "bench-pages@cfa.test"
STAFF_EMAIL = "bench-pages-admin@opco.test"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SHARE = 0.9
RATIO_GOAL, THROUGHPUT_GOAL = 1.5, 0.5
SEARCHED_NAME = "QUENTAL-BARDOT Léonie"

# (label, who, url); {number}, {dossier_id} and {name} are taken from the database.
PAGES = [
    ("portail : tableau de bord", "cfa", "/portail/"),
    ("portail : dossiers p. 1", "cfa", "/portail/dossiers"),
    ("portail : dossiers p. 500", "cfa", "/portail/dossiers?page=500"),
    ("portail : recherche nom complet", "cfa", "/portail/dossiers?apprenti={name}"),
    ("portail : recherche sans résultat", "cfa", "/portail/dossiers?apprenti=Zzyzxwq"),
    ("portail : page d'un dossier", "cfa", "/portail/dossiers/{number}"),
    ("portail : factures", "cfa", "/portail/factures"),
    ("portail : notifications", "cfa", "/portail/notifications"),
    ("back-office : tableau de bord", "staff", "/admin/"),
    ("back-office : dossiers (non triés)", "staff", "/admin/dossier/"),
    ("back-office : dossiers filtrés par état", "staff", "/admin/dossier/?flt1_0=engage"),
    ("back-office : dossiers triés par apprenti", "staff", "/admin/dossier/?sort=1"),
    ("back-office : dossiers triés par CFA", "staff", "/admin/dossier/?sort=2"),
    ("back-office : fiche d'un dossier", "staff", "/admin/dossier/details/?id={dossier_id}"),
    ("back-office : factures", "staff", "/admin/invoice/"),
    ("API : GET /dossiers?parPage=100", "api", "/api/v1/dossiers?parPage=100"),
]
THROUGHPUT = [("/connexion", None, "/connexion"), ("portail : tableau de bord", "cfa", "/portail/"),
              ("portail : dossiers", "cfa", "/portail/dossiers"),
              ("API : dossiers", "api", "/api/v1/dossiers?parPage=100")]


# --- databases ------------------------------------------------------------------------------------------------

def _pg_admin(sql):
    import psycopg2
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def build(url, size, analyze):
    """Schema, `size` generated dossiers with their billing, an OPCO admin and an API key; returns the values the
    page URLs need."""
    import models
    from commands.generate import _next_id, generate, make_siret
    from commands.generate_billing import generate_billing
    from infrastructure.passwords import hash_password
    from workflows.api_keys import create_key

    database = models.bind(url)
    database.connect(reuse_if_open=True)
    try:
        models.create_schema()
        began = time.perf_counter()
        first = _next_id(models.Dossier)
        result = generate(size, target_siret=make_siret(99_999_996), share=SHARE, target_user_email=CFA_EMAIL,
                          with_installments=True)
        billing = generate_billing(first, result["target_organisation"])
        models.User.create(email=STAFF_EMAIL, password_hash=hash_password(PASSWORD), kind="staff",
                           staff_role="admin", first_name="Banc", last_name="Pages", email_confirmed_at=models.now())
        target = models.Organisation.get_by_id(result["target_organisation"])
        raw_key = create_key(target, "bench pages")[1]
        if analyze:
            database.execute_sql("ANALYZE")
        middle = (models.Dossier.select(models.Dossier.id, models.Dossier.number, models.Dossier.apprentice_name)
                  .where(models.Dossier.organisation == target.id).order_by(models.Dossier.id)
                  .offset(round(size * SHARE) // 2).first())
        print(f"  {size:>9,} dossiers, {billing['invoices']:,} factures, {billing['payments']:,} règlements, "
              f"{billing['credit_notes']:,} avoirs, {billing['notifications']:,} notifications "
              f"({time.perf_counter() - began:.0f} s)", flush=True)
        _rename_searched(middle.id)
        return {"number": middle.number, "dossier_id": middle.id, "name": urllib.parse.quote(SEARCHED_NAME),
                "key": raw_key}
    finally:
        database.close()


def _rename_searched(dossier_id):
    """The searched apprentice gets a name no other has, so the full-name search finds one dossier at every
    size: the generator draws names from a few thousand pairs (300 namesakes each at 1M, none at 1k), and the
    page would otherwise compare one row with twenty."""
    import models
    from rules.double_funding import name_key
    dossier = models.Dossier.get_by_id(dossier_id)
    apprentice = models.Apprentice.get_by_id(dossier.apprentice_id)
    apprentice.birth_name, apprentice.first_name = SEARCHED_NAME.split(" ", 1)
    apprentice.save()
    models.Dossier.update(apprentice_name=SEARCHED_NAME, apprentice_name_key=name_key(SEARCHED_NAME)).where(
        models.Dossier.id == dossier_id).execute()


# --- serving --------------------------------------------------------------------------------------------------

def serve(url, folder, workers=2):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
           "SECRET_KEY": "bench", "API_RATE_LIMIT": "100000000 per minute", "LOGIN_RATE_LIMIT": "100000 per minute",
           "PYTHONPATH": str(ROOT), "WEB_CONCURRENCY": str(workers), "PORT": str(port), "LOG_LEVEL": "warning"}
    env.pop("BIND", None)
    log = open(Path(folder) / "gunicorn.log", "a")
    subprocess.run([str(VENV_BIN / "flask"), "--app", "app", "init-db"], cwd=ROOT, env=env, stdout=log,
                   stderr=subprocess.STDOUT, check=True)
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
                               "app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    limit = time.monotonic() + 120
    probe = Browser(base, Stats())
    while time.monotonic() < limit:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn s'est arrêté au démarrage (voir {folder}/gunicorn.log)")
        if probe.get("/healthz", count=False).status == 200:
            return server, base
        time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn ne répond pas")


def stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


class Site:
    """One served database with its signed-in sessions."""

    def __init__(self, size, url, folder, values):
        self.size, self.values = size, values
        self.server, self.base = serve(url, folder)
        self.sessions = {"cfa": self.session(CFA_EMAIL), "staff": self.session(STAFF_EMAIL), None: Browser(
            self.base, Stats())}
        self.statements = {}

    def session(self, email):
        browser = Browser(self.base, Stats())
        browser.login(email)
        return browser

    def fetch(self, who, url, browser=None):
        """(seconds, status) of one GET."""
        headers_key = who == "api"
        browser = browser or self.sessions["staff" if headers_key else who]
        url = url.format(**self.values)
        began = time.perf_counter()
        if headers_key:
            status = _get_with_key(self.base + url, self.values["key"])
        else:
            status = browser.get(url, count=False).status
        return time.perf_counter() - began, status


def _get_with_key(url, key):
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, headers={"X-API-KEY": key})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 599


def medians(sites, rounds):
    """{label: {size: median seconds}} over interleaved rounds (one warm-up round first); bad statuses noted."""
    times = {label: {site.size: [] for site in sites} for label, _, _ in PAGES}
    statuses = {}
    for round_number in range(rounds + 1):
        for label, who, url in PAGES:
            for site in sites:
                seconds, status = site.fetch(who, url)
                if status != 200:
                    statuses[(label, site.size)] = status
                if round_number:
                    times[label][site.size].append(seconds)
    return {label: {size: statistics.median(values) for size, values in by_size.items()}
            for label, by_size in times.items()}, statuses


def throughput(site, who, url, seconds, clients):
    """Requests per second of `clients` threads (each its own session) for `seconds`, and the errors."""
    counts, errors = [0] * clients, [0] * clients
    sessions = [site.session(CFA_EMAIL) if who == "cfa" else Browser(site.base, Stats()) for _ in range(clients)]
    deadline = time.monotonic() + seconds

    def work(i):
        while time.monotonic() < deadline:
            _, status = site.fetch(who, url, browser=sessions[i])
            counts[i] += 1
            errors[i] += status != 200

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - began), sum(errors)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000, help="ex. 100000 : 1 000 000 prend longtemps")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0, help="durée de chaque mesure de débit")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--analyze", action="store_true", help="ANALYZE aussi la base SQLite")
    parser.add_argument("--keep", help="dossier où garder les bases générées et les réutiliser")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="portail-bench-pages-")
    keep = Path(args.keep).resolve() if args.keep else None
    stamp = f"{os.getpid()}_{int(time.time())}"
    created, sites = [], []
    try:
        print(f"{args.db} : génération des bases", flush=True)
        for size in (args.small, args.large):
            saved = keep / f"values_{args.db}_{size}.json" if keep else None
            if args.db == "postgres":
                name = f"portail_bench_pages_{size}" if keep else f"portail_bench_pages_{size}_{stamp}"
                if not (saved and saved.exists()):
                    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    _pg_admin(f'CREATE DATABASE "{name}"')
                if not keep:
                    created.append(name)
                url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
            else:
                url = f"sqlite:///{keep or folder}/bench_{size}.db"
                if saved and not saved.exists():
                    Path(f"{keep}/bench_{size}.db").unlink(missing_ok=True)
            sub = Path(folder) / str(size)
            sub.mkdir()
            if saved and saved.exists():
                values = json.loads(saved.read_text())
                print(f"  {size:>9,} dossiers : base gardée ({keep})", flush=True)
            else:
                values = build(url, size, analyze=args.db == "postgres" or args.analyze)
                if saved:
                    saved.write_text(json.dumps(values))
            sites.append(Site(size, url, str(sub), values))
        small, large = sites

        print(f"\n{args.db}, gunicorn 2 workers, médiane de {args.rounds} tours entrelacés", flush=True)
        results, statuses = medians(sites, args.rounds)
        width = max(len(label) for label, _, _ in PAGES)
        print(f"{'page':<{width}} {args.small:>10,} {args.large:>12,} {'ratio':>7}")
        worst = 0
        for label, _, _ in PAGES:
            a, b = results[label][small.size], results[label][large.size]
            ratio = b / a
            worst = max(worst, ratio)
            flag = "" if ratio <= RATIO_GOAL else "  > 1,5"
            print(f"{label:<{width}} {a * 1000:8.1f} ms {b * 1000:10.1f} ms {ratio:7.2f}{flag}")
        for (label, size), status in sorted(statuses.items()):
            print(f"  statut {status} : {label} à {size:,}")

        print(f"\ndébit à {args.large:,} dossiers, {args.clients} clients, {args.seconds:.0f} s chacun", flush=True)
        rates, errors = {}, 0
        for label, who, url in THROUGHPUT:
            rate, failed = throughput(large, who, url, args.seconds, args.clients)
            rates[label], errors = rate, errors + failed
        login = rates["/connexion"]
        worst_share = 1.0
        for label, _, _ in THROUGHPUT:
            share = rates[label] / login
            if label != "/connexion":
                worst_share = min(worst_share, share)
            print(f"{label:<28} {rates[label]:8.1f} req/s  ({share:.2f} de /connexion)")
        print(f"erreurs : {errors + len(statuses)}")
        ok = worst <= RATIO_GOAL and worst_share >= THROUGHPUT_GOAL and not errors and not statuses
        print(f"pire ratio {worst:.2f} (objectif ≤ {RATIO_GOAL}), pire débit {worst_share:.2f} de /connexion "
              f"(objectif ≥ {THROUGHPUT_GOAL}) : {'objectifs atteints' if ok else 'objectif(s) NON atteint(s)'}")
        return 0 if ok else 1
    finally:
        for site in sites:
            stop(site.server)
        for name in created:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
