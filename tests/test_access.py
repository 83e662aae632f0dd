"""Every portal route × method × {anonymous, CFA Sud, CFA Nord, employer, staff} with the OTHER organisation's ids.

The cases are generated from `app.url_map`, so routes added later are crawled automatically. Each URL
variable is filled by its name through `VARIABLES` (a value belonging to the other organisation); a
variable name missing from `VARIABLES` fails the suite: add a line there (and, if needed, the record to
`tests/portal/world.py`) when you add a route with a new kind of id.

Expectations: anonymous → redirected to /connexion; everybody else → 403 or 404 on a URL carrying another
organisation's id, never a page or a file with the other organisation's data, and a POST changes nothing in
the database. Routes without variables may answer 200, but never show the other organisation's data.
"""
import datetime as dt
import hashlib
import io
import re
import shutil

import pytest
from playhouse.shortcuts import model_to_dict

import models
from app import create_app
from tests.portal.world import two_cfas

# URL variable name → value taken from the tenant whose data must stay out of reach.
from tests.factories import make_pdf
VARIABLES = {
    "number": lambda t: t.dossier.number,
    "dossier_number": lambda t: t.dossier.number,
    "stock_number": lambda t: t.stock_dossier.number,
    "document_id": lambda t: t.document.id,
    "invoice_id": lambda t: t.invoice.id,
    "invoice_number": lambda t: t.invoice.number,
    "letter_id": lambda t: t.letter.id,
    "notification_id": lambda t: t.notification.id,
    "siret": lambda t: t.organisation.siret,
    "delegation_id": lambda t: t.delegation.id,
    "reference": lambda t: t.payment.reference,
    "payment_reference": lambda t: t.payment.reference,
    "credit_note_id": lambda t: t.credit_note.id,
    "user_id": lambda t: t.admin.id,
    "proposal_id": lambda t: t.proposal.id,
    "key_id": lambda t: t.api_key.id,
    "endpoint_id": lambda t: t.webhook_endpoint.id,
    "delivery_id": lambda t: t.webhook_delivery.id,
    "bank_details_id": lambda t: t.bank_details.id,
    "news_id": lambda t: t.news.id,
}
# Where one name means different things: (rule prefix, name) → value; the longest prefix wins.
VARIABLES_BY_PREFIX = {
    ("/portail/avoirs/", "number"): lambda t: t.credit_note.number,
    ("/portail/reglements/", "reference"): lambda t: t.payment.reference,
    ("/portail/propositions/", "document_id"): lambda t: t.proposal_document.id,
    ("/portail/entreprise/propositions/", "document_id"): lambda t: t.proposal_document.id,
    ("/portail/contrats-stockes/", "number"): lambda t: t.stock_dossier.number,
}


def value_for(rule, name, tenant):
    for (prefix, var), getter in sorted(VARIABLES_BY_PREFIX.items(), key=lambda kv: -len(kv[0][0])):
        if var == name and rule.startswith(prefix):
            return getter(tenant)
    if name not in VARIABLES:
        pytest.fail(f"Unknown URL variable <{name}> in {rule}: add it to VARIABLES in tests/test_access.py")
    return VARIABLES[name](tenant)
ROLES = ["anonymous", "sud", "nord", "employer", "staff", "employer_sud", "employer_nord"]
# The employer users of each CFA's proposal (employers of two SIRETs): their own side, then the other's.
TENANT_OF_ROLE = {"sud": "sud", "nord": "nord", "employer_sud": "sud", "employer_nord": "nord"}
PDF = make_pdf("Pièce de test")


