"""Smaller hardening points of issue 9 (item 8): NUL bytes in an address, bounded money inputs, HTTPS-only
cookies with HSTS behind a flag, and a Content-Security-Policy on every response."""
import re

import pytest

import models
from tests.billing.workflow_helpers import installments
pass

HUGE = "9" * 29  # more digits than Decimal's precision: quantizing it to the cent raised InvalidOperation


@pytest.fixture
def cfa(factory, make_client):
    org = factory.organisation()
    user = factory.billing_user(org)
    return org, make_client(user.email)


@pytest.mark.parametrize("url", ["/portail/dossiers/%00", "/portail/dossiers/D%002026", "/portail/avoirs/1%00/avoir",
                                 "/portail/reglements/R%00/avis.pdf", "/admin/dossier/details/%00",
                                 "/portail/dossiers/?q%00=1", "/portail/dossiers/?q=%00"])
def test_a_nul_byte_anywhere_in_the_address_is_refused_not_a_crash(factory, cfa, make_client, url):
    _, portal = cfa
    staff = make_client(factory.staff("admin").email)
    for client in (portal, staff):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert "Page introuvable" in response.get_data(as_text=True) or "Requête invalide" in response.get_data(
            as_text=True)


def test_a_huge_amount_in_mass_invoicing_is_refused_in_french_and_the_form_redisplayed(factory, cfa):
    org, client = cfa
    dossier = factory.engaged_dossier(organisation=org)
    client.post_form("/portail/facturation", {"fees": ["teaching", "annex"], "dossiers": [dossier.id],
                                              "action": "next"})
    invoice = models.Invoice.select().order_by(models.Invoice.id.desc()).first()
    item = installments(dossier, "to_invoice")[0]
    for typed, message in [(HUGE, "Montant hors limites"), ("1e999", "Montant invalide"),
                           ("12,345", "au centime près")]:
        response = client.post_form(f"/portail/facturation/{invoice.id}/echeances", {
            f"inst-{dossier.id}": [item.id], f"meals-{dossier.id}": "3", f"meals_amount-{dossier.id}": typed,
            "action": "next"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, typed
        assert message in html and f'value="{typed}"' in html, typed
    assert models.InvoiceLine.select().count() == 0


@pytest.mark.parametrize("typed,message", [(HUGE, "Montant hors limites"), ("1e20", "Montant invalide"),
                                           ("100000000000000000", "Montant hors limites")])
def test_a_huge_amount_in_the_reimbursement_form_is_refused_in_french(factory, make_client, typed, message):
    import io

    from tests.factories import make_pdf
    org = factory.organisation()
    client = make_client(factory.billing_user(org).email)
    dossier = factory.engaged_dossier(org)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", {
        "period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00", "terms": "y",
        "lodging_amount": typed, "invoice_pdf": (io.BytesIO(make_pdf()), "f.pdf")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and typed in html
    assert models.Invoice.select().count() == 0


def test_a_huge_credit_note_amount_in_the_back_office_is_refused_with_the_form(factory, make_client):
    dossier = factory.dossier(state="engage")
    staff = make_client(factory.staff("comptable").email)
    response = staff.post_form("/admin/creditnote/emettre/", {"dossier_number": dossier.number,
                                                              "amount": "100000000000000000000", "reason": "rupture",
                                                              "reason_detail": "Trop-perçu après rupture",
                                                              "confirm": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Montant hors limites" in html and "100000000000000000000" in html
    assert models.CreditNote.select().count() == 0


def _app(monkeypatch, tmp_path, database_url, https):
    from app import create_app
    if https:
        monkeypatch.setenv("HTTPS", "1")
    else:
        monkeypatch.delenv("HTTPS", raising=False)
    return create_app({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "UPLOAD_DIR": str(tmp_path / "f"),
                       "SECRET_KEY": "test-secret", "TESTING": True})


@pytest.mark.parametrize("https", [True, False])
def test_https_flag_makes_the_session_cookie_secure_and_sends_hsts(app, factory, monkeypatch, tmp_path, https):
    from tests.conftest import extract_csrf
    user = factory.staff("admin")
    client = _app(monkeypatch, tmp_path, app.config["DATABASE_URL"], https).test_client()
    base = "https://localhost" if https else "http://localhost"
    form = client.get("/connexion", base_url=base)
    response = client.post("/connexion", base_url=base, headers={"Referer": f"{base}/connexion"}, data={
        "email": user.email, "password": "Portail-Demo-2026", "csrf_token": extract_csrf(form.get_data(as_text=True))})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is https
    assert ("Strict-Transport-Security" in response.headers) is https
    assert ("Strict-Transport-Security" in form.headers) is https
    if https:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _policy(response):
    header = response.headers["Content-Security-Policy"]
    return dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in header.split(";")) if part)


def _inline_scripts(html):
    return re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)


def test_every_page_carries_a_policy_and_only_nonced_inline_scripts(factory, make_client, client):
    org = factory.organisation()
    portal = make_client(factory.billing_user(org).email)
    dossier = factory.engaged_dossier(org)
    staff = make_client(factory.staff("admin").email)
    pages = [(client, "/connexion"), (client, "/nulle-part"), (portal, "/portail/"),
             (portal, f"/portail/dossiers/{dossier.number}/remboursement"), (staff, "/admin/"),
             (staff, "/admin/dossier/"), (staff, f"/admin/dossier/details/?id={dossier.id}"),
             (staff, "/admin/bankdetails/"), (staff, "/admin/creditnote/emettre/")]
    for who, url in pages:
        response = who.get(url)
        policy = _policy(response)
        assert policy["default-src"] == "'self'", url
        assert "'unsafe-inline'" not in policy["script-src"] and policy["object-src"] == "'none'", url
        html = response.get_data(as_text=True)
        scripts = _inline_scripts(html)
        if response.mimetype == "text/html" and response.status_code == 200:
            assert scripts, f"{url}: the confirmation script should be on every page"
        for attributes in scripts:
            nonce = re.search(r'nonce="([^"]+)"', attributes)
            assert nonce and f"'nonce-{nonce.group(1)}'" in policy["script-src"], (url, attributes)
        assert "javascript:history" not in html, url


def test_our_templates_declare_no_inline_event_handler_nor_javascript_url():
    from pathlib import Path
    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [f"{path.relative_to(templates)}: {match.group(0)}"
                 for path in templates.rglob("*.html") if not path.parts[-2] == "pdf"
                 for match in re.finditer(r"\son(click|submit|change|load|input)=|javascript:", path.read_text())
                 if path.name != "delegations.html"]  # its onsubmit confirm is kept and asked by _confirm.html
    assert offenders == []


def test_behind_a_trusted_proxy_the_per_address_limit_follows_the_forwarded_client(app, tmp_path):
    from app import create_app
    from tests.conftest import PortalClient
    proxied = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "DATA_DIR": str(tmp_path),
                          "UPLOAD_DIR": str(tmp_path / "f"), "SECRET_KEY": "test-secret", "TESTING": True,
                          "TRUSTED_PROXIES": 1, "LOGIN_RATE_LIMIT": "2 per minute"})
    client = PortalClient(proxied)

    def attempt(address):
        return client.post_form("/connexion", {"email": "x@nulle.part", "password": "x"},
                                headers={"X-Forwarded-For": address}).status_code

    assert [attempt("203.0.113.7"), attempt("203.0.113.7"), attempt("203.0.113.7")] == [401, 401, 429]
    assert attempt("198.51.100.2") == 401  # another client behind the same proxy is not cut
