"""The baseline: a bare workflow with the same Temporal work as one order lifecycle, doing nothing in it.

One sofa order that goes all the way (see `docs/benchmarks.md`) costs Temporal: 5 activities (confirmation,
2 work orders, shipping notice, feedback request; the form is checked by the submitter), 10 local activities
(read-model saves, the first when the order is accepted), 4 timers
(acknowledgement reminder and lateness check, both cancelled; feedback delay, fired; feedback reminder, cancelled)
and 6 updates (intake with the start, 2 acknowledgements, ship, deliver, feedback). `BaselineWorkflow` does exactly
that, in the same order and with the same waits, with no-op activities and tiny payloads. Its throughput on the same
server, worker process type and concurrency is the ceiling Orderly is measured against.

Workflow code: deterministic, no I/O, nothing at import time but definitions (the sandbox re-imports this module).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60))
LOCAL = dict(start_to_close_timeout=timedelta(seconds=30))
DEPARTMENTS = ("warehouse", "accounts-receivable")


@activity.defn(name="baseline_activity")
def baseline_activity(step: str) -> str:
    """Does nothing: stands for a notice."""
    return step


@activity.defn(name="baseline_local_activity")
def baseline_local_activity(step: str) -> None:
    """Does nothing: stands for a read-model save."""


@workflow.defn(name="BaselineWorkflow")
class BaselineWorkflow:
    def __init__(self) -> None:
        self.checked = False
        self.work_orders_sent = False
        self.acknowledged: set[str] = set()
        self.shipped = False
        self.delivered = False
        self.asked = False
        self.feedback = False

    @workflow.run
    async def run(self, feedback_delay_seconds: float) -> int:
        self.checked = True                                                            # accepted (checked before)
        await self.save("accepted")
        await workflow.execute_activity(baseline_activity, "confirm", **ACTIVITY)      # confirmation
        await self.save("confirmed")
        # The timers start with the activities before the waits they guard, not after them as in Orderly: the driver
        # acts as soon as the workflow lets it, and a timer started and cancelled within one workflow task never
        # reaches the history. Started a step earlier, each one is recorded, as in an order.
        reminder = asyncio.ensure_future(self.wait(lambda: len(self.acknowledged) == len(DEPARTMENTS),
                                                   timedelta(days=1)))             # acknowledgement reminder
        until_shipped = asyncio.ensure_future(self.wait(lambda: self.shipped, timedelta(days=14)))  # lateness check
        await asyncio.gather(*(workflow.execute_activity(baseline_activity, d, **ACTIVITY) for d in DEPARTMENTS))
        self.work_orders_sent = True
        await self.save("work orders")
        await until_shipped
        await workflow.execute_activity(baseline_activity, "shipping notice", **ACTIVITY)
        await self.save("shipped")
        await workflow.wait_condition(lambda: self.delivered)
        if not await self.wait(lambda: self.feedback, timedelta(seconds=feedback_delay_seconds)):  # feedback delay
            answered = asyncio.ensure_future(self.wait(lambda: self.feedback, timedelta(days=5)))  # its reminder
            await workflow.execute_activity(baseline_activity, "feedback request", **ACTIVITY)
            self.asked = True  # the customer can answer from here on (Orderly: once the request email is logged)
            await self.save("asked")
            await answered
        await self.save("completed")
        await reminder
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.acknowledged)

    async def save(self, step: str) -> None:
        await workflow.execute_local_activity(baseline_local_activity, step, **LOCAL)

    @staticmethod
    async def wait(condition, timeout: timedelta) -> bool:
        try:
            await workflow.wait_condition(condition, timeout=timeout)
            return True
        except asyncio.TimeoutError:
            return False

    @workflow.update
    async def intake(self) -> str:
        await workflow.wait_condition(lambda: self.checked)
        return "accepted"

    @workflow.update
    async def acknowledge(self, department: str) -> str:
        await workflow.wait_condition(lambda: self.work_orders_sent)
        self.acknowledged.add(department)
        await self.save("acknowledged")
        return "acknowledged"

    @workflow.update
    async def mark_shipped(self) -> str:
        self.shipped = True
        return "shipped"

    @workflow.update
    async def mark_delivered(self) -> str:
        self.delivered = True
        await self.save("delivered")
        return "delivered"

    @workflow.update
    async def submit_feedback(self) -> str:
        await workflow.wait_condition(lambda: self.asked)
        self.feedback = True
        await self.save("feedback")
        return "feedback"
