"""Every email is a pair of templates, templates/email/<kind>.txt and .html, rendered by render_email: both parts
in French with the team's sign-off, the HTML part escaped. The code is read (ast) to find every kind it sends and
every send_email call, so a hand-built email or a missing HTML part fails here."""
import ast
import datetime as dt
from pathlib import Path

import pytest
from jinja2 import StrictUndefined

from infrastructure import mail

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [p for folder in ("workflows", "views", "commands", "infrastructure", "access", "forms")
            for p in sorted((ROOT / folder).rglob("*.py"))] + [ROOT / "cli.py", ROOT / "app.py"]
SIGN_OFF = "L'équipe Portail CFA"
EVIL = "<script>alert(1)</script>"

# One sample context per kind: a new kind of email adds its line here.
SAMPLES = {
    "digest": {"first_name": "Léa", "items": [{"when": "06/12/2026 08:00", "organisation": "CFA Étoile",
                                                "dossier": "D-2026-0001", "message": "Facture validée"}],
               "link": "https://portail.test/portail/notifications"},
    "password_reset": {"full_name": "Léa Martin", "link": "https://portail.test/reinitialiser/abc",
                       "until_date": "06/12/2026", "until_time": "09:00"},
    "email_change_confirm": {"full_name": "Léa Martin", "new_email": "lea@nouveau.test",
                             "link": "https://portail.test/confirmer-email/abc", "until_date": "07/12/2026",
                             "until_time": "08:00"},
    "email_change_notice": {"full_name": "Léa Martin", "new_email": "lea@nouveau.test", "old_email": "lea@cfa.test",
                            "asked_date": "06/12/2026", "asked_time": "08:00"},
    "activation": {"link": "https://portail.test/activer/abc", "until": dt.datetime(2026, 12, 7, 8, 0)},
    "invitation": {"first_name": "Paul", "inviter": "Léa Martin", "organisations": ["CFA Étoile", "CFA Étoile Lyon"],
                   "link": "https://portail.test/invitation/abc", "until": "07/12/2026 à 08:00"},
    "account_exists": {"login_url": "https://portail.test/connexion"},
    "registration_claimed": {"email": "lea@cfa.test", "organisation": "CFA Étoile", "siret": "42110064500967"},
    "registration_received": {"organisation": "CFA Étoile", "siret": "42110064500967"},
    "registration_refused": {"organisation": "CFA Étoile", "siret": "42110064500967",
                             "reason": "Organisme inconnu du registre"},
    "registration_validated": {"organisation": "CFA Étoile", "siret": "42110064500967",
                               "login_url": "https://portail.test/connexion", "awaiting_activation": True},
    "proposal_refused": {"full_name": "Léa Martin", "employer": "Garage Central", "apprentice": "LEBLANC Inès",
                         "reason": "Poste pourvu en interne"},
    "proposal_sent": {"cfa": "CFA Étoile", "apprentice": "Lucas Martin", "start": "01/09/2026",
                      "employer": "Garage Central", "training": "BTS MV", "link": "https://portail.test/portail/",
                      "invitation": None, "until": ""},
    "api_key_expiring": {"full_name": "Léa Martin", "key_name": "Ypareo", "prefix": "pcfa_Ab3dE5f",
                         "organisation": "CFA Étoile", "siret": "42110064500967", "expires": "05/01/2027",
                         "link": "https://portail.test/portail/cles-api"},
}
# The variable holding the recipient's name, for the escaping check.
NAME_VARIABLE = {"digest": "first_name", "invitation": "inviter", "registration_claimed": "organisation",
                 "registration_received": "organisation", "registration_refused": "organisation",
                 "registration_validated": "organisation", "proposal_sent": "apprentice"}
# Emails that carry nothing typed by a person (a link and dates only).
NOTHING_TYPED = {"activation", "account_exists"}


