"""The baseline: a bare workflow with the same Temporal work as one order lifecycle, doing nothing in it.

One sofa order that goes all the way (see `docs/benchmarks.md`) costs Temporal: 3 activities (the confirmation
with the 2 work orders, the shipping notice, the feedback request; the form is checked by the submitter), up to 8
local activities (read-model saves: the one when the order is accepted, waited for; the others made after their
workflow task, so that two asked for in the same task are made as one), 4 timers (acknowledgement reminder and
lateness check, both cancelled; feedback delay, fired; feedback reminder, cancelled), 6 updates (intake with the
start, 2 acknowledgements, ship, deliver, feedback) and its search attributes upserted 5 times (the patch's change
version, confirmed, shipped, delivered, completed). `BaselineWorkflow` does exactly that, in the same order, with
the same waits and the same way of saving, with no-op activities and tiny payloads. Its throughput on the same
server, worker process type and concurrency is the ceiling Orderly is measured against.

Workflow code: deterministic, no I/O, nothing at import time but definitions (the sandbox re-imports this module).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

ACTIVITY = dict(start_to_close_timeout=timedelta(seconds=60))
LOCAL = dict(start_to_close_timeout=timedelta(seconds=30))
DEPARTMENTS = ("warehouse", "accounts-receivable")
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")  # registered on the bench's server for Orderly


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
        self.saves_asked = self.saves_covered = 0
        self.saving = asyncio.Lock()
        self.background: list[asyncio.Future] = []

    @workflow.run
    async def run(self, feedback_delay_seconds: float) -> int:
        workflow.patched("baseline")                                                   # the order's one marker
        self.checked = True                                                            # accepted (checked before)
        await self.save_now()                                                          # listed at once
        # The timers start with the activity before the waits they guard, not after it as in Orderly: the driver
        # acts as soon as the workflow lets it, and a timer started and cancelled within one workflow task never
        # reaches the history. Started a step earlier, each one is recorded, as in an order.
        reminder = asyncio.ensure_future(self.wait(lambda: len(self.acknowledged) == len(DEPARTMENTS),
                                                   timedelta(days=1)))             # acknowledgement reminder
        until_shipped = asyncio.ensure_future(self.wait(lambda: self.shipped, timedelta(days=14)))  # lateness check
        await workflow.execute_activity(baseline_activity, "confirm, work orders", **ACTIVITY)  # one trip
        self.status("confirmed")
        self.work_orders_sent = True
        self.save()
        await until_shipped
        await workflow.execute_activity(baseline_activity, "shipping notice", **ACTIVITY)
        self.save()
        await workflow.wait_condition(lambda: self.delivered)
        if not await self.wait(lambda: self.feedback, timedelta(seconds=feedback_delay_seconds)):  # feedback delay
            answered = asyncio.ensure_future(self.wait(lambda: self.feedback, timedelta(days=5)))  # its reminder
            await workflow.execute_activity(baseline_activity, "feedback request", **ACTIVITY)
            self.asked = True  # the customer can answer from here on (Orderly: once the request email is logged)
            self.save()
            await answered
        self.status("completed")
        self.save()
        await reminder
        await asyncio.gather(*self.background)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.acknowledged)

    @staticmethod
    def status(value: str) -> None:
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(value)])

    async def save_now(self) -> None:
        await workflow.execute_local_activity(baseline_local_activity, "save", **LOCAL)

    def save(self) -> None:
        """As Orderly's read-model saver: after the workflow task, the saves asked for in it made as one."""
        self.background.append(asyncio.ensure_future(self.save_after_this_task()))

    async def save_after_this_task(self) -> None:
        self.saves_asked += 1
        wanted = self.saves_asked
        await workflow.wait_condition(lambda: True)
        while True:
            asked = self.saves_asked
            await workflow.wait_condition(lambda: True)
            if self.saves_asked == asked:
                break
        async with self.saving:
            if self.saves_covered >= wanted:
                return
            self.saves_covered = self.saves_asked
            await self.save_now()

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
        self.save()
        return "acknowledged"

    @workflow.update
    async def mark_shipped(self) -> str:
        self.shipped = True
        self.status("shipped")
        return "shipped"

    @workflow.update
    async def mark_delivered(self) -> str:
        self.delivered = True
        self.status("delivered")
        self.save()
        return "delivered"

    @workflow.update
    async def submit_feedback(self) -> str:
        await workflow.wait_condition(lambda: self.asked)
        self.feedback = True
        self.save()
        return "feedback"
