"""Time the large-data generator (goal: 1,000,000 dossiers in under 10 minutes on a 2-core machine).

Run from the project root:
``python bench/generate.py [--dossiers 1000000] [--with-installments] [--database-url URL] [--keep]``.
Without ``--database-url`` it writes into a throw-away SQLite file in a temporary folder.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from commands.generate import generate, make_siret  # noqa: E402

GOAL_SECONDS = 600


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--with-installments", action="store_true")
    parser.add_argument("--target-share", type=float, default=0.0,
                        help="share of the dossiers put into one organisation (portal benchmark shape)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file and print its path")
    args = parser.parse_args(argv)

    folder = None
    url = args.database_url
    if url is None:
        folder = tempfile.mkdtemp(prefix="portail-bench-")
        url = f"sqlite:///{folder}/bench.db"
    database = models.bind(url)
    database.connect()
    models.create_schema()
    began = time.perf_counter()

    def progress(done, total):
        if done % 100_000 == 0 or done == total:
            print(f"  {done:>9,} dossiers  {time.perf_counter() - began:7.1f} s", flush=True)

    try:
        result = generate(args.dossiers, with_installments=args.with_installments, progress=progress,
                          target_siret=make_siret(99_999_999) if args.target_share else None, share=args.target_share)
    finally:
        database.close()
        if folder and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - began
    print(f"{result['dossiers']:,} dossiers, {result['apprentices']:,} apprentices, {result['organisations']:,} "
          f"organisations, {result['employers']:,} employers, {result['installments']:,} installments "
          f"generated in {elapsed:.1f} s ({result['dossiers'] / elapsed:,.0f} dossiers/s; "
          f"goal < {GOAL_SECONDS} s for 1,000,000)")
    if folder and args.keep:
        print(f"database kept in {url}")
    return elapsed


if __name__ == "__main__":
    main()
