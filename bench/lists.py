"""Time the portal and back-office lists at N dossiers and print each one's slowest statement's plan.

Builds N dossiers with the generator (90 % in one organisation, which manages a second one by approved
delegation, as in the demo), fills the normalised names the generator's bulk insert leaves empty, adds
invoices (35 % of N) to the two organisations, refreshes the planner's statistics, then for each list URL
prints the median of `--repeat` requests after a warm-up, the SQL statements per request and the EXPLAIN of
the slowest statement. Compare two runs (e.g. ``--n 1000`` and ``--n 200000``) for the ratio.

Run from the project root: ``python bench/lists.py --n 200000 [--database-url postgresql://…]`` (the URL
must name an EMPTY database; default: a throw-away SQLite file). ``--no-plans`` for the timings only.
"""
import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from peewee import fn  # noqa: E402
from app import create_app  # noqa: E402
from commands.generate import DEMO_PASSWORD, generate, make_siret  # noqa: E402
from infrastructure.passwords import hash_password  # noqa: E402
from models.states import DelegationState  # noqa: E402

CFA_EMAIL = "bench-lists@cfa-sud.test"
STAFF_EMAIL = "bench-lists@opco.test"
SIRET = make_siret(99_999_997)


class Statements:
    """The SQL statements a request sends, with their parameters and duration."""

    def __init__(self, database):
        self.database, self.seen = database, []

    def __enter__(self):
        original = self.database.execute_sql

        def timed(sql, params=None, *args, **kwargs):
            began = time.perf_counter()
            cursor = original(sql, params, *args, **kwargs)
            self.seen.append((time.perf_counter() - began, sql, params))
            return cursor

        self.database.execute_sql = timed
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql


def build(database, n):
    """The data set: dossiers, the delegation, the names' keys, invoices, statistics."""
    began = time.perf_counter()
    result = generate(n, target_siret=SIRET, share=0.9, target_user_email=CFA_EMAIL,
                      progress=lambda done, total: print(f"    {done:>9,} dossiers ({time.perf_counter() - began:.0f} s)",
                                                         flush=True) if done % 100_000 == 0 else None)
    target = result["target_organisation"]
    delegator = (models.Dossier.select(models.Dossier.organisation).where(models.Dossier.organisation != target)
                 .group_by(models.Dossier.organisation).order_by(fn.COUNT(models.Dossier.id).desc())
                 .scalar())
    models.Delegation.create(delegate=target, delegator=delegator, state=DelegationState.APPROVED.value)
    models.User.create(email=STAFF_EMAIL, password_hash=hash_password(DEMO_PASSWORD), kind="staff",
                       staff_role="admin", first_name="Banc", last_name="d'essai")
    print(f"  normalised names: {models.fill_apprentice_name_keys():,} filled", flush=True)
    invoices = round(n * 0.35)
    dossier_ids = [row[0] for row in models.Dossier.select(models.Dossier.id)
                   .where(models.Dossier.organisation.in_([target, delegator]))
                   .order_by(models.Dossier.id).limit(invoices).tuples()]
    states = ("en_traitement", "validee", "payee", "en_attente")
    for start in range(0, len(dossier_ids), 2000):
        chunk = dossier_ids[start:start + 2000]
        with database.atomic():
            models.Invoice.insert_many([
                {"organisation": target, "dossier": dossier_id, "number": start + i + 1, "kind": "reimbursement",
                 "state": states[(start + i) % 4], "total_ht": 1000, "total_ttc": 1000,
                 "submitted_at": models.now()} for i, dossier_id in enumerate(chunk)]).execute()
    print(f"  {len(dossier_ids):,} invoices; statistics: {', '.join(models.refresh_planner_statistics(full=True))}"
          f" ({time.perf_counter() - began:.0f} s in all)", flush=True)


def plan(database, sql, params):
    """The plan of one statement, as the database tells it."""
    if models.is_postgres():
        rows = database.execute_sql("EXPLAIN " + sql, params).fetchall()
        return [row[0] for row in rows]
    rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return [f"{'  ' * (row[1] > 0)}{row[-1]}" for row in rows]


def sign_in(app, email):
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"sign-in of {email} failed ({response.status_code})"
    return client


def pages(app, database):
    """(label, client, url) of each list measured; the deep page's cursor found by walking 5 pages."""
    portal, staff = sign_in(app, CFA_EMAIL), sign_in(app, STAFF_EMAIL)
    deep_id = models.Dossier.select(models.Dossier.id).order_by(models.Dossier.id).offset(
        models.Dossier.select().count() // 2).scalar()
    some_name = models.Dossier.select(models.Dossier.apprentice_name).order_by(models.Dossier.id.desc()).scalar()
    deep_invoice = models.Invoice.select(models.Invoice.id).order_by(models.Invoice.id).offset(
        models.Invoice.select().count() // 2).scalar() or 0
    from views.admin.dossiers import DossierView
    sort_name = DossierView.column_list.index("apprentice_name")
    return [
        ("portal list p1", portal, "/portail/dossiers"),
        ("portal list deep (keyset, middle)", portal, f"/portail/dossiers?apres={deep_id}&page=500"),
        ("portal list sorted by name, deep", portal, f"/portail/dossiers?sort=apprenti&dir=asc&apres={deep_id}"),
        ("portal search full name", portal, f"/portail/dossiers?apprenti={some_name}"),
        ("portal search prefix (3 letters)", portal, f"/portail/dossiers?apprenti={some_name[:3]}"),
        ("portal search no match", portal, "/portail/dossiers?apprenti=Zzyzx Qwerty"),
        ("portal search by number", portal, "/portail/dossiers?numero=2026"),
        ("portal invoices p1", portal, "/portail/factures"),
        ("portal invoices deep (keyset)", portal, f"/portail/factures?apres={deep_invoice}"),
        ("back office dossiers", staff, "/admin/dossier/"),
        ("back office dossiers by state", staff, "/admin/dossier/?flt0_0=engage"),
        ("back office dossiers sorted by name", staff, f"/admin/dossier/?sort={sort_name}"),
        ("back office invoices", staff, "/admin/invoice/"),
    ]


def measure(app, repeat, show_plans):
    database = app.extensions["database"]
    database.connect(reuse_if_open=True)
    measured = pages(app, database)
    database.close()
    results = []
    for label, client, url in measured:
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
        with Statements(database) as statements:
            body = client.get(url).get_data(as_text=True)
        rows = len(re.findall(r"<tr", body)) - 1
        results.append((label, statistics.median(times) * 1000, len(statements.seen), rows))
        print(f"{label:38} {statistics.median(times) * 1000:8.1f} ms  {len(statements.seen)} statements  "
              f"{rows} rows   {url}", flush=True)
        if show_plans:
            _, sql, params = max(statements.seen, key=lambda s: s[0])
            database.connect(reuse_if_open=True)
            for line in plan(database, sql, params):
                print(f"      {line}")
            database.close()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", default=None, help="an EMPTY database; default: a temporary SQLite file")
    parser.add_argument("--no-plans", action="store_true")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="portail-bench-lists-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    try:
        app = create_app({"DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
                          "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
        database = app.extensions["database"]
        database.connect(reuse_if_open=True)
        models.create_schema()
        print(f"Building {args.n:,} dossiers on {url.split(':')[0]}…", flush=True)
        build(database, args.n)
        database.close()
        measure(app, args.repeat, not args.no_plans)
    finally:
        models.db.close()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
