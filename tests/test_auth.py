"""Sign-in, throttle and per-address limit, sign-out, and who may enter the back office."""
import datetime as dt
import re

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


REFUSAL = "Adresse e-mail ou mot de passe incorrect."


def _at(monkeypatch, moment):
    """Set the sign-in throttle's clock."""
    monkeypatch.setattr("views.auth._now", lambda: moment)


def test_six_wrong_passwords_delay_the_right_user_only_a_few_seconds(client, factory, db, monkeypatch):
    user = factory.staff("admin")
    start = dt.datetime(2026, 3, 2, 9, 0, 0)
    _at(monkeypatch, start)
    for _ in range(6):
        assert client.post_form("/connexion", {"email": user.email, "password": "mauvais"}).status_code == 401
    refused = client.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"})
    assert refused.status_code == 401  # within the delay the right password is not even looked at
    _at(monkeypatch, start + dt.timedelta(seconds=6))
    assert client.login(user.email).headers["Location"].endswith("/admin/")
    assert models.User.get_by_id(user.id).failed_logins == 0
    assert models.AuditEntry.select().where(models.AuditEntry.action == "lock").count() == 1


def test_the_delay_doubles_with_each_failure_and_stops_at_five_minutes(client, factory, db, monkeypatch):
    user = factory.staff("admin")
    moment = dt.datetime(2026, 3, 2, 9, 0, 0)
    delays = []
    for _ in range(10):
        _at(monkeypatch, moment)
        client.post_form("/connexion", {"email": user.email, "password": "mauvais"})
        delay = models.User.get_by_id(user.id).locked_until - moment
        delays.append(int(delay.total_seconds()))
        moment += delay  # the next attempt comes just when the delay is over
    assert delays == [0, 0, 5, 10, 20, 40, 80, 160, 300, 300]
    _at(monkeypatch, moment)
    assert client.login(user.email).status_code == 302  # never a lock beyond the cap


def test_a_failure_streak_is_forgotten_after_a_day(client, factory, db, monkeypatch):
    user = factory.staff("admin")
    moment = dt.datetime(2026, 3, 2, 9, 0, 0)
    _at(monkeypatch, moment)
    for _ in range(3):
        client.post_form("/connexion", {"email": user.email, "password": "mauvais"})
    _at(monkeypatch, moment + dt.timedelta(hours=25))
    client.post_form("/connexion", {"email": user.email, "password": "mauvais"})
    assert models.User.get_by_id(user.id).failed_logins == 1


def _answer(response, email):
    """The page as the visitor sees it, without what is expected to differ: the typed email, the CSRF token and
    the script nonce."""
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    html = re.sub(r'nonce="[^"]*"', "", re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", html))
    return response.status_code, html


def test_unknown_wrong_password_and_throttled_accounts_get_the_same_answer(client, factory, db, monkeypatch):
    _at(monkeypatch, dt.datetime(2026, 3, 2, 9, 0, 0))
    wrong, throttled = factory.staff("admin"), factory.staff("conseiller")
    for _ in range(3):
        client.post_form("/connexion", {"email": throttled.email, "password": "mauvais"})
    assert models.User.get_by_id(throttled.id).locked_until > dt.datetime(2026, 3, 2, 9, 0, 0)
    answers = {
        "unknown": _answer(client.post_form("/connexion", {"email": "personne@nulle.part", "password": "x"}),
                           "personne@nulle.part"),
        "wrong": _answer(client.post_form("/connexion", {"email": wrong.email, "password": "x"}), wrong.email),
        "throttled": _answer(client.post_form("/connexion", {"email": throttled.email, "password": "x"}),
                             throttled.email),
        "throttled, right password": _answer(client.post_form(
            "/connexion", {"email": throttled.email, "password": "Portail-Demo-2026"}), throttled.email),
    }
    assert answers["unknown"][0] == 401 and REFUSAL in answers["unknown"][1]
    assert all(answer == answers["unknown"] for answer in answers.values()), [k for k, a in answers.items()
                                                                                if a != answers["unknown"]]
    assert "verrouill" not in answers["throttled"][1]


def test_the_throttle_is_kept_in_the_database_so_another_process_sees_it(app, factory, db):
    user = factory.staff("admin")
    models.User.update(locked_until=dt.datetime.now() + dt.timedelta(minutes=2)).where(
        models.User.id == user.id).execute()
    from tests.conftest import PortalClient
    other = PortalClient(app)  # a fresh client: nothing shared but the database
    response = other.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"})
    assert response.status_code == 401


def test_an_elapsed_delay_lets_the_user_in_again(client, factory, db):
    user = factory.staff("admin")
    models.User.update(failed_logins=8, locked_until=dt.datetime.now() - dt.timedelta(seconds=1)).where(
        models.User.id == user.id).execute()
    assert client.login(user.email).status_code == 302


def test_one_address_failing_too_often_gets_a_french_429_while_others_are_untouched(app, factory, db):
    from tests.conftest import PortalClient

    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    user = factory.staff("admin")
    attacker, elsewhere = PortalClient(app), PortalClient(app)

    def attempt(client, address, email, password="x"):
        return client.post_form("/connexion", {"email": email, "password": password},
                                environ_base={"REMOTE_ADDR": address})

    codes = [attempt(attacker, "203.0.113.7", f"x{i}@nulle.part").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    blocked = attempt(attacker, "203.0.113.7", user.email, "Portail-Demo-2026")
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    assert models.User.get_by_id(user.id).last_login_at is None  # the password was not even checked
    assert attempt(elsewhere, "198.51.100.2", user.email, "Portail-Demo-2026").status_code == 302
    office = PortalClient(app)
    for _ in range(5):  # successful sign-ins from one address are never counted
        assert attempt(office, "192.0.2.10", user.email, "Portail-Demo-2026").status_code == 302
        office.logout()


def _failing_worker(database_url, folder, storage_uri, prefix, attempts):
    from app import create_app
    from tests.conftest import PortalClient

    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": folder, "UPLOAD_DIR": folder,
                      "SECRET_KEY": "test-secret", "TESTING": True, "RATELIMIT_STORAGE_URI": storage_uri,
                      "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": "5 per minute"})
    client = PortalClient(app)
    return [client.post_form("/connexion", {"email": f"x{i}@nulle.part", "password": "x"}).status_code
            for i in range(attempts)]


def test_the_per_address_limit_holds_across_worker_processes_with_redis(app, tmp_path):
    import multiprocessing as mp
    import secrets

    url, prefix = app.config["DATABASE_URL"], f"test-{secrets.token_hex(4)}"
    with mp.get_context("spawn").Pool(1) as pool:  # two workers one after the other, sharing only Redis
        first = pool.apply_async(_failing_worker, (url, str(tmp_path), "redis://127.0.0.1:6379", prefix, 3)).get(120)
    with mp.get_context("spawn").Pool(1) as pool:
        second = pool.apply_async(_failing_worker, (url, str(tmp_path), "redis://127.0.0.1:6379", prefix, 3)).get(120)
    assert first == [401, 401, 401]
    assert second == [401, 401, 429]


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


def test_concurrent_failed_logins_are_all_counted_and_throttle_once_without_any_500(app, factory, db, tmp_path):
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
    assert set(codes) == {401}, codes
    throttled = models.User.get_by_id(user.id)
    assert throttled.failed_logins >= 3 and throttled.locked_until > dt.datetime.now()
    assert models.AuditEntry.select().where(models.AuditEntry.action == "lock").count() == 1
