"""The workflows never import the web framework: a workflow reached from the API, the CLI or a test works
without a request. They reach the outside world through infrastructure/ and are handed a Scope."""
from pathlib import Path

from tests.test_rules_purity import imported_roots

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / "workflows"
ACCESS_DIR = ROOT / "access"
WEB = {"flask", "flask_login", "flask_admin", "flask_wtf", "wtforms", "werkzeug", "click"}
ABOVE = {"views", "forms", "commands"}


def web_imports(files):
    return [f"{path.relative_to(ROOT)}:{line} imports {root}"
            for path in files for root, line in imported_roots(path) if root in WEB]


def test_workflows_import_no_web_framework():
    files = sorted(WORKFLOWS_DIR.rglob("*.py"))
    assert len(files) >= 20
    assert web_imports(files) == []


def test_workflows_import_no_view_form_or_command():
    files = sorted(WORKFLOWS_DIR.rglob("*.py"))
    assert [f"{p.relative_to(ROOT)}:{line} imports {root}" for p in files
            for root, line in imported_roots(p) if root in ABOVE] == []


def test_the_scope_and_the_permission_map_import_no_web_framework():
    files = [p for p in sorted(ACCESS_DIR.rglob("*.py")) if p.name != "web.py"]
    assert {p.name for p in files} >= {"scope.py", "permissions.py"}
    assert web_imports(files) == []


def test_the_layer_check_would_catch_a_flask_import(tmp_path):
    bad = tmp_path / "workflow.py"
    bad.write_text("import os\nfrom flask_login import current_user\n\ndef f():\n    from flask import session\n"
                   "    import flask_admin.actions\n")
    assert {root for root, _ in imported_roots(bad)} & WEB == {"flask", "flask_login", "flask_admin"}
