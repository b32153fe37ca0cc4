"""The workflow modules passed through the sandbox hold no module-level state a workflow could change.

`workflows/sandbox.py` shares one copy of each workflow module among every order a worker runs (instead of the
sandbox importing it again for each order), which is only safe while a module's globals are definitions and
constants: a list or dict at module level would be shared by every order, and one order writing to it would
change what another replays. The strict sandbox (the replay tests', `ORDERLY_WORKFLOW_SANDBOX=strict`) passes
none of them through.
"""

from __future__ import annotations

import importlib
import inspect
from datetime import date, timedelta
from types import MappingProxyType

from temporalio.common import SearchAttributeKey

from models.settings import Settings
from worker import worker_options
from workflows.order import OrderWorkflow
from workflows.sandbox import SHARED_RESTRICTIONS, STRICT_RESTRICTIONS, WORKFLOW_MODULES

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


def test_every_shared_workflow_module_holds_definitions_and_constants_only():
    assert {"workflows.order", "workflows.state", "workflows.notifier", "workflows.reconciliation"} <= set(
        WORKFLOW_MODULES)
    assert [found for name in WORKFLOW_MODULES for found in shared_state(name)] == []


def test_workers_share_the_workflow_modules_and_the_strict_sandbox_shares_none():
    assert set(WORKFLOW_MODULES) <= SHARED_RESTRICTIONS.passthrough_modules
    assert not {m for m in STRICT_RESTRICTIONS.passthrough_modules if m.split(".")[0] in ("workflows", "bench")}
    shared = worker_options(Settings(_env_file=None), [OrderWorkflow], [])["workflow_runner"]
    strict = worker_options(Settings(_env_file=None, workflow_sandbox="strict"), [OrderWorkflow], [])
    assert "workflows.order" in shared.restrictions.passthrough_modules
    assert strict["workflow_runner"].restrictions is STRICT_RESTRICTIONS


def test_a_worker_shares_the_modules_of_every_workflow_it_runs():
    from bench.baseline import BaselineWorkflow
    runner = worker_options(Settings(_env_file=None), [BaselineWorkflow], [])["workflow_runner"]
    assert "bench.baseline" in runner.restrictions.passthrough_modules  # the baselines pay the same sandbox cost


def test_a_module_level_list_would_be_found(monkeypatch):
    import workflows.rules

    monkeypatch.setattr(workflows.rules, "SEEN", [], raising=False)
    assert shared_state("workflows.rules") == ["workflows.rules.SEEN: list"]
