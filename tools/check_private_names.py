"""Fail when a module of massline uses another module's private names (`_name`).

A name that starts with one underscore belongs to the module that defines it: when another
module needs it, it is made public where it is defined. Checked by `make lint` over the
application code (tests and migrations may reach inside what they test):

- `from massline.x import _name` / `from .x import _name` (any module but the importer);
- `module._name`, where `module` was imported from massline (`from massline.orgs import
  counters`, `import massline.core.normalize as normalize`).

Usage: python tools/check_private_names.py [ROOT]   (exit 1 and one line per use found)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str | None, level: int, here: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = here.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def problems_in(path: Path, root: Path) -> list[str]:
    here = _module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node.module, node.level, here, path.name == "__init__.py")
            if not source.startswith(root.name):
                continue
            for alias in node.names:
                if _private(alias.name) and source != here:
                    found.append(f"{path}:{node.lineno}: imports {source}.{alias.name}")
                elif not alias.name[:1].isupper():
                    # `from massline.orgs import counters`: maybe a module, whose private
                    # names the attribute check below looks for
                    module_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(root.name) and alias.asname:
                    module_aliases.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
        ):
            found.append(f"{path}:{node.lineno}: uses {node.value.id}.{node.attr}")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "massline").resolve()
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(root).parts):
            continue
        found += problems_in(path, root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} use(s) of another module's private names: make them public.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
