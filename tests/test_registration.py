"""Registration by SIRET (seed 001 *Pas de compte ?*): SIRET check, account creation with an activation link
(signed, 24 hours, single use), the registration sheet of an unknown organisation validated or refused by the
OPCO, the neutral answers, the per-address limit, and the activation email through a real SMTP server."""
import datetime as dt
import html as html_module
import re
from urllib.parse import urlsplit

import pytest

import models
from infrastructure.passwords import verify_password
from models.states import OrganisationStatus
from tests.factories import make_siret
from tests.infrastructure.test_mail import _body, smtp_server  # noqa: F401  (the aiosmtpd fixture)
from workflows import registration

PASSWORD = "Inscription-Sure-2026"
NEW_SIRET = make_siret(9001)
SENT = "Un e-mail vient d'être envoyé à l'adresse saisie"


@pytest.fixture(autouse=True)
def _readable_pages(monkeypatch):
    """`response.text`: the page with its entities decoded (« d&#39;être » reads « d'être »)."""
    from werkzeug.test import TestResponse
    monkeypatch.setattr(TestResponse, "text", property(lambda r: html_module.unescape(r.get_data(as_text=True))),
                        raising=False)


def _siret(client, number):
    return client.post_form("/inscription", {"siret": number})


def _account(client, email="directrice@cfa-neuf.test", password=PASSWORD, **overrides):
    data = {"email": email, "confirm_email": email, "password": password, "confirm": password, **overrides}
    return client.post_form("/inscription/compte", data)


