"""At 1366 × 768 (the most common office laptop screen), the main portal and back-office pages of the demo never
scroll sideways nor clip a list, for a CFA administrator, a gestionnaire, an OPCO comptable and an OPCO admin.
Screenshots of each page land in a temporary folder (printed), to be looked at."""
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "Portail-Demo-2026"
PORTAL = ["/portail/", "/portail/dossiers", "/portail/notifications", "/portail/aide", "/portail/propositions",
          "/portail/utilisateurs", "/portail/organisation", "/portail/compte"]
BILLING = ["/portail/factures", "/portail/facturation", "/portail/reglements", "/portail/organisation/avoirs",
           "/portail/organisation/banque", "/portail/echus"]
BACK_OFFICE = ["/admin/", "/admin/dossier/", "/admin/invoice/", "/admin/payment/", "/admin/creditnote/",
               "/admin/bankdetails/", "/admin/organisation/", "/admin/user/", "/admin/contractproposal/",
               "/admin/opconews/", "/admin/notification/", "/admin/auditentry/"]
ACCOUNTS = {
    "admin@cfa-sud.test": PORTAL + BILLING,  # administrateur OF, six rights: the longest menu
    "gestion@cfa-sud.test": PORTAL,  # gestionnaire OF, contracts without billing
    "comptable@opco.test": BACK_OFFICE,
    "admin@opco.test": BACK_OFFICE + ["/admin/opconews/new/", "/admin/helpdeskcontact/"],
}
# The page scrolls sideways, or a list is cut inside its scrolling box (Flask-Admin's .table-responsive).
OVERFLOW = """() => {
  const boxes = [...document.querySelectorAll('.table-responsive')]
    .filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.scrollWidth + ' > ' + b.clientWidth);
  return {page: document.documentElement.scrollWidth, width: window.innerWidth, boxes: boxes};
}"""


def test_main_pages_fit_a_1366_screen_for_each_role(demo, live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    folder = Path(tempfile.mkdtemp(prefix="portail-1366-"))
    print(f"captures d'écran : {folder}")
    problems = []
    for email, urls in ACCOUNTS.items():
        page.context.clear_cookies()
        page.goto(f"{live_server}/connexion")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/connexion" not in page.url, email
        for url in urls:
            response = page.goto(f"{live_server}{url}")
            assert response.status == 200, f"{email} {url}: {response.status}"
            sizes = page.evaluate(OVERFLOW)
            name = f"{email.split('@')[0]}-{email.split('@')[1].split('.')[0]}{url.replace('/', '_')}.png"
            page.screenshot(path=str(folder / name), full_page=True)
            if sizes["page"] > sizes["width"] or sizes["boxes"]:
                problems.append(f"{email} {url}: page {sizes['page']} px for {sizes['width']}, lists {sizes['boxes']}")
    assert not problems, "\n".join(problems)
    assert len(list(folder.glob("*.png"))) == sum(len(urls) for urls in ACCOUNTS.values())


def test_the_demo_news_shows_on_the_dashboard_until_read_and_the_footer_helps(demo, live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/connexion")
    page.fill("input[name=email]", "gestion@cfa-sud.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    news = page.locator("#opco-news .news-item")
    assert news.count() == 2
    assert "Soldes des contrats terminés en 2026" in page.inner_text("#opco-news")
    news.filter(has_text="Soldes des contrats").get_by_role("button", name="Marquer comme lue").click()
    page.wait_for_load_state()
    assert page.locator("#opco-news .news-item").count() == 1
    footer = page.inner_text("#portal-footer")
    assert "Centre de relation client" in footer and "numéro de dossier" in footer
    page.click("#footer-glossary")
    page.wait_for_load_state()
    assert "/portail/aide" in page.url and "En attente de pièces" in page.inner_text("#glossaire")
    icon = page.request.get(f"{live_server}/favicon.ico")
    assert icon.status == 200