def kinds_on_disk():
    folder = mail.TEMPLATES
    return ({p.stem for p in folder.glob("*.txt") if not p.name.startswith("_")}
            | {p.stem for p in folder.glob("*.html") if not p.name.startswith("_")})


def calls(name):
    """(path, call node) of every call of a function named `name` in the app's code."""
    found = []
    for path in APP_CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.append((path.relative_to(ROOT), node))
    return found


def strict_render(kind, **context):
    strict = mail._templates.overlay(undefined=StrictUndefined)
    return (strict.get_template(f"{kind}.txt").render(**context), strict.get_template(f"{kind}.html").render(**context))


def test_every_kind_has_both_templates_and_a_sample():
    for kind in kinds_on_disk():
        assert (mail.TEMPLATES / f"{kind}.txt").is_file(), f"{kind}.txt missing"
        assert (mail.TEMPLATES / f"{kind}.html").is_file(), f"{kind}.html missing"
    assert kinds_on_disk() == set(SAMPLES)


def test_every_kind_the_code_sends_has_its_templates():
    sent = calls("render_email")
    assert sent, "no render_email call found: the search is broken"
    for path, node in sent:
        if path == Path("infrastructure/mail.py"):
            continue
        first = node.args[0] if node.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"{path}:{node.lineno}: name the kind of email literally")
        assert first.value in kinds_on_disk(), f"{path}:{node.lineno}: no templates for {first.value!r}"


def test_no_email_leaves_without_its_html_part():
    """Every send_email call passes the HTML body: rendered by render_email (unpacked), or a fourth argument."""
    sites = [(path, node) for path, node in calls("send_email") if path != Path("workflows/notify.py")]
    assert len(sites) >= 4, sites
    for path, node in sites:
        unpacked = [a for a in node.args if isinstance(a, ast.Starred)]
        html = node.args[3] if len(node.args) >= 4 else next(
            (k.value for k in node.keywords if k.arg == "html_body"), None)
        if unpacked:
            value = unpacked[0].value
            assert isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", "")) in (
                "render_email", "digest_bodies"), f"{path}:{node.lineno}: unpack render_email(...)"
        else:
            assert html is not None and not (isinstance(html, ast.Constant) and html.value is None), (
                f"{path}:{node.lineno}: send_email without an HTML body")


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_renders_in_french_with_the_sign_off(app, kind):
    text, html = strict_render(kind, **SAMPLES[kind])
    assert text.startswith("Bonjour") and SIGN_OFF in text
    assert html.lstrip().startswith("<!DOCTYPE html>") and '<html lang="fr">' in html and "L'équipe Portail CFA" in html
    assert "{{" not in text + html and "{%" not in text + html
    for value in (v for v in SAMPLES[kind].values() if isinstance(v, str) and "://" in v):
        assert value in text and f'href="{value}"' in html  # the link, clickable and readable


@pytest.mark.parametrize("kind", sorted(set(SAMPLES) - NOTHING_TYPED))
def test_a_name_with_markup_is_escaped_in_the_html_part(app, kind):
    context = dict(SAMPLES[kind], **{NAME_VARIABLE.get(kind, "full_name"): f"Léa {EVIL}"})
    text, html = mail.render_email(kind, **context)
    assert EVIL not in html and "&lt;script&gt;" in html
    assert f"Léa {EVIL}" in text  # plain text is not HTML: shown as typed


def test_the_reset_email_is_written_from_its_templates(client, factory, db):
    import models

    user = factory.cfa_user(first_name="Zoé", last_name=f"Petit {EVIL}")
    client.post_form("/mot-de-passe-oublie", {"email": user.email})
    row = models.OutboxEmail.get(models.OutboxEmail.recipient == user.email)
    assert row.subject == "Réinitialisation de votre mot de passe — Portail CFA"
    assert SIGN_OFF in row.body and "Choisir un nouveau mot de passe" in row.html_body
    assert EVIL not in row.html_body and "&lt;script&gt;" in row.html_body
