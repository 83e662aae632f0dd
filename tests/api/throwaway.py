"""An app on an empty temporary database, for what the test modules read at collection time (the url_map, the
OpenAPI document) before any fixture exists."""
import shutil
import tempfile
from contextlib import contextmanager

from app import create_app


@contextmanager
def throwaway_app(prefix):
    folder = tempfile.mkdtemp(prefix=prefix)
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/throwaway.db", "DATA_DIR": folder,
                      "UPLOAD_DIR": f"{folder}/files", "SECRET_KEY": "x", "TESTING": True})
    try:
        yield app
    finally:
        app.extensions["database"].close()
        shutil.rmtree(folder, ignore_errors=True)
