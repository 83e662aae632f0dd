"""Browser tests: the live server of tests/conftest.py on the test database, Debian's chromium driven by Playwright, and a screenshot
in $BROWSER_ARTIFACTS (default /tmp/portail-browser) when a test fails."""
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def browser_page(request):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium absent (make browser-deps l'installe)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(accept_downloads=True, locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            folder = Path(os.environ.get("BROWSER_ARTIFACTS", "/tmp/portail-browser"))
            folder.mkdir(parents=True, exist_ok=True)
            shot = folder / f"{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"capture d'écran : {shot}")
        context.close()
        browser.close()
