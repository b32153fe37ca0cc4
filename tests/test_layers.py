"""The rooms and who may use whom (docs/architecture.md), checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("models", "store", "channels", "activities", "plumbing", "workflows", "starter", "bench", "worker")
MAY_IMPORT = {
    "models": set(),
    "store": {"models"},
    "channels": {"models", "store"},
    "activities": {"models", "store", "channels"},
    "plumbing": {"models"},
    "workflows": {"models", "activities"},  # activities: only the activity classes, for their names
    "starter": {"models", "store", "channels", "plumbing", "workflows", "worker", "bench"},  # `orderly worker`,
    #   `orderly dev` (which hosts a worker) and `orderly bench` run them
    "worker": {"models", "store", "channels", "activities", "plumbing", "workflows"},
    "bench": {"models", "store", "channels", "activities", "plumbing", "workflows", "starter", "worker"},
}
MAX_LINES = 340  # the order workflow (run, its steps and its handlers in one class) is the longest


def modules():
    for package in PACKAGES:
        paths = [ROOT / "worker.py"] if package == "worker" else sorted((ROOT / package).rglob("*.py"))
        for path in paths:
            if "versions" not in path.parts:  # Alembic revisions
                yield package, path


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_every_package_imports_only_the_rooms_below_it():
    wrong = [f"{path.relative_to(ROOT)} imports {other}" for package, path in modules()
             for other in imported_packages(path) - MAY_IMPORT[package] - {package}]
    assert not wrong, wrong


def test_the_workflow_uses_activities_only_by_their_class():
    for path in (ROOT / "workflows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("activities"):
                assert all(alias.name[0].isupper() for alias in node.names), f"{path.name}: {ast.dump(node)}"


def test_no_source_module_is_long():
    long = {str(path.relative_to(ROOT)): n for _, path in modules()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long
