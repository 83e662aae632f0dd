"""Backup and restore of an installation: the SQLite database (online backup API), the uploaded files and the
secret key, in one timestamped archive. Losing any one of the three loses data: documents without their rows,
rows without their files, or every session and signed link with the key."""
import datetime as dt
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

DATABASE_NAME = "portail.db"
SECRET_NAME = "secret_key"
FILES_DIR = "files"
MANIFEST = "sauvegarde.json"


class BackupError(Exception):
    """A backup or restore refused, with a French message for the operator."""


def sqlite_path(database_url):
    """The database file of a sqlite:/// URL, or None for another database."""
    if not database_url.startswith("sqlite:///"):
        return None
    return Path(database_url[len("sqlite:///"):])


def create_backup(config, target_dir, now=None):
    """Write `portail-AAAAMMJJ-HHMMSS.tar.gz` in `target_dir` (readable by its owner only); return its path and
    the list of what went in. A PostgreSQL database is left to pg_dump; its files and key still go in."""
    now = now or dt.datetime.now()
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    archive = target_dir / f"portail-{now:%Y%m%d-%H%M%S}.tar.gz"
    upload_dir = Path(config["UPLOAD_DIR"])
    secret = Path(config["DATA_DIR"]) / SECRET_NAME
    database = sqlite_path(config["DATABASE_URL"])
    contents = []
    with tempfile.TemporaryDirectory() as work:
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            if database is not None:
                copy = Path(work) / DATABASE_NAME
                _sqlite_copy(database, copy)
                tar.add(copy, arcname=DATABASE_NAME)
                contents.append("base de données")
            if upload_dir.is_dir() and not config.get("STORAGE_URL"):  # in a bucket: backed up on its side
                tar.add(upload_dir, arcname=FILES_DIR, filter=_skip_partial_files)
                count = sum(1 for p in upload_dir.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))
                contents.append(f"{count} fichier(s) déposé(s)")
            if secret.is_file():
                tar.add(secret, arcname=SECRET_NAME)
                contents.append("clé secrète")
            manifest = Path(work) / MANIFEST
            manifest.write_text(json.dumps({"created_at": now.isoformat(timespec="seconds"),
                                            "database": DATABASE_NAME if database else None,
                                            "secret_key": secret.is_file(), "contents": contents}, indent=1))
            tar.add(manifest, arcname=MANIFEST)
    return archive, contents


def restore_backup(config, archive, force=False):
    """Put back the database, the uploaded files and the secret key of `archive` (the application stopped).

    Refuses to overwrite an installation that already holds data unless `force`; files already present in the
    upload folder are kept, those of the archive are added or replaced."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"Archive introuvable : {archive}")
    upload_dir = Path(config["UPLOAD_DIR"])
    secret = Path(config["DATA_DIR"]) / SECRET_NAME
    database = sqlite_path(config["DATABASE_URL"])
    restored = []
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if _allowed(m)]
        names = {m.name for m in members}
        if DATABASE_NAME in names and database is None:
            raise BackupError("Cette archive contient une base SQLite, mais l'application utilise une autre base.")
        if not force and ((DATABASE_NAME in names and database.exists() and database.stat().st_size > 0)
                          or (SECRET_NAME in names and secret.exists())):
            raise BackupError("Une installation existe déjà ici : relancez avec --force pour la remplacer.")
        tar.extractall(work, members=members)
        if DATABASE_NAME in names:
            database.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(Path(work) / DATABASE_NAME, database)
            restored.append("base de données")
        if (Path(work) / FILES_DIR).is_dir():
            shutil.copytree(Path(work) / FILES_DIR, upload_dir, dirs_exist_ok=True)
            restored.append(f"{sum(1 for p in (Path(work) / FILES_DIR).rglob('*') if p.is_file())} fichier(s)")
        if SECRET_NAME in names:
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.write_bytes((Path(work) / SECRET_NAME).read_bytes())
            secret.chmod(0o600)
            restored.append("clé secrète")
    return restored


def _sqlite_copy(source, target):
    """A consistent copy of a live SQLite database (online backup API: writers may go on meanwhile)."""
    src, dest = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dest:
            src.backup(dest)
    finally:
        dest.close()
        src.close()


def _skip_partial_files(info):
    return None if info.name.endswith(".tmp") else info


def _allowed(member):
    """Only our own three kinds of entries, as plain files and folders, never outside the extraction folder."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
        return False
    return member.name in (DATABASE_NAME, SECRET_NAME, MANIFEST) or path.parts[0] == FILES_DIR
