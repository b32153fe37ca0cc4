"""The straightforward shape: the six steps as a first Temporal implementation would write them, doing nothing in them.

Ten activities, each awaited in turn — the form check, a read-model save, the confirmation, the work order to each
of the two departments, a save, the shipping notice, a save, the feedback request, a save — five updates (two
acknowledgements, ship, deliver, feedback), one timer (the feedback delay) and no local activities, search
attributes or patches. `orderly bench` runs it beside the mirrored baseline (`baseline.py`) and reports Orderly's
throughput against both: this one says whether Orderly asks the server for less than the obvious implementation of
the same process does.

Workflow code: deterministic, no I/O, nothing at import time but definitions (the sandbox re-imports this module).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from .baseline import ACTIVITY, DEPARTMENTS, baseline_activity


@workflow.defn(name="StraightforwardWorkflow")
class StraightforwardWorkflow:
    def __init__(self) -> None:
        self.work_orders_sent = False
        self.acknowledged: set[str] = set()
        self.shipped = self.delivered = self.asked = self.feedback = False

    @workflow.run
    async def run(self, feedback_delay_seconds: float) -> int:
        for step in ("check the form", "save", "confirmation", *DEPARTMENTS, "save"):
            await workflow.execute_activity(baseline_activity, step, **ACTIVITY)
        self.work_orders_sent = True
        await workflow.wait_condition(lambda: self.shipped)
        for step in ("shipping notice", "save"):
            await workflow.execute_activity(baseline_activity, step, **ACTIVITY)
        await workflow.wait_condition(lambda: self.delivered)
        await workflow.sleep(timedelta(seconds=feedback_delay_seconds))
        await workflow.execute_activity(baseline_activity, "feedback request", **ACTIVITY)
        self.asked = True
        await workflow.wait_condition(lambda: self.feedback)
        await workflow.execute_activity(baseline_activity, "save", **ACTIVITY)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.acknowledged)

    @workflow.update
    async def acknowledge(self, department: str) -> str:
        await workflow.wait_condition(lambda: self.work_orders_sent)
        self.acknowledged.add(department)
        return "acknowledged"

    @workflow.update
    async def mark_shipped(self) -> str:
        self.shipped = True
        return "shipped"

    @workflow.update
    async def mark_delivered(self) -> str:
        self.delivered = True
        return "delivered"

    @workflow.update
    async def submit_feedback(self) -> str:
        await workflow.wait_condition(lambda: self.asked)
        self.feedback = True
        return "feedback"
