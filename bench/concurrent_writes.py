"""Concurrent writes under gunicorn: 0 × 5xx, gapless invoice numbers, a clean `check`.

Builds a fresh database (a SQLite file in a temporary folder, or a new PostgreSQL database created
through ``--pg ADMIN_URL``), loads the demo data with the real commands (``flask --app app init-db``
and ``demo``), starts gunicorn with ``--workers`` workers on a free port, then runs ``--clients``
client threads for ``--seconds`` seconds. Each client signs in once, with its own account, and
writes through the real forms (CSRF tokens scraped from the pages):

* CFA admins: reimbursement requests on their engaged dossiers, mass invoices (three steps);
* the CFA manager without billing right: notifications marked read;
* comptables and the OPCO admin: bulk invoice decisions (validate, hold, reject), payments recorded;
* the advisor: dossier actions (ask for documents, resume the instruction).

Prints per route the requests, 2xx/3xx/4xx/5xx counts, median and p95 latency, then checks that
invoice and credit-note numbers have no gap and runs ``flask --app app check`` when the command
exists. Exit status 1 on any 5xx, any gap or a failed check.

Run from the project root: ``python bench/concurrent_writes.py [--seconds 60] [--workers 4]
[--clients 8] [--pg postgresql://postgres@127.0.0.1:5432/test]``.
"""
import argparse
import collections
import datetime as dt
import html
import http.client
import http.cookiejar
import io
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Portail-Demo-2026"
EXTRA_STAFF = [("bench-comptable@opco.test", "comptable")]


# --- a small browser: cookies, no redirect following, forms read from the HTML ----------------------------

