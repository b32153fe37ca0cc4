"""The workflow sandbox Orderly's workers and replayers use.

The default sandbox wraps `zoneinfo.ZoneInfo` in a proxy (to stop `from_file`, `clear_cache`, `reset_tzpath`),
and a proxied tzinfo cannot be given to `datetime`. The workflow only builds zones by name (deterministic:
zoneinfo caches each zone), so the class is left unwrapped; the rest of the default restrictions stay.

The sandbox re-imports every workflow module for each new workflow (and after each cache eviction). The order
workflow's helpers (`state`, `rules`, `notifier`, ...) hold no module-level state — constants, classes and
functions only, every instance made by the workflow that uses it — so they are passed through: imported once per
worker process instead of once per order. `workflows.order` itself, the module with the `@workflow.defn`, stays
sandboxed, so the workflow class is still checked by the restrictions. `tests/test_sandbox.py` keeps the helpers
free of module-level state.

`workflows.order` is still imported once per order, so its bytecode is cached first (`cache_bytecode`): where
Python writes no `.pyc` files itself (PYTHONDONTWRITEBYTECODE, a fresh copy of the code) each new workflow compiled
the module from source again, 6 ms of worker CPU an order.
"""

import compileall
import dataclasses
import pkgutil
from pathlib import Path

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

WORKFLOW_DEFINITIONS = {"order", "reconciliation", "sandbox"}  # the `@workflow.defn` modules, and this one
HELPERS = tuple(f"workflows.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                if m.name not in WORKFLOW_DEFINITIONS)

RESTRICTIONS = dataclasses.replace(
    SandboxRestrictions.default,
    invalid_module_members=SandboxRestrictions.invalid_module_members_default.with_child_unrestricted(
        "zoneinfo", "ZoneInfo"),
).with_passthrough_modules(*HELPERS)


def workflow_runner() -> SandboxedWorkflowRunner:
    cache_bytecode()
    return SandboxedWorkflowRunner(restrictions=RESTRICTIONS)


def cache_bytecode() -> None:
    """Write the sandboxed workflow modules' `.pyc` (kept up to date by their sources' times; nothing happens where
    the code's directory is read-only: they are compiled per workflow then, as before)."""
    for name in WORKFLOW_DEFINITIONS:
        compileall.compile_file(str(Path(__file__).with_name(f"{name}.py")), quiet=2)
