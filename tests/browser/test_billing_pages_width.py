"""Payments, histories and bank details in a real browser at 1366 px: the page's content never wider than the window,
for an admin OF and a gestionnaire holding the billing right; screenshots kept in $BROWSER_ARTIFACTS (default
/tmp/portail-browser). The header is the portal layout's (templates/portal/base.html)."""
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

import models
from workflows import invoice_workflow
from workflows.credit_notes import create_credit_note
from workflows.payments import record_payment
from tests.factories import comptable

pytestmark = pytest.mark.browser


def _world(factory):
    org = factory.organisation(name="Centre de Formation d'Apprentis des Métiers de l'Automobile Sud",
                               credit_note_mode="refund", uai="0751234J")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    factory.cfa_user(org, email="gestion@cfa-sud.test", role="gestionnaire_of",
                     rights=["right_contracts", "right_contracts_billing"])
    dossiers = [factory.dossier(organisation=org, state="engage", apprentice_name=f"BERNARD-LEFEBVRE Marie-Charlotte {i}")
                for i in range(3)]
    lines = [dict(dossier=d, nature="teaching", quantity=1, amount=Decimal("123456.78")) for d in dossiers]
    mass = invoice_workflow.create_invoice(org, lines, kind="mass", cfa_reference="FACTURE-2026-000000123456",
                                           cfa_invoice_date=dt.date(2026, 2, 27))
    invoice_workflow.validate(mass, comptable())
    create_credit_note(dossiers[0], "300.00", "rupture")
    models.BankDetails.create(organisation=org, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                              holder=org.name)
    from workflows import bank_details as bank_service
    bank_service.approve(models.BankDetails.get(), factory.staff("comptable"))
    payment, _ = record_payment(org, [mass.id], "k-width", date=dt.date(2026, 3, 15), user=comptable())
    return payment


@pytest.mark.parametrize("email", ["admin@cfa-sud.test", "gestion@cfa-sud.test"])
def test_the_billing_pages_fit_1366_pixels(app, factory, live_server, browser_page, email):
    payment = _world(factory)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "Portail-Demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    folder = Path(os.environ.get("BROWSER_ARTIFACTS", "/tmp/portail-browser"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in (("reglements", "/portail/reglements"), ("reglement", f"/portail/reglements/{payment.reference}"),
                       ("facturations", "/portail/historiques/facturations"),
                       ("soldes", "/portail/historiques/soldes-echus"),
                       ("remboursements", "/portail/historiques/remboursements"),
                       ("banque", "/portail/organisation/banque"), ("avoirs", "/portail/organisation/avoirs")):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        page.screenshot(path=str(folder / f"{name}-{email.split('@')[0]}.png"), full_page=True)
        main = page.evaluate("(() => { const m = document.querySelector('main'); "
                             "return [m.scrollWidth, m.clientWidth, m.getBoundingClientRect().right]; })()")
        assert main[0] <= main[1] and main[2] <= 1366, f"{path}: the content is clipped ({main})"