def _sheet_data(**overrides):
    data = {
        "opco_reference": "REF-42", "name": "CFA des Métiers Neufs", "name_suite": "Campus Est",
        "street": "12 rue des Apprentis", "street_suite": "Bâtiment B", "postal_code": "69003", "city": "Lyon",
        "phone": "04 72 00 00 00", "org_email": "contact@metiers-neufs.test", "is_fpc_provider": "0",
        "is_cfa": "1", "da_number": "CFA", "for_profit": "0", "vat_liable": "1", "contact_civility": "Mme",
        "contact_last_name": "Durand", "contact_first_name": "Alice", "contact_phone": "0612345678",
        "contact_email": "alice.durand@metiers-neufs.test", "contact_function": "Directrice",
        "zone": "Auvergne-Rhône-Alpes", "registration_comment": "Ouverture en septembre.",
        "email": "alice@metiers-neufs.test", "confirm_email": "alice@metiers-neufs.test",
        "password": PASSWORD, "confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def _last_mail(recipient):
    mail = (models.OutboxEmail.select().where(models.OutboxEmail.recipient == recipient)
            .order_by(models.OutboxEmail.id.desc()).first())
    assert mail is not None, f"no email to {recipient}"
    return mail


def _activation_path(recipient):
    mail = (models.OutboxEmail.select().where((models.OutboxEmail.recipient == recipient)
                                              & models.OutboxEmail.body.contains("/activer/"))
            .order_by(models.OutboxEmail.id.desc()).first())
    assert mail is not None, f"no activation email to {recipient}"
    return urlsplit(re.search(r"https?://\S+/activer/\S+", mail.body).group(0)).path


def _login(client, email, password=PASSWORD):
    return client.post_form("/connexion", {"email": email, "password": password})


@pytest.fixture
def known(factory):
    """A known active organisation nobody uses yet."""
    return factory.organisation(name="CFA Connu", email="accueil@cfa-connu.test")


def _register_known(client, org, email="directrice@cfa-neuf.test"):
    assert _siret(client, org.siret).status_code == 302
    response = _account(client, email)
    assert response.status_code == 200 and SENT in response.text
    return models.User.get(models.User.email == email.lower())


def test_the_sign_in_page_links_to_registration_and_the_forgotten_password(client):
    html = client.get("/connexion").text
    assert 'href="/inscription"' in html and "Pas de compte ?" in html
    assert 'href="/mot-de-passe-oublie"' in html and "Mot de passe oublié" in html
    page = client.get("/inscription").text
    assert "Validation du SIRET" in page and "Valider" in page


@pytest.mark.parametrize("typed", ["123", "732 829 320 00075", "abcdefghijklmn", ""])
def test_an_invalid_siret_is_refused_in_french(client, db, typed):
    response = _siret(client, typed)
    assert response.status_code == 400
    html = response.text
    assert "SIRET" in html and ("invalide" in html or "Saisissez" in html)
    assert f'value="{typed}"' in html


def test_a_known_organisation_gets_an_inactive_admin_account_activated_by_the_emailed_link(client, known, db):
    spaced = " ".join([known.siret[:3], known.siret[3:6], known.siret[6:9], known.siret[9:]])
    response = _siret(client, spaced)  # spaces are allowed
    assert response.status_code == 302 and response.headers["Location"].endswith("/inscription/compte")
    page = client.get("/inscription/compte").text
    assert "Création de compte" in page and known.siret in page
    assert "au moins 8 caractères" in page.lower() and "minuscule" in page and "majuscule" in page

    user = _register_known(client, known, "Directrice@CFA-Neuf.test")
    user = models.User.get(models.User.email == "directrice@cfa-neuf.test")
    assert user.kind == "cfa" and user.active and user.email_confirmed_at is None and user.awaiting_activation
    assert user.registered_for_id == known.id and verify_password(user.password_hash, PASSWORD)
    membership = models.Membership.get(models.Membership.user == user.id)
    assert membership.organisation_id == known.id and membership.role == "admin_of"
    assert membership.rights == {name for name, _ in models.user.RIGHTS}
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "user")
                                            & (models.AuditEntry.action == "self_register")).count() == 1
    mail = _last_mail(user.email)
    assert mail.subject.startswith("Activez votre compte") and "24 heures" in mail.body and mail.html_body
    assert "Un compte administrateur" in _last_mail("accueil@cfa-connu.test").body  # the organisation is told
    token = models.OneTimeToken.get(models.OneTimeToken.user == user.id)
    assert token.purpose == "activation" and token.expires_at - token.created_at == dt.timedelta(hours=24)
    path = _activation_path(user.email)
    assert token.token_hash not in path

    refused = _login(client, user.email)
    assert refused.status_code == 403
    html = refused.text
    assert "pas encore activé" in html and 'href="/activation/nouveau-lien"' in html
    wrong = _login(client, user.email, "Mauvais-Secret-1")
    assert wrong.status_code == 401 and "pas encore activé" not in wrong.text

    shown = client.get(path)
    assert shown.status_code == 200 and "Activer mon compte" in shown.text
    assert models.User.get_by_id(user.id).email_confirmed_at is None  # opening the link is not enough
    done = client.post_form(path)
    assert done.status_code == 200
    html = done.text
    assert "Votre compte est activé" in html and "Me connecter" in html
    assert models.User.get_by_id(user.id).email_confirmed_at is not None
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "user")
                                            & (models.AuditEntry.action == "activate")).count() == 1
    assert _login(client, user.email).status_code == 302
    assert client.get("/portail/").status_code == 200


def test_the_activation_link_is_refused_after_24_hours_and_a_new_one_can_be_asked(client, known, db):
    user = _register_known(client, known)
    path = _activation_path(user.email)
    models.OneTimeToken.update(expires_at=models.now() - dt.timedelta(seconds=1)).where(
        models.OneTimeToken.user == user.id).execute()
    for response in (client.get(path), client.post_form(path)):
        assert response.status_code == 410
        html = response.text
        assert "expiré" in html and "24 heures" in html and 'action="/activation/nouveau-lien"' in html
    assert models.User.get_by_id(user.id).email_confirmed_at is None

    asked = client.post_form("/activation/nouveau-lien", {"email": user.email.upper()})
    unknown = client.post_form("/activation/nouveau-lien", {"email": "personne@nulle-part.test"})
    assert asked.status_code == unknown.status_code == 200
    assert _text_of(asked, "sent") == _text_of(unknown, "sent")  # the same answer whatever the address
    fresh = _activation_path(user.email)
    assert fresh != path
    assert client.post_form(fresh).status_code == 200
    assert models.User.get_by_id(user.id).email_confirmed_at is not None


