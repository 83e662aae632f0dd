"""rules/ stays pure: no web framework, ORM, form or PDF import anywhere in it."""
import ast
from pathlib import Path

FORBIDDEN = {"flask", "peewee", "playhouse", "wtforms", "flask_admin", "flask_login", "flask_wtf", "xhtml2pdf",
             "models", "views", "workflows", "infrastructure", "access", "commands", "forms"}
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value.split(".")[0], node.lineno


def test_rules_package_imports_no_framework():
    files = sorted(RULES_DIR.rglob("*.py"))
    assert len(files) >= 10
    offenders = [f"{path.relative_to(RULES_DIR.parent)}:{line} imports {root}"
                 for path in files for root, line in imported_roots(path) if root in FORBIDDEN]
    assert offenders == []


def test_the_purity_check_would_catch_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom flask import request\nimport peewee as pw\n")
    assert {root for root, _ in imported_roots(bad)} & FORBIDDEN == {"flask", "peewee"}
