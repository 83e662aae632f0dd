"""Time page 1 of one organisation's dossier list with 1,000 then 1,000,000 dossiers in the database.

Goals: the 1,000,000 median within 1.5 × the 1,000 one, and at most 4 SQL queries per page, the same at 20
and 100 rows. Every dossier goes into the benchmarked organisation (the worst case for its list), using the
bulk generator `commands.generate.generate`.

Run from the project root: ``python bench/portal.py [--large 1000000] [--repeat 25] [--database-url URL]``.
Without ``--database-url`` it works in a throw-away SQLite file.
"""
import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from commands.generate import DEMO_PASSWORD, generate, make_siret  # noqa: E402

EMAIL = "bench@cfa-sud.test"
SIRET = make_siret(99_999_998)
RATIO_GOAL = 1.5
QUERY_GOAL = 4


class QueryCounter:
    """Counts the SQL statements the app sends (wraps the database's execute_sql)."""

    def __init__(self, database):
        self.database = database
        self.count = 0

    def __enter__(self):
        original = self.database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql


def fill(database, target_total):
    """Generate dossiers in the benchmarked organisation until the database holds `target_total`."""
    database.connect(reuse_if_open=True)
    have = models.Dossier.select().count()
    if target_total > have:
        began = time.perf_counter()
        generate(target_total - have, target_siret=SIRET, share=1.0,
                 target_user_email=EMAIL if have == 0 else None,
                 progress=lambda done, total: print(f"    {have + done:>9,} dossiers "
                                                    f"({time.perf_counter() - began:.0f} s)", flush=True)
                 if done % 200_000 == 0 else None)
        database.execute_sql("ANALYZE")  # fresh planner statistics, as a maintained database would have
    database.close()


def measure(app, repeat):
    """Median seconds of page 1, and the query count at 20 and 100 rows per page."""
    database = app.extensions["database"]
    client = app.test_client()
    response = client.post("/connexion", data={"email": EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"sign-in failed ({response.status_code})"
    client.get("/portail/dossiers")  # warm caches and templates
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get("/portail/dossiers")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    queries = {}
    for per_page in (20, 100):
        with QueryCounter(database) as counter:
            response = client.get(f"/portail/dossiers?per_page={per_page}")
        assert response.status_code == 200 and response.get_data(as_text=True).count('href="/portail/dossiers/') \
            >= per_page, "the page does not show a full page of dossiers"
        queries[per_page] = counter.count
    return statistics.median(times), queries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--database-url", default=None, help="an EMPTY database; default: a temporary SQLite file")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="portail-bench-portal-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    try:
        app = create_app({"DATABASE_URL": url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
                          "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        database = app.extensions["database"]
        database.connect(reuse_if_open=True)
        models.create_schema()
        database.close()
        results = {}
        for total in (args.small, args.large):
            print(f"Filling the database up to {total:,} dossiers (all in one organisation)…", flush=True)
            fill(database, total)
            median, queries = measure(app, args.repeat)
            results[total] = (median, queries)
            print(f"  {total:>9,} dossiers: page 1 median {median * 1000:.1f} ms; SQL queries per page: "
                  f"{queries[20]} at 20 rows, {queries[100]} at 100 rows", flush=True)
    finally:
        models.db.close()
        shutil.rmtree(folder, ignore_errors=True)

    (small_time, small_q), (large_time, large_q) = results[args.small], results[args.large]
    ratio = large_time / small_time
    print()
    print(f"median page 1, {args.small:,} dossiers:   {small_time * 1000:8.1f} ms")
    print(f"median page 1, {args.large:,} dossiers: {large_time * 1000:8.1f} ms")
    print(f"ratio: {ratio:.2f} (goal ≤ {RATIO_GOAL})  {'OK' if ratio <= RATIO_GOAL else 'NOT MET'}")
    same = small_q[20] == small_q[100] == large_q[20] == large_q[100]
    worst = max(small_q[20], small_q[100], large_q[20], large_q[100])
    print(f"SQL queries per page: {large_q[20]} at 20 rows, {large_q[100]} at 100 rows "
          f"(goal ≤ {QUERY_GOAL}, the same at 20 and 100)  {'OK' if same and worst <= QUERY_GOAL else 'NOT MET'}")
    return 0 if ratio <= RATIO_GOAL and same and worst <= QUERY_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