def _text_of(response, element_id):
    return re.search(rf'id="{element_id}"[^>]*>(.*?)<', response.text, re.S).group(1)


def test_the_workflow_refuses_the_link_a_second_after_24_hours(client, known, db):
    user = _register_known(client, known)
    token = models.OneTimeToken.get(models.OneTimeToken.user == user.id)
    from infrastructure import signed_links
    with client.application.test_request_context():
        secret = signed_links.unsign(_activation_path(user.email).rsplit("/", 1)[1], "activation")
    with pytest.raises(registration.tokens.TokenInvalid) as refused:
        registration.activate(secret, now=token.created_at + dt.timedelta(hours=24, seconds=1))
    assert refused.value.reason == "expired"
    assert registration.activate(secret, now=token.created_at + dt.timedelta(hours=23, minutes=59)).email_confirmed_at


def test_a_used_activation_link_is_refused(client, known, db):
    user = _register_known(client, known)
    path = _activation_path(user.email)
    assert client.post_form(path).status_code == 200
    for again in (client.get(path), client.post_form(path)):
        assert again.status_code == 410 and "déjà été utilisé" in again.text


def test_a_forged_or_tampered_link_is_refused_before_any_lookup(client, known, db):
    user = _register_known(client, known)
    path = _activation_path(user.email)
    token = path.rsplit("/", 1)[1]
    secret_part = token.split(".")[0]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, secret_part, "x" * 50, "a" * 1000, "..", token.replace(".", "-")):
        response = client.get(f"/activer/{bad}")
        assert response.status_code == 404, bad
        assert "n'est pas valide" in response.text
    # a reset link's signature does not open an activation
    from infrastructure import signed_links
    with client.application.test_request_context():
        secret = signed_links.unsign(token, "activation")
        as_reset = signed_links.sign(secret, "reset")
    assert client.get(f"/activer/{as_reset}").status_code == 404
    assert models.User.get_by_id(user.id).email_confirmed_at is None


def test_a_second_self_registration_on_the_same_siret_is_refused_neutrally(client, known, make_client, db):
    _register_known(client, known)
    other = make_client()
    response = _siret(other, known.siret)
    assert response.status_code == 200
    html = response.text
    assert "administrateur de votre organisme" in html and "Mot de passe oublié" in html
    assert "directrice@cfa-neuf.test" not in html
    assert other.get("/inscription/compte").status_code == 302  # no way round the SIRET page
    assert models.User.select().where(models.User.registered_for == known.id).count() == 1


def test_an_organisation_with_users_is_never_claimed_by_its_siret(client, factory, db):
    org = factory.organisation()
    factory.cfa_user(org, role="gestionnaire_of")
    response = _siret(client, org.siret)
    assert response.status_code == 200 and "administrateur de votre organisme" in response.text


def test_the_account_form_refuses_bad_input_in_french_and_keeps_what_was_typed(client, known, db):
    _siret(client, known.siret)
    cases = [
        ({"password": "court", "confirm": "court"}, "au moins 8 caractères"),
        ({"password": "Azerty123!", "confirm": "Azerty123!"}, "plus courants"),
        ({"password": "toutminuscule", "confirm": "toutminuscule"}, "majuscule"),
        ({"confirm": "Autre-Secret-2026"}, "ne sont pas identiques"),
        ({"confirm_email": "autre@cfa-neuf.test"}, "adresses e-mail ne sont pas identiques"),
        ({"email": "pas-une-adresse", "confirm_email": "pas-une-adresse"}, "e-mail"),
    ]
    for overrides, message in cases:
        response = _account(client, **overrides)
        assert response.status_code == 400, overrides
        html = response.text
        assert message in html, overrides
        assert PASSWORD not in html and 'value="Azerty123!"' not in html  # passwords never come back
    assert "directrice@cfa-neuf.test" in _account(client, confirm="x").text
    assert not models.User.select().where(models.User.kind == "cfa").exists()