class Form:
    """A <form> of a page: its action, method and the values a browser would send as is."""

    def __init__(self, action, method, enctype):
        self.action, self.method, self.enctype = action, method.upper(), enctype
        self.fields = []  # (name, value) pairs, in order: hidden, text, checked boxes, selected options
        self.checkboxes = collections.defaultdict(list)  # name -> every value offered
        self.buttons = []  # (name, value) of submit buttons
        self.names = set()

    def values(self, overrides=None, drop=(), button=None, checked=None):
        """The pairs to send: the page's values with `overrides` replacing fields of the same name."""
        overrides = overrides or {}
        pairs = [(n, v) for n, v in self.fields if n not in overrides and n not in drop
                 and not (checked is not None and n in checked)]
        for name, value in overrides.items():
            for item in (value if isinstance(value, list) else [value]):
                pairs.append((name, item))
        for name, values in (checked or {}).items():
            pairs.extend((name, v) for v in values)
        if button:
            pairs.append(button)
        return pairs


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        form = self.forms[-1] if self.forms else None
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", a.get("method") or "GET",
                                   a.get("enctype") or "application/x-www-form-urlencoded"))
        elif form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            form.names.add(a["name"])
            if kind in ("submit", "image", "button"):
                form.buttons.append((a["name"], a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                form.checkboxes[a["name"]].append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.append((a["name"], a.get("value", "on")))
            elif kind != "file":
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("name"):
            form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            form.names.add(a["name"])
            self._select = [a["name"], None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            if self._select[1] is None:
                self._select[1] = self._option
            if "selected" in a:
                self._select[2] = self._option
        elif tag == "textarea" and a.get("name"):
            form.names.add(a["name"])
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None and self._select is not None and self._option == "":
            pass

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            name, first, selected = self._select
            value = selected if selected is not None else first
            if value is not None:
                self.forms[-1].fields.append((name, value))
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append(tuple(self._textarea))
            self._textarea = None


def forms_of(page):
    parser = FormParser()
    parser.feed(page)
    return parser.forms


def multipart(pairs, files):
    boundary = "----bench" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in pairs:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(str(value).encode() + b"\r\n")
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: application/pdf\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("Location", "")


class Stats:
    """Per route: status classes and latencies, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = collections.defaultdict(lambda: {"codes": collections.Counter(), "times": []})
        self.errors = []  # (route, status, excerpt) of every 5xx

    def add(self, route, status, seconds, body=""):
        with self.lock:
            entry = self.routes[route]
            entry["codes"][f"{status // 100}xx"] += 1
            entry["times"].append(seconds)
            if status >= 500 and len(self.errors) < 50:
                self.errors.append((route, status, re.sub(r"\s+", " ", body)[:300]))


def route_of(method, url):
    path = urllib.parse.urlsplit(url).path
    return f"{method} " + re.sub(r"\d+", "<n>", path)


class Browser:
    def __init__(self, base, stats):
        self.base, self.stats = base, stats
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method, url, pairs=None, files=None, count=True):
        url = urllib.parse.urljoin(self.base, url)
        data, headers = None, {}
        if method == "POST":
            if files:
                data, headers["Content-Type"] = multipart(pairs or [], files)
            else:
                data = urllib.parse.urlencode(pairs or []).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        began = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as raw:
                response = Response(raw.status, raw.headers, raw.read())
        except urllib.error.HTTPError as error:
            response = Response(error.code, error.headers, error.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            response = Response(599, {}, f"connexion : {error}".encode())
        if count:
            self.stats.add(route_of(method, url), response.status, time.perf_counter() - began, response.text)
        return response

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def submit(self, form, page_url, files=None, **kwargs):
        action = urllib.parse.urljoin(urllib.parse.urljoin(self.base, page_url), html.unescape(form.action)
                                      or page_url)
        return self.request(form.method, action, form.values(**kwargs), files=files)

    def login(self, email):
        for attempt in range(5):
            page = self.get("/connexion", count=False)
            form = next(f for f in forms_of(page.text) if "password" in f.names)
            response = self.submit(form, "/connexion", overrides={"email": email, "password": PASSWORD})
            if response.status == 302:
                return
            time.sleep(1 + attempt)
        raise SystemExit(f"connexion impossible pour {email} : {response.status}")


def make_pdf(title):
    """A small valid PDF (pypdf parses it), as a CFA would upload."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the clients ----------------------------------------------------------------------------------------

DATE_RE = r"(\d{2}/\d{2}/\d{4})"


def parse_fr(text):
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def fr(day):
    return day.strftime("%d/%m/%Y")


def post_form(page, action_part=None, needs=None):
    """The page's first POST form whose action contains `action_part` or which has the field `needs`."""
    for form in forms_of(page.text):
        if form.method != "POST" or form.action.endswith("/deconnexion"):
            continue
        if (action_part is None or action_part in html.unescape(form.action)) and (needs is None
                                                                                  or needs in form.names):
            return form
    return None


def row_ids(page):
    """The ids of a back-office list page (its row checkboxes)."""
    return [value for form in forms_of(page.text) for value in form.checkboxes.get("rowid", [])]


class Client(threading.Thread):
    """One signed-in user writing through the real pages until the deadline."""

    def __init__(self, email, base, stats, deadline, seed):
        super().__init__(name=email, daemon=True)
        self.email, self.stats, self.deadline = email, stats, deadline
        self.browser = Browser(base, stats)
        self.random = random.Random(seed)
        self.pdf = make_pdf(f"Bench {email}")
        self.failure = None

    def run(self):
        try:
            self.browser.login(self.email)
            self.prepare()
            while time.monotonic() < self.deadline:
                self.step()
        except BaseException as exc:  # a client that crashes is a bench failure, reported at the end
            self.failure = f"{self.email} : {type(exc).__name__} : {exc}"

    def prepare(self):
        pass

    def step(self):
        raise NotImplementedError

    def bulk_action(self, listing_url, name, most, follow, field, text):
        """Tick up to `most` rows of a back-office list, run action `name`, and fill its input page if any."""
        listing = self.browser.get(listing_url)
        ids = row_ids(listing)
        form = post_form(listing, action_part="/action/")
        if not ids or form is None:
            time.sleep(0.2)
            return
        chosen = self.random.sample(ids, min(self.random.randint(1, most), len(ids)))
        response = self.browser.submit(form, listing_url, overrides={"action": name, "rowid": chosen})
        if response.status == 302 and follow in response.location:
            url = response.location
            form = post_form(self.browser.get(url), needs=field)
            if form is not None:
                self.browser.submit(form, url, overrides={field: text})

    def pick(self, weighted):
        actions, weights = zip(*weighted)
        return self.random.choices(actions, weights)[0]()


class CfaClient(Client):
    """A CFA admin: reimbursement requests, mass invoices, answers to invoices on hold."""

    def prepare(self):
        self.today = dt.date.today()
        self.cursors = {}  # dossier number -> [first free day, last billable day]
        self.invoices = []
        listing = self.browser.get("/portail/dossiers?per_page=100")
        for number in sorted(set(re.findall(r'/portail/dossiers/(\d{10})"', listing.text))):
            self.cursors[number] = [self.today - dt.timedelta(days=120), self.today]  # dropped when not billable

    def step(self):
        self.pick([(self.reimbursement, 6), (self.mass_invoice, 1), (self.answer_hold, 2)])

    def reimbursement(self):
        if not self.cursors:
            return self.answer_hold()
        number = self.random.choice(sorted(self.cursors))
        cursor = self.cursors[number]
        url = f"/portail/dossiers/{number}/remboursement"
        page = self.browser.get(url)
        form = post_form(page, needs="teaching_amount") if page.status == 200 else None
        if form is None:
            del self.cursors[number]
            return
        day = cursor[0]
        response = self.browser.submit(
            form, url, files={"invoice_pdf": ("facture.pdf", self.pdf), "certificate_pdf": ("certificat.pdf", self.pdf)},
            overrides={"period_start": fr(day), "period_end": fr(day), "teaching_amount": "1,00", "terms": "y",
                       "cfa_reference": f"BENCH-{secrets.token_hex(3)}"})
        if response.status == 302:
            found = re.search(r"/portail/factures/(\d+)", response.location)
            if found:
                self.invoices.append(found.group(1))
            cursor[0] = day + dt.timedelta(days=1)
        else:
            text = html.unescape(response.text)
            ends = [parse_fr(end) for end in re.findall(r"chevauche une période déjà facturée \(du " + DATE_RE
                                                         + r" au " + DATE_RE, text) for end in end[1:]]
            contract = re.search(r"sort du contrat \(du " + DATE_RE + r" au " + DATE_RE, text)
            cursor[0] = max([day + dt.timedelta(days=1)] + [end + dt.timedelta(days=1) for end in ends])
            if contract:
                start, end = parse_fr(contract.group(1)), parse_fr(contract.group(2))
                cursor[0], cursor[1] = max(cursor[0], start), min(cursor[1], end)
        if cursor[0] > cursor[1]:
            del self.cursors[number]

    def mass_invoice(self):
        page = self.browser.get("/portail/facturation")
        form = post_form(page, needs="dossiers")
        if form is None or not form.checkboxes.get("dossiers"):
            return
        chosen = [self.random.choice(form.checkboxes["dossiers"])]
        response = self.browser.submit(form, "/portail/facturation", checked={"dossiers": chosen, "fees": ["teaching"]},
                                       button=("action", "next"))
        if response.status != 302:
            return
        url = response.location
        form = post_form(self.browser.get(url))
        if form is None:
            return
        response = self.browser.submit(form, url, checked=dict(form.checkboxes), button=("action", "next"))
        if response.status != 302 or "/envoi" not in response.location:
            return
        url = response.location
        form = post_form(self.browser.get(url), needs="cfa_reference")
        if form is None:
            return
        self.browser.submit(form, url, files={"document": ("facture.pdf", self.pdf)}, button=("action", "send"),
                            overrides={"cfa_reference": f"BENCH-{secrets.token_hex(3)}",
                                       "cfa_invoice_date": fr(dt.date.today()), "terms": "y"})

    def answer_hold(self):
        listing = self.browser.get("/portail/factures")
        ids = sorted(set(re.findall(r"/portail/factures/(\d+)", listing.text)) | set(self.invoices))
        for invoice_id in self.random.sample(ids, min(4, len(ids))):
            url = f"/portail/factures/{invoice_id}/document"
            page = self.browser.get(url)
            form = post_form(page, needs="doc_type")
            if form is None or "n'attend aucun document" in html.unescape(page.text):
                continue
            self.browser.submit(form, url, files={"document": ("piece.pdf", self.pdf)})
            return


class ContractsClient(Client):
    """A CFA manager with the contracts right only: documents on dossiers, notifications read."""

    def prepare(self):
        listing = self.browser.get("/portail/dossiers?per_page=100")
        self.numbers = sorted(set(re.findall(r'/portail/dossiers/(\d{10})"', listing.text)))

    def step(self):
        self.pick([(self.upload, 3), (self.read_notifications, 1)])

    def upload(self):
        number = self.random.choice(self.numbers)
        page = self.browser.get(f"/portail/dossiers/{number}")
        form = post_form(page, action_part="/documents")
        if form is None:
            return
        self.browser.submit(form, f"/portail/dossiers/{number}", files={"file": ("piece.pdf", self.pdf)},
                            overrides={"doc_type": self.random.choice([v for v in form.checkboxes.get("doc_type", [])]
                                                                      or ["autre"])})

    def read_notifications(self):
        form = post_form(self.browser.get("/portail/notifications"), action_part="toutes-lues")
        if form is not None:
            self.browser.submit(form, "/portail/notifications")


class DecisionClient(Client):
    """A comptable or the OPCO admin: bulk invoice decisions from the back-office list."""

    weights = (("valider", 4), ("mettre_en_attente", 2), ("rejeter", 1))

    def step(self):
        self.pick([(lambda name=name: self.decide(name), weight) for name, weight in self.weights])

    def decide(self, name):
        state = "en_traitement" if name != "rejeter" or self.random.random() < 0.5 else "en_attente"
        self.bulk_action(f"/admin/invoice/?flt0_0={state}", name, 6, "/motif/", "reason",
                         "Pièce justificative illisible (bench).")


class PaymentClient(Client):
    """A comptable recording payments of validated invoices (with a confirmation page when there is one)."""

    def step(self):
        choose = self.browser.get("/admin/payment/enregistrer/")
        organisations = re.findall(r'<option value="(\d+)"', choose.text)
        if not organisations:
            time.sleep(0.3)
            return
        url = f"/admin/payment/enregistrer/?organisation={self.random.choice(organisations)}"
        form = post_form(self.browser.get(url), needs="submission_key")
        if form is None or not form.checkboxes.get("invoices"):
            return
        response = self.browser.submit(form, url, checked={"invoices": form.checkboxes["invoices"]})
        for _ in range(2):  # a confirmation page answers 200 with a form to send again
            if response.status != 200:
                break
            form = post_form(response, needs="submission_key")
            if form is None:
                break
            response = self.browser.submit(form, url)


class AdvisorClient(Client):
    """The advisor: ask for documents on dossiers in instruction, resume those waiting."""

    def step(self):
        if self.random.random() < 0.5:
            self.bulk("en_instruction", "demander_pieces")
        else:
            self.bulk("en_attente", "reprendre")

    def bulk(self, state, name):
        self.bulk_action(f"/admin/dossier/?flt0_0={state}", name, 3, f"/action/{name}/", "pieces",
                         "CERFA signé\nConvention de formation")


CLIENTS = [
    (CfaClient, "admin@cfa-sud.test"),
    (CfaClient, "admin@cfa-nord.test"),
    (CfaClient, "admin@cfa-ouest.test"),
    (ContractsClient, "gestion@cfa-sud.test"),
    (DecisionClient, "comptable@opco.test"),
    (DecisionClient, "admin@opco.test"),
    (PaymentClient, "bench-comptable@opco.test"),
    (AdvisorClient, "conseiller@opco.test"),
]


# --- database, server, report ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env, *args, check=True):
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True)


def create_pg_database(admin_url):
    import psycopg2

    name = f"bench_writes_{os.getpid()}_{secrets.token_hex(3)}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return name, admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(admin_url, name):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def wait_for(base, process, seconds=30):
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if process.poll() is not None:
            raise SystemExit("gunicorn s'est arrêté au démarrage")
        try:
            urllib.request.urlopen(base + "/connexion", timeout=2).read()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit("gunicorn ne répond pas")


def open_database(database_url):
    sys.path.insert(0, str(ROOT))
    import models

    database = models.bind(database_url)
    database.connect(reuse_if_open=True)
    return models, database


def add_staff(database_url):
    """One more comptable, so that every client signs in with its own account (as `flask create-staff` does)."""
    models, database = open_database(database_url)
    from infrastructure.passwords import hash_password

    try:
        for email, role in EXTRA_STAFF:
            models.User.create(email=email, password_hash=hash_password(PASSWORD), kind="staff", staff_role=role,
                               first_name="Banc", last_name="d'essai")
    finally:
        database.close()


def number_gaps(database_url):
    """Numbers missing from 1..max in the invoice and credit-note series (both gapless)."""
    models, database = open_database(database_url)
    gaps = {}
    try:
        for table in ("invoice", "credit_note"):
            numbers = [row[0] for row in database.execute_sql(
                f"SELECT number FROM {table} WHERE number IS NOT NULL ORDER BY number").fetchall()]
            missing = sorted(set(range(1, (max(numbers) if numbers else 0) + 1)) - set(numbers))
            duplicates = len(numbers) - len(set(numbers))
            counter = database.execute_sql("SELECT value FROM counter WHERE name = %s" if "postgres" in
                                           database_url else "SELECT value FROM counter WHERE name = ?",
                                           ("invoice" if table == "invoice" else "credit_note",)).fetchone()
            gaps[table] = {"count": len(numbers), "max": max(numbers) if numbers else 0, "missing": missing,
                           "duplicates": duplicates, "counter": counter[0] if counter else None}
    finally:
        database.close()
    return gaps


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(stats, seconds):
    print(f"\n{'route':<58} {'req':>6} {'2xx':>5} {'3xx':>5} {'4xx':>5} {'5xx':>5} {'med ms':>7} {'p95 ms':>7}")
    total = collections.Counter()
    for route in sorted(stats.routes):
        entry = stats.routes[route]
        codes, times = entry["codes"], entry["times"]
        total.update(codes)
        print(f"{route[:58]:<58} {len(times):>6} {codes['2xx']:>5} {codes['3xx']:>5} {codes['4xx']:>5} "
              f"{codes['5xx']:>5} {statistics.median(times) * 1000:>7.0f} {percentile(times, 0.95) * 1000:>7.0f}")
    requests = sum(total.values())
    print(f"{'total':<58} {requests:>6} {total['2xx']:>5} {total['3xx']:>5} {total['4xx']:>5} {total['5xx']:>5}"
          f"   ({requests / seconds:.1f} req/s)")
    return total["5xx"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=len(CLIENTS))
    parser.add_argument("--pg", metavar="ADMIN_URL", help="PostgreSQL server URL: a fresh database is created there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and database)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    pg_name = None
    if args.pg:
        pg_name, database_url = create_pg_database(args.pg)
    else:
        database_url = f"sqlite:///{folder / 'portail.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(folder), "UPLOAD_DIR": str(folder / "files"),
           "SECRET_KEY": secrets.token_hex(16), "PYTHONPATH": str(ROOT)}
    server = None
    try:
        setup = time.monotonic()
        flask(env, "init-db")
        print(flask(env, "demo").stdout.strip().splitlines()[0])
        add_staff(database_url)
        print(f"base prête en {time.monotonic() - setup:.0f} s")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(folder / "gunicorn.log", "w")
        server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--bind",
                                   f"127.0.0.1:{port}", "--timeout", "120", "app:create_app()"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(base, server, seconds=120)
        backend = "PostgreSQL" if args.pg else "SQLite"
        print(f"{backend}, gunicorn {args.workers} workers, {args.clients} clients, {args.seconds:.0f} s")
        stats = Stats()
        began = time.monotonic()
        deadline = began + args.seconds
        clients = [CLIENTS[i % len(CLIENTS)][0](CLIENTS[i % len(CLIENTS)][1], base, stats, deadline, seed=i)
                   for i in range(args.clients)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - began
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)  # quick shutdown: the clients are done
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    failed = False
    errors_5xx = report(stats, elapsed)
    for route, status, excerpt in stats.errors[:10]:
        print(f"  {status} {route} : {excerpt}")
    if errors_5xx:
        failed = True
        tail = (folder / "gunicorn.log").read_text(errors="replace")[-3000:]
        print("\n--- fin du journal gunicorn ---\n" + tail)
    for client in clients:
        if client.failure:
            print(f"client en échec : {client.failure}")
            failed = True
    gaps = number_gaps(database_url)
    for table, info in gaps.items():
        ok = not info["missing"] and not info["duplicates"] and info["counter"] in (None, info["max"])
        failed |= not ok
        print(f"numéros {table} : {info['count']} numéros, max {info['max']}, compteur {info['counter']}, "
              f"manquants {info['missing'][:20]}, doublons {info['duplicates']} -> {'OK' if ok else 'ÉCART'}")
    help_text = flask(env, "--help", check=False).stdout
    if re.search(r"^\s+check\b", help_text, re.M):
        result = flask(env, "check", check=False)
        print(f"flask check (code {result.returncode}) :\n{(result.stdout + result.stderr).strip()}")
        failed |= result.returncode != 0
    else:
        print("flask check : commande absente de cet arbre, non lancée")
    if pg_name and not args.keep:
        drop_pg_database(args.pg, pg_name)
    if args.keep:
        print(f"dossier conservé : {folder}" + (f", base {pg_name}" if pg_name else ""))
    else:
        shutil.rmtree(folder, ignore_errors=True)
    print("RÉSULTAT :", "ÉCHEC" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
