"""The workflow sandbox Orderly's workers and replayers use.

The default sandbox wraps `zoneinfo.ZoneInfo` in a proxy (to stop `from_file`, `clear_cache`, `reset_tzpath`),
and a proxied tzinfo cannot be given to `datetime`. The workflow only builds zones by name (deterministic:
zoneinfo caches each zone), so the class is left unwrapped; the rest of the default restrictions stay.
"""

import dataclasses

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

RESTRICTIONS = dataclasses.replace(
    SandboxRestrictions.default,
    invalid_module_members=SandboxRestrictions.invalid_module_members_default.with_child_unrestricted(
        "zoneinfo", "ZoneInfo"),
)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=RESTRICTIONS)