def test_an_email_that_has_an_account_gets_a_notice_and_the_page_answers_the_same(client, known, factory, db):
    existing = factory.cfa_user(email="deja@cfa.test")
    _siret(client, known.siret)
    response = _account(client, "DEJA@cfa.test")
    assert response.status_code == 200 and SENT in response.text
    assert models.User.select().count() == 1 and models.User.get().id == existing.id
    assert "déjà un compte" in _last_mail("deja@cfa.test").body
    assert registration.lookup(known.siret) == registration.ACCOUNT  # nothing claimed


def test_an_unknown_organisation_fills_the_sheet_and_waits_for_the_opco(client, db):
    response = _siret(client, NEW_SIRET)
    assert response.status_code == 302 and response.headers["Location"].endswith("/inscription/fiche")
    page = client.get("/inscription/fiche").text
    assert "Validation des Données Organisme de formation" in page and NEW_SIRET in page and "readonly" in page
    for label in ("Zone d'intervention", "CFA historique", "Civilité", "Commentaire", "assujetti à la TVA"):
        assert label in page
    assert "Île-de-France" in page

    done = client.post_form("/inscription/fiche", _sheet_data(siret="11111111111111"))  # a posted SIRET is ignored
    assert done.status_code == 200 and "transmise à l'OPCO" in done.text
    org = models.Organisation.get(models.Organisation.siret == NEW_SIRET)
    assert org.status == OrganisationStatus.PENDING
    assert (org.name, org.name_suite, org.street_suite, org.postal_code, org.phone) == (
        "CFA des Métiers Neufs", "Campus Est", "Bâtiment B", "69003", "0472000000")
    assert (org.is_cfa, org.is_fpc_provider, org.for_profit, org.vat_liable) == (True, False, False, True)
    assert (org.da_number, org.zone, org.contact_civility, org.opco_reference) == (
        "CFA", "Auvergne-Rhône-Alpes", "Mme", "REF-42")
    assert org.registration_comment == "Ouverture en septembre." and org.email == "contact@metiers-neufs.test"
    user = models.User.get(models.User.email == "alice@metiers-neufs.test")
    assert user.registered_for_id == org.id and user.awaiting_activation
    assert models.Membership.get(models.Membership.user == user.id).role == "admin_of"
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "organisation")
                                            & (models.AuditEntry.action == "register")).count() == 1
    subjects = {m.subject for m in models.OutboxEmail.select().where(models.OutboxEmail.recipient == user.email)}
    assert any(s.startswith("Activez") for s in subjects) and any(s.startswith("Demande d'inscription") for s in subjects)

    # pending: the SIRET page says so, the requester cannot sign in even once activated
    again = _siret(client, NEW_SIRET.replace("", " ").strip())
    assert again.status_code == 200 and "en cours de validation" in again.text
    client.post_form(_activation_path(user.email))
    refused = _login(client, user.email)
    assert refused.status_code == 403 and "en cours de validation" in refused.text


def test_the_sheet_refuses_bad_input_in_french_and_creates_nothing(client, db):
    _siret(client, NEW_SIRET)
    cases = [
        ({"name": ""}, "Saisissez la raison sociale"),
        ({"postal_code": "6900"}, "Code postal invalide"),
        ({"da_number": "12AB"}, "déclaration d'activité invalide"),
        ({"is_cfa": "0", "is_fpc_provider": "0"}, "et/ou est CFA"),
        ({"zone": "Atlantide"}, "zone d'intervention"),
        ({"contact_civility": ""}, "civilité"),
        ({"for_profit": "peut-être"}, "Choix invalide"),
        ({"contact_phone": "12"}, "téléphone invalide"),
    ]
    for overrides, message in cases:
        response = client.post_form("/inscription/fiche", _sheet_data(**overrides))
        assert response.status_code == 400, overrides
        html = response.text
        assert message in html, overrides
        assert "12 rue des Apprentis" in html and PASSWORD not in html
    assert not models.Organisation.select().exists() and not models.User.select().exists()


