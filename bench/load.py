"""Load test: 20 simulated CFA users for 60 s against gunicorn (4 workers) on PostgreSQL at 1,000,000 dossiers.

Goal (issue 14, item 6): 0 errors, p95 ≤ 300 ms on every page.

Run from the project root:
``python bench/load.py [--dossiers 1000000] [--users 20] [--seconds 60] [--workers 4] [--fresh]``.

Bounded and local by construction: at most MAX_USERS users and MAX_SECONDS seconds, and only ever against the
gunicorn it starts itself on 127.0.0.1. The database `portail_bench_load_<dossiers>` on 127.0.0.1:5432 is
generated once (commands.generate + commands.generate_billing: 90 % of the dossiers in one CFA, which manages a
second by delegation, with invoices, payments, credit notes, notifications) and kept for the next run
(``--fresh`` rebuilds it, ``--drop`` removes it at the end). Each user is an administrator of that CFA who signs in
and then, until the time is up, picks in a realistic mix: dashboard, dossier list (a random early page), search by
an apprentice's name, a dossier page, notifications, a reimbursement request with its two PDFs (CSRF token read
from the form, as bench/concurrent_writes.py does), and now and then signs out and in again. It prints, per page,
requests, errors (5xx, connection failures, and any unexpected status), p50 and p95, and the total req/s.
"""
import argparse
import collections
import datetime as dt
import html
import os
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))

from concurrent_writes import Browser, Stats, forms_of, make_pdf, post_form  # noqa: E402
from commands.generate_data import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES  # noqa: E402
from pages import PG_ADMIN_URL, _pg_admin, serve, stop  # noqa: E402

PASSWORD = "Portail-Demo-2026"
MAX_USERS, MAX_SECONDS = 50, 600
P95_GOAL_MS = 300
USER_EMAIL = "bench-load-{n}@cfa.test"
MIX = [("dashboard", 4), ("list", 4), ("search", 2), ("dossier", 4), ("notifications", 2), ("reimbursement", 1),
       ("sign_out_and_in", 0.5)]


def _exists(name):
    import psycopg2
    conn = psycopg2.connect(PG_ADMIN_URL)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        found = cursor.fetchone() is not None
    conn.close()
    return found


def build(url, dossiers, users):
    """Generate the data set and `users` CFA administrators of the target organisation (demo password)."""
    import models
    from commands.generate import _next_id, generate, make_siret
    from commands.generate_billing import generate_billing
    from infrastructure.passwords import hash_password
    from models.user import RIGHTS

    database = models.bind(url)
    database.connect(reuse_if_open=True)
    try:
        models.create_schema()
        began = time.perf_counter()
        first = _next_id(models.Dossier)
        result = generate(dossiers, target_siret=make_siret(99_999_995), share=0.9, target_user_email=USER_EMAIL
                          .format(n=0), progress=lambda done, total: print(f"  {done:,} / {total:,}", flush=True)
                          if done % 200_000 == 0 else None)
        target = result["target_organisation"]
        password = hash_password(PASSWORD)
        for n in range(1, MAX_USERS):
            user = models.User.create(email=USER_EMAIL.format(n=n), password_hash=password, kind="cfa",
                                      first_name="Charge", last_name=f"Banc {n}", email_confirmed_at=models.now())
            models.Membership.create(user=user, organisation=target, role="admin_of",
                                     **{name: True for name, _ in RIGHTS})
        billing = generate_billing(first, target)
        database.execute_sql("ANALYZE")
        print(f"  {dossiers:,} dossiers, {billing['invoices']:,} factures, {billing['notifications']:,} "
              f"notifications en {time.perf_counter() - began:.0f} s", flush=True)
    finally:
        database.close()