def _portal_rules():
    """(rule, method) pairs of every /portail route, read from a throw-away app's url_map."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="portail-urlmap-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/urlmap.db", "DATA_DIR": folder,
                      "UPLOAD_DIR": f"{folder}/files", "SECRET_KEY": "x", "TESTING": True})
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/portail"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, tuple(sorted(rule.arguments))))
    app.extensions["database"].close()
    shutil.rmtree(folder, ignore_errors=True)
    return sorted(found)


PORTAL_RULES = _portal_rules()


def _cases():
    """Each route × method × role; routes with several ids also get one 'foreign' id at a time."""
    cases = []
    for rule, method, arguments in PORTAL_RULES:
        variants = [("all", None)]
        if len(arguments) > 1:
            variants += [(f"only-{name}", name) for name in arguments]
        for role in ROLES:
            for label, foreign in variants:
                cases.append(pytest.param(rule, method, arguments, role, foreign,
                                          id=f"{method} {rule} {role} {label}"))
    return cases


def test_the_crawl_covers_the_portal_routes():
    rules = {rule for rule, _, _ in PORTAL_RULES}
    for expected in ("/portail/", "/portail/dossiers", "/portail/dossiers/<number>", "/portail/factures",
                     "/portail/documents/<int:document_id>", "/portail/notifications",
                     "/portail/dossiers/<number>/remboursement", "/portail/organisation/<siret>",
                     "/portail/webhooks/<int:endpoint_id>/envois/<int:delivery_id>/rejouer"):
        assert expected in rules


def test_every_url_variable_of_the_portal_has_a_value_in_the_mapping():
    unknown = sorted({(name, rule) for rule, _, arguments in PORTAL_RULES for name in arguments
                      if name not in VARIABLES})
    assert not unknown, ("URL variables without a value in tests/test_access.py VARIABLES (add one so the access "
                         f"crawl covers the route): {unknown}")


def fill(rule, arguments, own, other, foreign):
    """The URL with each variable taken from `other` (or only `foreign` from other, the rest from `own`)."""
    url = rule
    for name in arguments:
        source = other if (foreign is None or foreign == name) else own
        url = re.sub(r"<(?:[^:>]+:)?" + re.escape(name) + ">", str(value_for(rule, name, source)), url)
    return url


def form_body(other):
    """A body that every portal form would accept if the scope let it through."""
    return {
        "doc_type": "autre", "file": (io.BytesIO(PDF), "piece.pdf"),
        "invoice_pdf": (io.BytesIO(PDF), "facture.pdf"), "certificate_pdf": (io.BytesIO(PDF), "certificat.pdf"),
        "period_start": other.dossier.contract_start.strftime("%d/%m/%Y"),
        "period_end": other.dossier.contract_start.strftime("%d/%m/%Y"),
        "teaching_amount": "10,00", "terms": "y", "siret": other.organisation.siret, "name": other.organisation.name,
        "date": "01/10/2026", "reason": "Rupture de test", "new_end": "31/12/2027", "confirm": "y",
    }


def db_digest():
    """A fingerprint of every row of every table."""
    digest = hashlib.sha256()
    for model in models.MODELS:
        for row in model.select().order_by(*model._meta.get_primary_keys()).tuples():
            digest.update(repr(row).encode())
    return digest.hexdigest()


# Routes whose very purpose is to tell the other organisation something: a delegation request notifies the
# organisation asked (workflows/delegations.py); the request itself opens nothing (tests/security/test_delegations.py).
NOTIFYING_ROUTES = {("/portail/delegations", "POST"): "delegation"}


def tenant_snapshot(tenant, told=None):
    """The other organisation's own records, as stored (notifications of category `told` aside)."""
    records = [tenant.organisation, tenant.dossier, tenant.stock_dossier, tenant.document, tenant.invoice,
               tenant.invoice_document, tenant.letter, tenant.notification, tenant.delegation, tenant.credit_note,
               tenant.payment, tenant.proposal, tenant.proposal_document, tenant.api_key,
               tenant.webhook_endpoint, tenant.webhook_delivery]
    state = [model_to_dict(type(r).get_by_id(r.id), recurse=False) if type(r).get_or_none(id=r.id) else None
             for r in records]
    counts = {m.__name__: m.select().where(m.organisation == tenant.organisation.id).count()
              for m in (models.Dossier, models.Invoice, models.Document, models.CreditNote, models.ApiKey)}
    counts["Notification"] = models.Notification.select().where(
        (models.Notification.organisation == tenant.organisation.id) & (models.Notification.category != told)).count()
    counts["delegation"] = models.Delegation.select().where(models.Delegation.delegate == tenant.organisation.id).count()
    return repr(state) + repr(counts)


@pytest.fixture
def world(app, factory):
    return two_cfas(app, factory)


@pytest.fixture(scope="module")
def crawl(_schema, tmp_path_factory):
    """One app, one data set and one signed-in client per role for the whole crawl (it only reads, or must)."""
    from tests.conftest import PortalClient, _empty_tables
    from tests.factories import Factory

    folder = tmp_path_factory.mktemp("crawl")
    app = create_app({"DATABASE_URL": _schema, "DATA_DIR": str(folder), "UPLOAD_DIR": str(folder / "files"),
                      "SECRET_KEY": "test-secret", "TESTING": True})
    database = app.extensions["database"]
    database.connect(reuse_if_open=True)
    _empty_tables(database)
    factory = Factory()
    sud, nord, employer, staff = two_cfas(app, factory)
    no_billing = factory.cfa_user(sud.organisation, role="gestionnaire_of",
                                  rights=["right_contracts", "right_stock", "right_no_contract"])
    contracts_only = factory.cfa_user(sud.organisation, role="gestionnaire_of",
                                      rights=["right_contracts", "right_contracts_billing"])
    clients = {}
    for role, email in (("anonymous", None), ("sud", sud.admin.email), ("nord", nord.admin.email),
                        ("employer", employer.email), ("staff", staff.email), ("no_billing", no_billing.email),
                        ("contracts_only", contracts_only.email), ("employer_sud", sud.employer_user.email),
                        ("employer_nord", nord.employer_user.email)):
        clients[role] = PortalClient(app)
        if email:
            clients[role].login(email)
    yield {"sud": sud, "nord": nord, "clients": clients}
    _empty_tables(database)
    if not database.is_closed():
        database.close()


