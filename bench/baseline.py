"""The baseline: a bare workflow with the same Temporal work as one order lifecycle, doing nothing in it.

One sofa order that goes all the way (see `docs/benchmarks.md`) costs Temporal: 3 activities (the confirmation
with the 2 work orders, the shipping notice, the feedback request; the form is checked by the submitter), its
read-model saves as local activities (one loop beside the process saves whenever the order changed since its last
save; the one when the order is accepted is waited for), 3 timers (the nearest deadline while it waits to ship,
cancelled; feedback delay, fired; feedback reminder, cancelled), 6 updates (intake with the start, 2
acknowledgements, ship, deliver, feedback) and its search attributes upserted 4 times (confirmed with the date,
shipped, delivered, completed), then 1.1's one patch marker (`money-settled-before-close`, with the SDK's own
`TemporalChangeVersion` upsert) and its "settled" save (the bench's orders take their money elsewhere). `BaselineWorkflow` does exactly that, in the same order, with the same waits and
the same way of saving, with no-op activities and tiny payloads. Its throughput on the same
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
        self.version = self.saved = 0  # as Orderly's saver: a change since the last save is saved by the loop
        self.finished = False

    @workflow.run
    async def run(self, feedback_delay_seconds: float) -> int:
        saving = asyncio.ensure_future(self.keep_saved())
        self.checked = True                                                            # accepted (checked before)
        self.changed()
        await workflow.wait_condition(lambda: self.saved >= self.version)              # listed before anyone is told
        self.work_orders_sent = True  # (Orderly lists the departments as the work orders go out)
        await workflow.execute_activity(baseline_activity, "confirmation, work orders", **ACTIVITY)  # one trip
        self.status("confirmed")
        self.changed()
        await self.wait(lambda: self.shipped, timedelta(days=1))                       # the nearest deadline
        await workflow.execute_activity(baseline_activity, "shipping notice", **ACTIVITY)
        self.changed()
        await workflow.wait_condition(lambda: self.delivered)
        if not await self.wait(lambda: self.feedback, timedelta(seconds=feedback_delay_seconds)):  # feedback delay
            await workflow.execute_activity(baseline_activity, "feedback request", **ACTIVITY)
            self.asked = True  # the customer can answer from here on (Orderly: once the request email is logged)
            self.changed()
            await self.wait(lambda: self.feedback, timedelta(days=5))                # its reminder
        self.status("completed")
        self.changed()
        if workflow.patched("baseline-settled"):  # as Orderly's order, which closes at once when settled elsewhere
            self.changed()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.finished = True
        await saving
        return len(self.acknowledged)

    @staticmethod
    def status(value: str) -> None:
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(value)])

    def changed(self) -> None:
        self.version += 1

    async def keep_saved(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self.version > self.saved or self.finished)
            if self.version <= self.saved:
                return
            version = self.version
            await workflow.execute_local_activity(baseline_local_activity, "save", **LOCAL)
            self.saved = version

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
        self.changed()
        return "acknowledged"

    @workflow.update
    async def mark_shipped(self) -> str:
        self.shipped = True
        self.status("shipped")
        self.changed()
        return "shipped"

    @workflow.update
    async def mark_delivered(self) -> str:
        self.delivered = True
        self.status("delivered")
        self.changed()
        return "delivered"

    @workflow.update
    async def submit_feedback(self) -> str:
        await workflow.wait_condition(lambda: self.asked)
        self.feedback = True
        self.changed()
        return "feedback"
