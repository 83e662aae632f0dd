"""A new CFA in a real browser: registers with its SIRET, activates through the link received by a real SMTP
server, signs in, invites a gestionnaire with the "contracts" right only, who activates through the invitation
email and cannot reach billing."""
import re

import pytest

import models
from models.user import RIGHTS
from tests.smtp import smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

PASSWORD = "Horizon-Apprentis-2026"
GESTIONNAIRE_PASSWORD = "Contrats-Seulement-2026"


def _link_in_last_email(smtp_server, address, path):
    """The link to `path` in the one message the SMTP server received for `address` (text and HTML parts agree)."""
    messages = [message for recipients, message in smtp_server.messages if recipients == [address]]
    assert len(messages) == 1, [m["Subject"] for _, m in smtp_server.messages]
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    html = messages[0].get_body(preferencelist=("html",)).get_content()
    [link] = set(re.findall(rf"https?://\S+{path}[A-Za-z0-9_.\-]+", text))
    assert f'href="{link}"' in html
    return link


def test_a_new_cfa_registers_activates_and_invites_a_gestionnaire_who_cannot_see_billing(
        app, factory, live_server, browser_page, smtp_server):
    org = factory.organisation(name="CFA Horizon", siret="42110064500967")
    factory.engaged_dossier(org)  # something to bill, so billing screens would have content
    page = browser_page

    # Registration by SIRET (spaces allowed), then the account form.
    page.goto(f"{live_server}/connexion")
    page.click("text=Pas de compte ?")
    page.fill("input[name=siret]", "421 100 645 00967")
    page.click("button[type=submit]")
    page.wait_for_url("**/inscription/compte")
    assert "Création de compte" in page.content()
    page.fill("input[name=email]", "directrice@cfa-horizon.test")
    page.fill("input[name=confirm_email]", "directrice@cfa-horizon.test")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button[type=submit]")
    assert "Un e-mail vient d'être envoyé" in page.content()

    # Signing in before activation is refused with what to do.
    page.goto(f"{live_server}/connexion")
    page.fill("input[name=email]", "directrice@cfa-horizon.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert "activation" in page.content()
    assert "/portail" not in page.url

    # The activation link from the email, then Me connecter.
    page.goto(_link_in_last_email(smtp_server, "directrice@cfa-horizon.test", "/activer/"))
    page.click("button[type=submit]")
    page.click("text=Me connecter")
    page.fill("input[name=email]", "directrice@cfa-horizon.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    assert "Factures" in page.inner_text("nav")  # the self-registered admin holds the six rights

    # Invite a gestionnaire with the contracts right only.
    page.click("#nav-users")
    page.click("#add-user")
    page.fill("input[name=last_name]", "Durand")
    page.fill("input[name=first_name]", "Paul")
    page.fill("input[name=email]", "paul.durand@cfa-horizon.test")
    page.click("text=Suivant")
    page.select_option(f"#o{org.id}_role", "gestionnaire_of")
    for name, _ in RIGHTS:
        box = page.locator(f"#o{org.id}_{name}")
        box.check() if name == "right_contracts" else box.uncheck()
    page.click("text=Enregistrer et envoyer l'invitation")
    assert "paul.durand@cfa-horizon.test" in page.content()
    page.eval_on_selector("#profile-menu form", "form => form.submit()")  # Déconnexion, in the profile menu
    page.wait_for_url("**/connexion")

    # The gestionnaire sets a password through the invitation, signs in and sees no billing.
    page.goto(_link_in_last_email(smtp_server, "paul.durand@cfa-horizon.test", "/invitation/"))
    page.fill("input[name=password]", GESTIONNAIRE_PASSWORD)
    page.fill("input[name=confirm]", GESTIONNAIRE_PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Me connecter")
    page.fill("input[name=email]", "paul.durand@cfa-horizon.test")
    page.fill("input[name=password]", GESTIONNAIRE_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/portail/")
    nav = page.inner_text("nav")
    assert "Dossiers" in nav and "Factures" not in nav and "Facturation" not in nav
    response = page.goto(f"{live_server}/portail/factures")
    assert response.status == 403
    membership = models.Membership.get(models.Membership.user == models.User.get(
        models.User.email == "paul.durand@cfa-horizon.test"))
    assert membership.role == "gestionnaire_of" and membership.rights == {"right_contracts"}
