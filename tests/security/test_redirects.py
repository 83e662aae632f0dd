"""Every return parameter (login `next`, admin `url=`, organisation switch `next`) only leads to a local path.

Browsers read `/\\evil.example` as `//evil.example` and drop tabs and newlines from a URL, so those spellings
must be refused as well as plain absolute URLs.
"""
from urllib.parse import urlsplit

import pytest

pass

HOSTILE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "/\t/evil.example/",
           "/\\/evil.example", "javascript:alert(1)", " //evil.example", "/%09/evil.example"]


def browser_target(location):
    """Where a browser would go: it strips tabs/newlines and reads backslashes as slashes."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    return urlsplit(cleaned)


def assert_local(response):
    assert response.status_code in (302, 303), response.status_code
    target = browser_target(response.headers["Location"])
    assert target.netloc in ("", "localhost"), response.headers["Location"]
    assert target.scheme in ("", "http"), response.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE)
def test_login_next_never_sends_the_user_to_another_site(client, factory, target):
    user = factory.staff("admin")
    response = client.post_form("/connexion?next=" + target.replace("\t", "%09").replace("\\", "%5C")
                                .replace(" ", "%20"), {"email": user.email, "password": "Portail-Demo-2026"})
    assert_local(response)


def test_login_next_keeps_a_local_path(client, factory):
    user = factory.staff("admin")
    response = client.post_form("/connexion?next=/admin/dossier/", {"email": user.email,
                                                                    "password": "Portail-Demo-2026"})
    assert response.headers["Location"].endswith("/admin/dossier/")


@pytest.mark.parametrize("target", HOSTILE)
def test_admin_dossier_action_return_url_stays_local(app, factory, make_client, target):
    staff = factory.staff("admin")
    dossier = factory.dossier(state="recu")
    client = make_client(staff.email)
    response = client.post_form("/admin/dossier/action/instruire/", {"ids": str(dossier.id), "url": target})
    assert_local(response)
    dossier = type(dossier).get_by_id(dossier.id)
    assert dossier.state == "en_instruction"  # the action itself ran


@pytest.mark.parametrize("target", HOSTILE)
def test_admin_invoice_reason_return_url_stays_local(app, factory, make_client, target):
    staff = factory.staff("admin")
    client = make_client(staff.email)
    response = client.post_form("/admin/invoice/motif/rejeter/", {"ids": "999999", "url": target,
                                                                 "reason": "Pièce illisible"})
    assert_local(response)


@pytest.mark.parametrize("target", HOSTILE)
def test_portal_organisation_switch_next_stays_local(app, factory, make_client, target):
    organisation = factory.organisation()
    user = factory.cfa_user(organisation)
    client = make_client(user.email)
    response = client.post_form(f"/portail/organisation/{organisation.siret}", {"next": target})
    assert_local(response)
