"""infrastructure/ serves the workflows and the CLI too: it never imports Flask or the views."""
from pathlib import Path

from tests.test_rules_purity import imported_roots

INFRASTRUCTURE_DIR = Path(__file__).resolve().parents[2] / "infrastructure"
FORBIDDEN = {"flask", "flask_admin", "flask_login", "flask_wtf", "flask_babel", "werkzeug", "views", "forms"}


def test_infrastructure_imports_no_web_framework():
    files = sorted(INFRASTRUCTURE_DIR.rglob("*.py"))
    assert any(path.name == "formatting.py" for path in files)
    offenders = [f"{path.name}:{line} imports {root}"
                 for path in files for root, line in imported_roots(path) if root in FORBIDDEN]
    assert offenders == []
