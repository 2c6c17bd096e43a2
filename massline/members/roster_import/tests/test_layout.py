"""How the import's modules depend on each other: one way only, and what a checking process
unpickles first needs no Django."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
#: Each module may import only those before it (the package's docstring).
ORDER = [
    "report", "context", "workbook", "reading", "rows", "columns", "staging", "counts", "checking",
    "workers", "intake", "file_checks", "apply", "importing", "jobs", "views", "api", "boot",
]  # fmt: skip


def _imports(module: str) -> set[str]:
    """The package's modules that `module` imports, anywhere in it."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            prefix = "massline.members.roster_import"
            name = node.module or ""
            if node.level == 1 or name.startswith(prefix):
                name = name.removeprefix(prefix).lstrip(".")
                found |= {name} if name else {alias.name for alias in node.names}
    return found - {""}


def test_every_module_is_in_the_order():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ORDER)


def test_each_module_imports_only_those_before_it():
    for i, module in enumerate(ORDER):
        assert _imports(module) <= set(ORDER[:i]), module


def test_a_checking_process_unpickles_its_start_without_django():
    """A fork server that could not set Django up hands its processes `workers.start` and a
    `Context`: importing them must not need Django (`start` sets it up)."""
    code = (
        "import sys, pickle, datetime\n"
        "from massline.members.roster_import import workers, context\n"
        "ctx = context.Context(orgs={}, today=datetime.date(2026, 1, 1), postgres=False)\n"
        "pickle.loads(pickle.dumps((workers.start, ctx)))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('django', 'polars'))))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
