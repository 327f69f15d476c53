"""The house's arrows point one way: the core imports neither Singer nor the sandbox."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "qondor_xero"
FORBIDDEN = ("singer_sdk", "sandbox", "tap_qondor", "tap_xero", "target_xero", "target_qondor")


def imported(path: Path) -> set[str]:
    """Top-level package names a module imports (anywhere in it, lazily too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_imports_no_plugin_no_singer_and_no_sandbox():
    wrong = {
        str(path.relative_to(CORE.parent)): sorted(imported(path) & set(FORBIDDEN))
        for path in CORE.rglob("*.py")
        if imported(path) & set(FORBIDDEN)
    }
    assert wrong == {}
