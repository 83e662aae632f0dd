"""`flask backup` puts the database, the uploaded files and the secret key in one archive; `flask restore` gives
all three back."""
import io
import tarfile
from pathlib import Path

import models
from tests.factories import make_pdf


def _installation(app, factory, make_client):
    """A dossier with an uploaded document, and the installation's secret key file."""
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    dossier = factory.dossier(organisation=org)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                                {"doc_type": "convention", "file": (io.BytesIO(make_pdf("Convention")), "c.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    (Path(app.config["DATA_DIR"]) / "secret_key").write_text("a" * 64)
    return models.Document.get()


def _is_sqlite(app):
    return app.config["DATABASE_URL"].startswith("sqlite")


def test_a_backup_holds_the_database_the_uploaded_files_and_the_secret_key(app, factory, make_client, tmp_path):
    document = _installation(app, factory, make_client)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [archive] = list((tmp_path / "out").glob("portail-*.tar.gz"))
    assert archive.stat().st_mode & 0o077 == 0  # it holds the secret key: its owner only
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert f"files/{document.stored_name[:2]}/{document.stored_name}" in names
        assert tar.extractfile("secret_key").read() == b"a" * 64
        if _is_sqlite(app):
            tar.extract("portail.db", tmp_path / "x")
            import sqlite3
            copy = sqlite3.connect(tmp_path / "x" / "portail.db")
            assert copy.execute("SELECT original_name FROM document").fetchall() == [("c.pdf",)]
            copy.close()
        else:
            assert "portail.db" not in names and "pg_dump" in result.output


def test_restore_gives_the_three_back_and_refuses_to_overwrite_without_force(app, factory, make_client, tmp_path):
    document = _installation(app, factory, make_client)
    runner = app.test_cli_runner()
    runner.invoke(args=["backup", str(tmp_path / "out")])
    [archive] = list((tmp_path / "out").glob("portail-*.tar.gz"))
    # disaster: the row, the file and the key are lost
    stored = Path(app.config["UPLOAD_DIR"]) / document.stored_name[:2] / document.stored_name
    data = stored.read_bytes()
    if _is_sqlite(app):
        models.AuditEntry.delete().where(models.AuditEntry.entity == "document").execute()
        models.Document.delete().execute()
    stored.unlink()
    (Path(app.config["DATA_DIR"]) / "secret_key").write_text("forged")
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code != 0 and "--force" in refused.output
    result = runner.invoke(args=["restore", str(archive), "--force"])
    assert result.exit_code == 0, result.output
    assert stored.read_bytes() == data
    assert (Path(app.config["DATA_DIR"]) / "secret_key").read_text() == "a" * 64
    models.db.connect(reuse_if_open=True)
    assert models.Document.get().stored_name == document.stored_name


def test_an_archive_entry_outside_the_installation_is_never_written(app, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        payload = b"pwned"
        for name in ("../escaped", "/tmp/absolute-escape", "files/../../escaped2"):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    result = app.test_cli_runner().invoke(args=["restore", str(evil), "--force"])
    assert result.exit_code == 0
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/absolute-escape").exists()
    assert not (tmp_path.parent / "escaped2").exists()
