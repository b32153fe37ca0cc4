"""The workflow helpers passed through the sandbox hold no module-level state a workflow could change.

`workflows/sandbox.py` shares one copy of each helper module among every order a worker runs (instead of the
sandbox importing it again for each order), which is only safe while a module's globals are definitions and
constants: a list or dict at module level would be shared by every order, and one order writing to it would
change what another replays.
"""

from __future__ import annotations

import importlib
import inspect
from datetime import date, timedelta
from types import MappingProxyType

from temporalio.common import SearchAttributeKey

from workflows.sandbox import HELPERS, RESTRICTIONS

CONSTANT = (str, int, float, bool, type(None), tuple, frozenset, timedelta, date, MappingProxyType, SearchAttributeKey)


def shared_state(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    found = []
    for name, value in vars(module).items():
        if name.startswith("__") or name == "annotations":
            continue
        if inspect.ismodule(value) or inspect.isclass(value) or inspect.isroutine(value):
            continue
        if isinstance(value, CONSTANT) or getattr(value, "__module__", None) == "typing":
            continue
        if type(value).__name__ == "_CallableGenericAlias":  # a type alias such as `Rule`
            continue
        found.append(f"{module_name}.{name}: {type(value).__name__}")
    return found


def test_every_passed_through_helper_holds_definitions_and_constants_only():
    assert "workflows.state" in HELPERS and "workflows.notifier" in HELPERS
    assert [found for name in HELPERS for found in shared_state(name)] == []


def test_the_workflow_definitions_stay_in_the_sandbox():
    assert "workflows.order" not in HELPERS and "workflows.reconciliation" not in HELPERS
    assert set(HELPERS) <= RESTRICTIONS.passthrough_modules


def test_a_module_level_list_would_be_found(monkeypatch):
    import workflows.rules

    monkeypatch.setattr(workflows.rules, "SEEN", [], raising=False)
    assert shared_state("workflows.rules") == ["workflows.rules.SEEN: list"]
