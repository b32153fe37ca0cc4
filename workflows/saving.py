"""Keeping the read model (the order list, the timeline) current: one loop beside the process, a local activity.

Every recorded change bumps the state's version; the loop saves the order as it is whenever the version has moved
since its last save, one save at a time, so a later state can never be overwritten by an earlier one, and the
changes a workflow task makes together go in one save. If the database stays unreachable past the retries, the
events stay pending for the next save: the workflow, not the database, is the source of truth, and a read-model
outage never fails an order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.read_model_writes import ReadModelWrites
    from models.order import OrderSnapshot

from .activity_options import SAVE_OPTIONS
from .state import OrderState


class ReadModelSaver:
    def __init__(self, state: OrderState) -> None:
        self.state = state
        self.saved_seq = 0     # the timeline events up to here are in the read model
        self.tried = 0         # the state version the last save was made (or tried) with
        self.done = 0          # the state version of the last save finished (or given up)
        self.stopping = False

    async def keep_current(self) -> None:
        """Run until `stop`: save whenever the order changed since the last save."""
        while True:
            await workflow.wait_condition(lambda: self.state.version > self.tried or self.stopping)
            if self.state.version <= self.tried:
                return
            await asyncio.sleep(0)  # what else this activation changes (a step woken with this loop) goes in too
            await self.save()

    async def flush(self) -> None:
        """Wait until the order as it is now has been saved (or the save tried)."""
        wanted = self.state.version
        await workflow.wait_condition(lambda: self.done >= wanted)

    async def stop(self, loop_done: Callable[[], bool]) -> None:
        """The last state saved (or tried), then the loop ends."""
        self.stopping = True
        await workflow.wait_condition(loop_done)

    async def save(self) -> None:
        version = self.tried = self.state.version
        events = self.state.view.timeline[self.saved_seq:]
        snapshot = OrderSnapshot(view=self.state.view.model_copy(update={"timeline": []}), events=events)
        try:
            await workflow.execute_local_activity_method(ReadModelWrites.save_order, snapshot, **SAVE_OPTIONS)
            if events:
                self.saved_seq = max(self.saved_seq, events[-1].seq)
        except ActivityError as e:
            workflow.logger.warning("read model not updated for order %s: %s", self.state.order_id, e.cause)
        self.done = version
