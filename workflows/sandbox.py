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
"""

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
    return SandboxedWorkflowRunner(restrictions=RESTRICTIONS)
