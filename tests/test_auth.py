"""Sign-in, lockout, sign-out, and who may enter the back office."""
import datetime as dt

import models


def test_login_with_the_right_password_opens_the_portal_for_a_cfa_user(client, factory):
    user = factory.cfa_user()
    response = client.login(user.email)
    assert response.headers["Location"].endswith("/portail/")


def test_login_is_case_insensitive_on_the_email(client, factory):
    user = factory.staff("conseiller")
    response = client.post_form("/connexion", {"email": user.email.upper(), "password": "Portail-Demo-2026"})
    assert response.status_code == 302


def test_wrong_password_is_refused_in_french_without_saying_which_part_is_wrong(client, factory):
    user = factory.staff("admin")
    response = client.post_form("/connexion", {"email": user.email, "password": "mauvais"})
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    unknown = client.post_form("/connexion", {"email": "personne@nulle.part", "password": "mauvais"})
    assert unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in unknown.get_data(as_text=True)


def test_an_empty_form_keeps_the_typed_email_and_answers_400(client):
    response = client.post_form("/connexion", {"email": "camille@cfa.test", "password": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="camille@cfa.test"' in html
    assert "Saisissez votre mot de passe." in html


def test_five_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(client, factory, db):
    user = factory.staff("admin")
    for _ in range(5):
        client.post_form("/connexion", {"email": user.email, "password": "mauvais"})
    locked = models.User.get_by_id(user.id)
    assert locked.locked_until is not None
    assert dt.timedelta(minutes=14) < locked.locked_until - dt.datetime.now() <= dt.timedelta(minutes=15)
    response = client.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"})
    assert response.status_code == 429
    assert "verrouillé" in response.get_data(as_text=True)
    assert models.AuditEntry.select().where(models.AuditEntry.action == "verrouillage").count() == 1


def test_the_lock_is_kept_in_the_database_so_another_process_sees_it(app, factory, db):
    user = factory.staff("admin")
    models.User.update(locked_until=dt.datetime.now() + dt.timedelta(minutes=10)).where(
        models.User.id == user.id).execute()
    from tests.conftest import PortalClient
    other = PortalClient(app)  # a fresh client: nothing shared but the database
    response = other.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"})
    assert response.status_code == 429


def test_an_expired_lock_lets_the_user_in_again(client, factory, db):
    user = factory.staff("admin")
    models.User.update(locked_until=dt.datetime.now() - dt.timedelta(minutes=1)).where(
        models.User.id == user.id).execute()
    assert client.login(user.email).status_code == 302


def test_passwords_are_hashed_with_argon2id(factory, db):
    user = factory.staff("admin")
    assert models.User.get_by_id(user.id).password_hash.startswith("$argon2id$")


def test_logout_invalidates_the_session_cookie_even_if_it_was_copied(app, client, factory):
    user = factory.staff("admin")
    client.login(user.email)
    with client.session_transaction() as sess:
        stolen = dict(sess)
    assert client.get("/admin/").status_code == 200
    client.logout()
    from tests.conftest import PortalClient
    thief = PortalClient(app)
    with thief.session_transaction() as sess:
        sess.update(stolen)
    assert thief.get("/admin/").status_code == 302


def test_logout_is_a_post_only(client, factory):
    user = factory.staff("admin")
    client.login(user.email)
    assert client.get("/deconnexion").status_code == 405


def test_an_external_next_parameter_is_ignored(client, factory):
    user = factory.staff("admin")
    response = client.post_form("/connexion?next=https://evil.example/", {"email": user.email,
                                                                          "password": "Portail-Demo-2026"})
    assert response.headers["Location"].endswith("/admin/")


def test_a_disabled_account_cannot_sign_in(client, factory):
    user = factory.staff("admin", active=False)
    response = client.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"})
    assert response.status_code == 401
    assert "désactivé" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client, factory):
    user = factory.staff("admin")
    response = client.post("/connexion", data={"email": user.email, "password": "Portail-Demo-2026"})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)


def _login_worker(database_url, folder, email, password, attempts):
    from app import create_app
    from tests.conftest import PortalClient

    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": folder, "UPLOAD_DIR": folder,
                      "SECRET_KEY": "test-secret", "TESTING": True})
    client = PortalClient(app)
    return [client.post_form("/connexion", {"email": email, "password": password}).status_code
            for _ in range(attempts)]


def test_concurrent_failed_logins_are_all_counted_and_lock_once_without_any_500(app, factory, db, tmp_path):
    import multiprocessing as mp

    user = factory.staff("admin")
    other = factory.staff("conseiller")
    url = app.config["DATABASE_URL"]
    context = mp.get_context("spawn")
    with context.Pool(4) as pool:
        jobs = [pool.apply_async(_login_worker, (url, str(tmp_path), user.email, "mauvais", 3)) for _ in range(3)]
        # a fourth process signs in successfully meanwhile (a writer during the others' password checks)
        good = pool.apply_async(_login_worker, (url, str(tmp_path), other.email, "Portail-Demo-2026", 3))
        codes = [code for job in jobs for code in job.get(timeout=120)]
        good_codes = good.get(timeout=120)
    assert set(good_codes) == {302}
    assert all(code in (401, 429) for code in codes), codes
    locked = models.User.get_by_id(user.id)
    assert locked.locked_until is not None
    assert models.AuditEntry.select().where(models.AuditEntry.action == "verrouillage").count() == 1
