"""The session cookie is out of reach of scripts and of cross-site posts; the signing key is never a default."""
import os

from config import Config


def test_session_cookie_is_httponly_and_samesite_lax(client, factory):
    user = factory.staff("admin")
    response = client.login(user.email)
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert cookies
    assert "HttpOnly" in cookies[-1] and "SameSite=Lax" in cookies[-1]


def test_without_secret_key_in_the_environment_each_installation_gets_its_own_random_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "a"))
    first = Config().SECRET_KEY
    assert Config().SECRET_KEY == first  # kept across restarts
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "b"))
    second = Config().SECRET_KEY
    assert first != second and len(first) >= 64
    assert os.stat(tmp_path / "a" / "secret_key").st_mode & 0o077 == 0  # not readable by other users


def test_the_environment_secret_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert Config().SECRET_KEY == "from-the-environment"
