"""Text typed by users (apprentice names, refusal reasons, notification messages, file names) is shown
escaped everywhere: in the portal and in the back office. No template uses |safe or Markup on user text."""
import pathlib
import re

import models
from tests.portal.world import two_cfas

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;"


def assert_escaped(html, where):
    assert "<script>alert" not in html and "<img src=x" not in html, f"unescaped user text in {where}"


def test_no_template_or_view_marks_text_as_safe():
    root = pathlib.Path(__file__).resolve().parents[2]
    hits = []
    for path in list((root / "templates").rglob("*.html")) + list((root / "views").rglob("*.py")) \
            + list((root / "services").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\|\s*safe\b", r"\bMarkup\(", r"autoescape\s+false"):
            hits += [f"{path.relative_to(root)}: {pattern}" for _ in re.finditer(pattern, text)]
    assert not hits, hits


def test_hostile_text_is_escaped_in_portal_and_back_office(app, factory, make_client):
    sud, nord, employer, staff = two_cfas(app, factory)
    dossier = sud.dossier
    dossier.apprentice_name = PAYLOAD
    dossier.save()
    models.Apprentice.update(birth_name=PAYLOAD).where(models.Apprentice.id == dossier.apprentice_id).execute()
    models.Notification.create(organisation=sud.organisation, dossier=dossier, message=PAYLOAD)
    sud.document.original_name = PAYLOAD + ".pdf"
    sud.document.save()
    admin = make_client(staff.email)
    # the refusal reason goes through the real back-office flow
    response = admin.post_form("/admin/invoice/motif/rejeter/", {"ids": str(sud.invoice.id), "reason": PAYLOAD})
    assert response.status_code == 302
    assert models.Invoice.get_by_id(sud.invoice.id).rejection_reason == PAYLOAD
    portal = make_client(sud.admin.email)
    pages = [(portal, "/portail/"), (portal, "/portail/dossiers"), (portal, f"/portail/dossiers/{dossier.number}"),
             (portal, "/portail/notifications"), (portal, f"/portail/factures/{sud.invoice.id}"),
             (portal, "/portail/factures"),
             (admin, "/admin/dossier/"), (admin, f"/admin/dossier/details/?id={dossier.id}"),
             (admin, "/admin/apprentice/"), (admin, f"/admin/invoice/details/?id={sud.invoice.id}"),
             (admin, "/admin/invoice/"), (admin, "/admin/notification/"), (admin, "/admin/document/"),
             (admin, "/admin/auditentry/"), (admin, "/admin/")]
    shown = 0
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        html = response.get_data(as_text=True)
        assert_escaped(html, url)
        shown += ESCAPED in html
    assert shown >= 8  # the payload is really displayed (escaped) on most of these pages