@pytest.fixture
def pending(client, db):
    _siret(client, NEW_SIRET)
    assert client.post_form("/inscription/fiche", _sheet_data()).status_code == 200
    org = models.Organisation.get(models.Organisation.siret == NEW_SIRET)
    user = models.User.get(models.User.registered_for == org.id)
    client.post_form(_activation_path(user.email))
    return org, user


def test_staff_see_pending_registrations_on_the_dashboard_and_validate_one(pending, make_client, factory, client):
    org, user = pending
    factory.organisation(name="CFA Actif")
    admin = factory.staff("admin")
    staff = make_client(admin.email)
    dashboard = staff.get("/admin/").text
    block = re.search(r'id="registrations-pending">(.*?)</div></div></div>', dashboard, re.S).group(1)
    assert ">1<" in block and "Inscriptions à valider" in block
    url = re.search(r'href="([^"]+)"', block).group(1).replace("&amp;", "&")
    listed = staff.get(url).text
    assert "CFA des Métiers Neufs" in listed and "CFA Actif" not in listed

    details = staff.get(f"/admin/organisation/details/?id={org.id}").text
    assert "Valider l'inscription" in details
    assert "Ouverture en septembre." in details
    response = staff.post_form("/admin/organisation/action/", {"action": "valider_inscription", "rowid": str(org.id)})
    assert response.status_code == 302
    assert models.Organisation.get_by_id(org.id).status == OrganisationStatus.ACTIVE
    entry = models.AuditEntry.get((models.AuditEntry.entity == "organisation")
                                  & (models.AuditEntry.action == "validate_registration"))
    assert entry.entity_id == str(org.id) and entry.user_id == admin.id
    mail = _last_mail(user.email)
    assert mail.subject.startswith("Inscription validée") and "/connexion" in mail.body
    assert _login(client, user.email).status_code == 302


def test_a_refusal_needs_a_reason_and_emails_it(pending, make_client, factory, client):
    org, user = pending
    staff = make_client(factory.staff("admin").email)
    start = staff.post_form("/admin/organisation/action/", {"action": "refuser_inscription", "rowid": str(org.id)})
    assert start.status_code == 302 and "/refus-inscription/" in start.headers["Location"]
    form_url = urlsplit(start.headers["Location"])
    page = staff.get(f"{form_url.path}?{form_url.query}")
    assert page.status_code == 200 and "Motif du refus" in page.text
    empty = staff.post_form(f"{form_url.path}?{form_url.query}", {"ids": str(org.id), "reason": "  "})
    assert empty.status_code == 400 and "Le motif est obligatoire" in empty.text
    assert models.Organisation.get_by_id(org.id).status == OrganisationStatus.PENDING
    done = staff.post_form(f"{form_url.path}?{form_url.query}",
                           {"ids": str(org.id), "reason": "SIRET d'un établissement fermé <b>depuis 2024</b>."})
    assert done.status_code == 302
    assert models.Organisation.get_by_id(org.id).status == OrganisationStatus.REFUSED
    entry = models.AuditEntry.get(models.AuditEntry.action == "refuse_registration")
    assert "fermé" in entry.note
    mail = _last_mail(user.email)
    assert mail.subject.startswith("Inscription refusée") and "fermé <b>depuis 2024</b>" in mail.body
    assert "&lt;b&gt;" in mail.html_body
    refused = _login(client, user.email)
    assert refused.status_code == 403 and "refusée" in refused.text
    closed = _siret(client, NEW_SIRET)
    assert closed.status_code == 200 and "Contactez l'OPCO" in closed.text


def test_only_staff_administrators_decide_registrations(pending, make_client, factory):
    org, _ = pending
    conseiller = make_client(factory.staff("conseiller").email)
    conseiller.post_form("/admin/organisation/action/", {"action": "valider_inscription", "rowid": str(org.id)})
    assert conseiller.get(f"/admin/organisation/refus-inscription/?ids={org.id}").status_code == 403
    assert models.Organisation.get_by_id(org.id).status == OrganisationStatus.PENDING