class User(threading.Thread):
    """One CFA user clicking through the portal until the deadline."""

    def __init__(self, n, base, stats, deadline, seed):
        super().__init__(name=f"user-{n}", daemon=True)
        self.email, self.base, self.stats, self.deadline = USER_EMAIL.format(n=n), base, stats, deadline
        self.browser = Browser(base, Stats())
        self.random = random.Random(seed)
        self.pdf = make_pdf(f"Banc de charge {n}")
        self.numbers, self.next_day = [], {}
        self.failure = None

    def get(self, label, url, expect=(200,)):
        began = time.perf_counter()
        response = self.browser.get(url, count=False)
        self.record(label, response, began, expect)
        return response

    def post(self, label, form, page_url, overrides, files=None, expect=(302,)):
        action = urllib.parse.urljoin(urllib.parse.urljoin(self.base, page_url), html.unescape(form.action)
                                      or page_url)
        began = time.perf_counter()
        response = self.browser.request(form.method, action, form.values(overrides=overrides), files=files,
                                        count=False)
        self.record(label, response, began, expect)
        return response

    def record(self, label, response, began, expect):
        seconds = time.perf_counter() - began
        with self.stats.lock:
            entry = self.stats.routes[label]
            entry["times"].append(seconds)
            if response.status not in expect:
                entry["codes"]["error"] += 1
                if len(self.stats.errors) < 20:
                    self.stats.errors.append((label, response.status, re.sub(r"\s+", " ", response.text)[:200]))

    def sign_in(self):
        page = self.get("connexion (page)", "/connexion")
        form = next(f for f in forms_of(page.text) if "password" in f.names)
        self.post("connexion (envoi)", form, "/connexion", {"email": self.email, "password": PASSWORD})

    def run(self):
        try:
            self.sign_in()
            self.list()
            while time.monotonic() < self.deadline:
                actions, weights = zip(*MIX)
                getattr(self, self.random.choices(actions, weights)[0])()
        except BaseException as exc:  # reported at the end
            self.failure = f"{self.email} : {type(exc).__name__} : {exc}"

    def dashboard(self):
        self.get("tableau de bord", "/portail/")

    def list(self):
        page = self.get("liste des dossiers", f"/portail/dossiers?page={self.random.randint(1, 20)}")
        numbers = re.findall(r'/portail/dossiers/(\d{10})"', page.text)
        if numbers:
            self.numbers = sorted(set(self.numbers + numbers))[-200:]

    def search(self):
        """By an apprentice's full name, as a CFA types it from a letter in hand."""
        name = f"{self.random.choice(LAST_NAMES)} {self.random.choice(FIRST_NAMES_F + FIRST_NAMES_M)}"
        self.get("recherche", "/portail/dossiers?" + urllib.parse.urlencode({"apprenti": name}))

    def dossier(self):
        if not self.numbers:
            return self.list()
        self.get("page d'un dossier", f"/portail/dossiers/{self.random.choice(self.numbers)}")

    def notifications(self):
        self.get("notifications", "/portail/notifications")

    def reimbursement(self):
        """A reimbursement request of one day, with its invoice and certificate PDFs."""
        if not self.numbers:
            return self.list()
        number = self.random.choice(self.numbers)
        url = f"/portail/dossiers/{number}/remboursement"
        page = self.get("remboursement (formulaire)", url, expect=(200, 302, 403, 404))
        form = post_form(page, needs="teaching_amount") if page.status == 200 else None
        if form is None:  # not billable (state, subrogation): another dossier next time
            self.numbers.remove(number)
            return
        day = self.next_day.get(number, dt.date.today() - dt.timedelta(days=90))
        self.next_day[number] = day + dt.timedelta(days=1)
        # 302: created; 400: refused with a French message (period already billed, outside the contract): both
        # are answers a user gets, neither is an error of the server.
        self.post("remboursement (envoi + PDF)", form, url,
                  {"period_start": day.strftime("%d/%m/%Y"), "period_end": day.strftime("%d/%m/%Y"),
                   "teaching_amount": "1,00", "terms": "y", "cfa_reference": f"CHARGE-{secrets.token_hex(3)}"},
                  files={"invoice_pdf": ("facture.pdf", self.pdf), "certificate_pdf": ("certificat.pdf", self.pdf)},
                  expect=(302, 400))

    def sign_out_and_in(self):
        page = self.browser.get("/portail/", count=False)
        form = next((f for f in forms_of(page.text) if f.action.endswith("/deconnexion")), None)
        if form is not None:
            self.post("déconnexion", form, "/portail/", {})
        self.sign_in()



def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--fresh", action="store_true", help="regénère la base")
    parser.add_argument("--drop", action="store_true", help="supprime la base à la fin")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"borné : 1 à {MAX_USERS} utilisateurs, au plus {MAX_SECONDS} s")

    name = f"portail_bench_load_{args.dossiers}"
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    if args.fresh and _exists(name):
        _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
    if not _exists(name):
        print(f"génération de {name} (une fois)", flush=True)
        _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            build(url, args.dossiers, args.users)
        except BaseException:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
    folder = tempfile.mkdtemp(prefix="portail-bench-load-")
    server = None
    try:
        server, base = serve(url, folder, workers=args.workers)
        assert urllib.parse.urlsplit(base).hostname == "127.0.0.1"
        stats = Stats()
        stats.routes = collections.defaultdict(lambda: {"codes": collections.Counter(), "times": []})
        deadline = time.monotonic() + args.seconds
        began = time.monotonic()
        users = [User(n, base, stats, deadline, seed=n) for n in range(args.users)]
        for user in users:
            user.start()
        for user in users:
            user.join(args.seconds + 120)
        elapsed = time.monotonic() - began
        print(f"\nPostgreSQL {args.dossiers:,} dossiers, gunicorn {args.workers} workers, {args.users} utilisateurs, "
              f"{args.seconds:.0f} s")
        print(f"{'page':<30} {'req':>6} {'erreurs':>8} {'p50 ms':>7} {'p95 ms':>7}")
        total = errors = 0
        worst = 0.0
        for label in sorted(stats.routes):
            entry = stats.routes[label]
            times = entry["times"]
            p95 = percentile(times, 0.95) * 1000
            worst = max(worst, p95)
            total, errors = total + len(times), errors + entry["codes"]["error"]
            print(f"{label:<30} {len(times):>6} {entry['codes']['error']:>8} "
                  f"{statistics.median(times) * 1000:>7.0f} {p95:>7.0f}")
        print(f"{'total':<30} {total:>6} {errors:>8}   {total / elapsed:.1f} req/s")
        for label, status, excerpt in stats.errors:
            print(f"  erreur {status} {label} : {excerpt}")
        failures = [user.failure for user in users if user.failure]
        for failure in failures:
            print(f"  client arrêté : {failure}")
        ok = not errors and not failures and worst <= P95_GOAL_MS
        print(f"p95 le plus haut {worst:.0f} ms (objectif ≤ {P95_GOAL_MS}), erreurs {errors} (objectif 0) : "
              f"{'objectifs atteints' if ok else 'objectif(s) NON atteint(s)'}")
        return 0 if ok else 1
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(folder, ignore_errors=True)
        if args.drop:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