@pytest.mark.parametrize("rule,method,arguments,role,foreign", _cases())
def test_portal_route_never_serves_another_organisations_data(crawl, rule, method, arguments, role, foreign):
    sud, nord = crawl["sud"], crawl["nord"]
    own, other = {"sud": (sud, nord), "nord": (nord, sud)}.get(TENANT_OF_ROLE.get(role), (sud, nord))
    client = crawl["clients"][role]
    url = fill(rule, arguments, own, other, foreign)
    told = NOTIFYING_ROUTES.get((rule, method))
    before_db, before_other = db_digest(), tenant_snapshot(other, told)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post_form(url, form_body(other), content_type="multipart/form-data")
    status = response.status_code
    assert status < 500, f"{method} {url} as {role}: {status}"
    if role == "anonymous":
        assert status == 302 and "/connexion" in response.headers["Location"], f"{method} {url}: {status}"
        assert db_digest() == before_db
        return
    body = response.get_data()
    if arguments:
        assert status in (403, 404), f"{method} {url} as {role} answered {status}"
        if method == "POST":
            assert db_digest() == before_db, f"{method} {url} as {role} changed the database"
    else:
        assert status in (200, 302, 400, 403, 404), f"{method} {url} as {role} answered {status}"
        if method == "POST":
            assert tenant_snapshot(other, told) == before_other, f"{method} {url} as {role} changed the other's data"
    if role in TENANT_OF_ROLE:
        text = body.decode("utf-8", "replace")
        leaked = [marker for marker in other.markers if str(marker) in text]
        assert not leaked, f"{method} {url} as {role} shows the other organisation's {leaked}"
    if body.startswith(b"%PDF"):
        pytest.fail(f"{method} {url} as {role} sent a file")


# Billing screens (SPEC §3 rights: "billing" adds invoices, reimbursement requests, mass invoicing, credit notes,
# settlement of expired dossiers) — a user without any billing right gets none of them, even on their own data.
BILLING_PREFIXES = ("/portail/factures", "/portail/facturation", "/portail/avoirs", "/portail/organisation/avoirs",
                    "/portail/organisation/banque", "/portail/reglements", "/portail/echus", "/portail/historiques")


def _is_billing(rule):
    return rule.startswith(BILLING_PREFIXES) or rule.endswith("/remboursement")


@pytest.mark.parametrize("rule,method,arguments", [pytest.param(r, m, a, id=f"{m} {r}")
                                                   for r, m, a in PORTAL_RULES if _is_billing(r)])
def test_without_a_billing_right_no_billing_screen_or_post(crawl, rule, method, arguments):
    sud = crawl["sud"]
    client = crawl["clients"]["no_billing"]
    url = fill(rule, arguments, sud, sud, None)
    before = db_digest()
    response = (client.get(url) if method == "GET"
                else client.post_form(url, form_body(sud), content_type="multipart/form-data"))
    assert response.status_code in (403, 404), f"{method} {url} without billing right: {response.status_code}"
    assert db_digest() == before


@pytest.mark.parametrize("kind", ["stock_dossier", "loose_dossier"])
@pytest.mark.parametrize("rule,method", [pytest.param(r, m, id=f"{m} {r}") for r, m, a in PORTAL_RULES
                                         if "number" in a and not r.startswith("/portail/avoirs/")])
def test_without_the_stock_or_no_contract_right_none_of_those_dossiers(crawl, rule, method, kind):
    """`contracts_only` holds neither the stock right nor the "apprentices without contract" one."""
    sud = crawl["sud"]
    client = crawl["clients"]["contracts_only"]
    url = re.sub(r"<(?:[^:>]+:)?number>", getattr(sud, kind).number, rule)
    url = fill(url, [a for a in re.findall(r"<(?:[^:>]+:)?([^>]+)>", url)], sud, sud, None)
    before = db_digest()
    response = (client.get(url) if method == "GET"
                else client.post_form(url, form_body(sud), content_type="multipart/form-data"))
    assert response.status_code in (403, 404), f"{method} {url} without the right: {response.status_code}"
    assert db_digest() == before


def test_without_those_rights_lists_and_exports_leave_stock_and_no_contract_dossiers_out(crawl):
    sud = crawl["sud"]
    client = crawl["clients"]["contracts_only"]
    for url in ("/portail/dossiers", "/portail/dossiers/export.csv", "/portail/", "/portail/factures"):
        body = client.get(url).get_data(as_text=True)
        assert sud.stock_dossier.number not in body and sud.loose_dossier.number not in body, url
    assert sud.dossier.number in client.get("/portail/dossiers").get_data(as_text=True)