def test_the_organisation_form_has_no_free_status_field(make_client, factory, db):
    org = factory.organisation(status="pending")
    staff = make_client(factory.staff("admin").email)
    page = staff.get(f"/admin/organisation/edit/?id={org.id}").text
    assert 'name="status"' not in page and 'name="name"' in page
    staff.post_form(f"/admin/organisation/edit/?id={org.id}", {"siret": org.siret, "name": org.name, "status": "active"})
    assert models.Organisation.get_by_id(org.id).status == "pending"


@pytest.mark.parametrize("status", ["inactive", "refused"])
def test_a_closed_organisation_is_told_to_contact_the_opco(client, factory, status):
    org = factory.organisation(status=status)
    response = _siret(client, org.siret)
    assert response.status_code == 200 and "Contactez l'OPCO" in response.text


def test_registration_posts_are_limited_per_address_with_a_french_page(client, app, db):
    app.config["REGISTRATION_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert _siret(client, "123").status_code == 400
    response = client.post_form("/activation/nouveau-lien", {"email": "a@b.test"})  # the limit is shared
    assert response.status_code == 429
    assert "Trop de demandes d'inscription" in response.text
    assert client.get("/inscription").status_code == 200  # reading the page is never limited


def test_the_activation_email_leaves_by_smtp_and_its_link_works(client, known, smtp_server, db):
    _siret(client, known.siret)
    response = _account(client, "directrice@cfa-neuf.test")
    assert smtp_server.messages == []  # nothing leaves before the response is done
    response.close()
    user = models.User.get(models.User.email == "directrice@cfa-neuf.test")
    messages = [m for rcpts, m in smtp_server.messages if rcpts == [user.email]]
    assert len(messages) == 1 and messages[0]["Subject"].startswith("Activez votre compte")
    text, html = _body(messages[0], "plain"), _body(messages[0], "html")
    url = re.search(r"https?://\S+/activer/\S+", text).group(0)
    assert url in html
    assert client.post_form(urlsplit(url).path).status_code == 200
    assert _login(client, user.email).status_code == 302


def test_step_three_gives_an_old_database_the_registration_columns_and_keeps_its_rows(app, db, factory):
    """A database from before registration by SIRET: users gain `registered_for` (unique), organisations the
    sheet's comment; the rows stay."""
    from playhouse.migrate import migrate

    from models import is_postgres, migrations

    user = factory.cfa_user(email="ancien@cfa.test")
    migrator = migrations.SchemaMigrator.from_database(db)
    legacy = {} if is_postgres() else {"legacy": True}  # SQLite drops a foreign-key column by a table rebuild
    migrate(migrator.drop_index("user", "user_registered_for_id"),
            migrator.drop_column("user", "registered_for_id", **legacy),
            migrator.drop_column("organisation", "registration_comment"))
    version = models.SchemaVersion.get().version
    before = migrations.STEPS.index(migrations._0003_self_registration)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "registered_for_id" in {c.name for c in db.get_columns("user")}
        assert "registration_comment" in {c.name for c in db.get_columns("organisation")}
        assert any(i.unique and i.columns == ["registered_for_id"] for i in db.get_indexes("user"))
        assert models.User.get_by_id(user.id).email == "ancien@cfa.test"
    finally:
        models.SchemaVersion.update(version=version).execute()


def test_a_simultaneous_registration_with_the_same_email_ends_in_the_notice_not_a_500(client, known, factory,
                                                                                        monkeypatch):
    """The check passed in both requests, the unique email refuses the second insert: same neutral answer."""
    factory.cfa_user(email="course@cfa.test")
    real, calls = registration._email_taken, []

    def first_check_misses(email):  # the other request had not committed yet
        calls.append(email)
        return False if len(calls) == 1 else real(email)

    monkeypatch.setattr(registration, "_email_taken", first_check_misses)
    _siret(client, known.siret)
    response = _account(client, "course@cfa.test")
    assert response.status_code == 200 and SENT in response.text
    assert "déjà un compte" in _last_mail("course@cfa.test").body
    assert registration.lookup(known.siret) == registration.ACCOUNT
