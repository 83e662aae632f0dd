"""infrastructure/ serves the workflows, the CLI and the views: it may use the Flask application (its
configuration, its templates, a streamed response) but never a request, a session or a signed-in user, and never
the layers above it."""
from pathlib import Path

from tests.test_rules_purity import imported_roots

INFRASTRUCTURE_DIR = Path(__file__).resolve().parents[2] / "infrastructure"
ABOVE = {"flask_admin", "flask_login", "flask_wtf", "views", "forms", "workflows", "access", "commands"}
APPLICATION_ONLY = {"current_app", "has_app_context", "render_template", "Response", "stream_with_context"}
WEB = {"flask", "flask_admin", "flask_login", "flask_wtf", "flask_babel", "werkzeug"}


def flask_names(path):
    import ast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {(alias.name, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "flask" for alias in node.names}


def test_infrastructure_imports_nothing_above_it():
    files = sorted(INFRASTRUCTURE_DIR.rglob("*.py"))
    assert {p.name for p in files} >= {"formatting.py", "storage.py", "pdf.py", "numbering.py", "clock.py"}
    offenders = [f"{path.name}:{line} imports {root}"
                 for path in files for root, line in imported_roots(path) if root in ABOVE]
    assert offenders == []


def test_infrastructure_uses_the_application_never_the_request():
    offenders = [f"{path.name}:{line} imports flask.{name}"
                 for path in sorted(INFRASTRUCTURE_DIR.rglob("*.py")) for name, line in flask_names(path)
                 if name not in APPLICATION_ONLY]
    assert offenders == []


def test_formatting_is_framework_free():
    path = INFRASTRUCTURE_DIR / "formatting.py"
    assert [root for root, _ in imported_roots(path) if root in WEB] == []