# --- mass invoices and payments need the billing right of every dossier they cover --------------------------------

@pytest.fixture
def mixed_billing(app, factory, make_client):
    """A mass invoice and a payment of CFA Sud covering an ordinary and a stock dossier; the stock one is
    outside the billing rights of a contracts-only user."""
    from tests.portal.world import store_file

    org = factory.organisation(name="CFA Sud")
    factory.cfa_user(org, email="tout@cfa-sud.test")
    factory.cfa_user(org, email="contrats@cfa-sud.test", role="gestionnaire_of",
                     rights=["right_contracts", "right_contracts_billing", "right_stock"])
    plain = factory.dossier(organisation=org, state="engage")
    stock = factory.dossier(organisation=org, state="engage", is_stock=True, regime="stock")
    mass = models.Invoice.create(number=70, organisation=org, kind="mass", state="payee", total_ht=300,
                                 total_ttc=300, submitted_at=dt.datetime(2026, 3, 1, 10, 0))
    for dossier in (plain, stock):
        models.InvoiceLine.create(invoice=mass, dossier=dossier, nature="teaching", amount=150)
    name, sha, size = store_file(app)
    pdf = models.Document.create(organisation=org, invoice=mass, doc_type="recepisse", original_name="masse.pdf",
                                 stored_name=name, sha256=sha, size=size)
    bank = models.BankDetails.create(organisation=org, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                                     holder="CFA Sud", status="approved")
    payment = models.Payment.create(reference="VIR-MIXTE", organisation=org, bank_details=bank,
                                    date=dt.date(2026, 4, 1), gross=150, net=150, submission_key="pay-mixte")
    models.PaymentLine.create(payment=payment, invoice=mass, dossier=stock, amount=150)
    return {"mass": mass, "pdf": pdf, "payment": payment, "all": make_client("tout@cfa-sud.test"),
            "contracts": make_client("contrats@cfa-sud.test")}


LISTS = [("/portail/factures", "mass"), ("/portail/factures/export.csv", "mass"),
         ("/portail/factures/export.xlsx", "mass"), ("/portail/facturation", "mass"),
         ("/portail/reglements", "payment"), ("/portail/reglements/export.csv", "payment"),
         ("/portail/reglements/export.xlsx", "payment"), ("/portail/historiques/facturations", "mass"),
         ("/portail/historiques/facturations/export.csv", "mass"),
         ("/portail/historiques/facturations/export.xlsx", "mass")]


@pytest.mark.parametrize("url,record", LISTS, ids=[u for u, _ in LISTS])
def test_a_list_or_export_leaves_out_what_covers_a_dossier_the_user_may_not_bill(mixed_billing, url, record):
    def marker(row):
        return row.display_number if record == "mass" else row.reference

    def shown(client):
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_data()
        if url.endswith(".xlsx"):
            from openpyxl import load_workbook
            cells = [str(c) for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True) for c in row]
            return marker(mixed_billing[record]) in cells
        return marker(mixed_billing[record]) in body.decode("utf-8-sig")

    assert shown(mixed_billing["all"])
    assert not shown(mixed_billing["contracts"])


PAGES = [lambda m: f"/portail/factures/{m['mass'].id}", lambda m: f"/portail/factures/{m['mass'].id}/recepisse",
         lambda m: f"/portail/factures/{m['mass'].id}/document", lambda m: f"/portail/documents/{m['pdf'].id}",
         lambda m: f"/portail/reglements/{m['payment'].reference}/avis.pdf",
         lambda m: f"/portail/reglements/{m['payment'].reference}"]


@pytest.mark.parametrize("page", PAGES, ids=["invoice", "receipt", "compliance", "document", "remittance", "payment"])
def test_a_page_or_file_of_what_covers_a_dossier_the_user_may_not_bill_is_a_404(mixed_billing, page):
    url = page(mixed_billing)
    assert mixed_billing["all"].get(url).status_code in (200, 302)
    assert mixed_billing["contracts"].get(url).status_code == 404


@pytest.mark.parametrize("role", ["employer_sud", "employer_nord"])
def test_an_employer_sees_the_proposal_sent_to_its_siret_and_never_the_others(world, make_client, role):
    sud, nord, _, _ = world
    own, other = (sud, nord) if role == "employer_sud" else (nord, sud)
    client = make_client(own.employer_user.email)
    home = client.get("/portail/").get_data(as_text=True)
    assert own.proposal.apprentice_last_name in home and other.proposal.apprentice_last_name not in home
    assert client.get(f"/portail/entreprise/propositions/{own.proposal.id}").status_code == 200
    assert client.get(f"/portail/entreprise/propositions/{other.proposal.id}").status_code == 404
