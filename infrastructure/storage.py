"""File storage behind one small interface (local folder by default, outside the web root).

An S3-compatible backend only has to offer the same four methods.
"""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app


class LocalStorage:
    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name):
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("nom de fichier stocké invalide")
        return self.root / name[:2] / name

    def save(self, data: bytes, suffix=".pdf"):
        """Store bytes under a generated name; return (stored_name, sha256, size)."""
        name = secrets.token_hex(16) + suffix
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return name, hashlib.sha256(data).hexdigest(), len(data)

    def read(self, name) -> bytes:
        return self._path(name).read_bytes()

    def exists(self, name) -> bool:
        return self._path(name).exists()

    def delete(self, name):
        path = self._path(name)
        if path.exists():
            path.unlink()


def get_storage():
    return LocalStorage(current_app.config["UPLOAD_DIR"])
