"""The workflow sandbox Orderly's workers and replayers use: shared in production, strict in the replay tests.

The default sandbox wraps `zoneinfo.ZoneInfo` in a proxy (to stop `from_file`, `clear_cache`, `reset_tzpath`),
and a proxied tzinfo cannot be given to `datetime`. The workflow only builds zones by name (deterministic:
zoneinfo caches each zone), so the class is left unwrapped; the rest of the default restrictions stay.

**Shared (the workers' default).** Left to itself the sandbox imports the module that defines a workflow again for
every new workflow (and after each cache eviction), with everything it imports that is not passed through. For the
order workflow that was 7.7 ms of worker CPU per new order (running `workflows/order.py` and its `@workflow.defn`
over a class with 14 updates and their validators), against 0.5 ms with the module passed through. Orderly's
workflow modules hold no module-level state — constants, classes and functions only; every instance is made by the
workflow that uses it (`tests/test_sandbox.py` keeps them so) — so the workers pass all of them through: imported
once per worker process, one copy shared by every order. The same is done for any workflow a worker runs (the
bench's baselines: `worker.worker_options` hands its workflows' modules over), so that every workflow pays the same
sandbox cost.

**Strict (`ORDERLY_WORKFLOW_SANDBOX=strict`, and `tests/test_replay.py`).** Nothing of Orderly's is passed
through: each workflow imports every workflow module afresh inside the sandbox, whose restrictions then check all
of Orderly's workflow code (reading the system clock or opening a file fails the workflow task). The replay tests
replay every stored history, of every shape and ending, in this sandbox, so the check covers what the histories
cover at every change, and a staging worker can run strict to check more.
"""

import compileall
import dataclasses
import pkgutil
from collections.abc import Iterable
from pathlib import Path

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

WORKFLOW_MODULES = tuple(f"workflows.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                         if m.name != "sandbox")  # (this one is the worker's: no workflow imports it)

STRICT_RESTRICTIONS = dataclasses.replace(
    SandboxRestrictions.default,
    invalid_module_members=SandboxRestrictions.invalid_module_members_default.with_child_unrestricted(
        "zoneinfo", "ZoneInfo"),
)
SHARED_RESTRICTIONS = STRICT_RESTRICTIONS.with_passthrough_modules(*WORKFLOW_MODULES)


def workflow_runner(strict: bool = False, workflows: Iterable[type] = ()) -> SandboxedWorkflowRunner:
    """The sandbox for a worker or replayer: `strict`, or shared (Orderly's workflow modules, and those defining
    `workflows`, imported once per process)."""
    if strict:
        cache_bytecode()
        return SandboxedWorkflowRunner(restrictions=STRICT_RESTRICTIONS)
    return SandboxedWorkflowRunner(restrictions=SHARED_RESTRICTIONS.with_passthrough_modules(
        *{cls.__module__ for cls in workflows}))


def cache_bytecode() -> None:
    """Write the workflow modules' `.pyc` (kept up to date by their sources' times) before a strict sandbox imports
    them for every workflow: where Python writes no `.pyc` itself (PYTHONDONTWRITEBYTECODE, a fresh copy of the
    code) each import would compile them from source again. Nothing happens where the directory is read-only."""
    compileall.compile_dir(str(Path(__file__).parent), quiet=2, maxlevels=0)
