"""``rules/`` stays a functional core: no web or database framework import (STYLE.md)."""
import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent.parent / "rules"
FORBIDDEN = {"flask", "peewee", "playhouse", "wtforms", "flask_admin", "flask_login", "flask_wtf", "xhtml2pdf"}


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_rules_module_imports_no_framework(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
