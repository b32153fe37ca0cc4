"""Saving the order to the read model (the order list, the timeline): a local activity, idempotent.

Saves run one at a time, each with the state as it is when its turn comes: an update handler and the main process
saving at once could otherwise commit in either order and leave an older status in the read model. If the database
stays unreachable past the retries, the events stay pending for the next save: the workflow, not the database, is
the source of truth, and a read-model outage never fails an order.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.read_model_writes import ReadModelWrites
    from models.order import OrderSnapshot

from .activity_options import SAVE_OPTIONS
from .background import Background
from .cancellation import TemporalCancel
from .state import OrderState
from .versions import HistoryShape


class ReadModelSaver:
    def __init__(self, state: OrderState, shape: HistoryShape, background: Background,
                 temporal_cancel: TemporalCancel) -> None:
        self.state, self.shape, self.background, self.temporal_cancel = state, shape, background, temporal_cancel
        self.saved_seq = 0  # the timeline events up to here are in the read model
        self.lock = asyncio.Lock()
        self.asked = self.covered = 0  # saves asked for; of those, the ones a save already started covers

    async def save(self, wait: bool = False) -> None:
        """Save the order as it is. Orders of the v6 shape save in the background, after the rest of the workflow
        task, so that the saves a task asks for (a step's and a handler's) are made as one; `wait` for the one that
        must be in before the process goes on (the order accepted, before its confirmation). Earlier shapes wait."""
        if self.shape.coalesces_saves and not wait:
            return self.background.start(self.save_after_this_task())
        if not self.shape.saves_one_at_a_time():
            return await self.save_now()
        async with self.lock:
            await self.save_now()

    async def save_after_this_task(self) -> None:
        self.asked += 1
        wanted = self.asked
        # A condition is checked only once all the ready work of the workflow task has run, so each wait lets that
        # work (and what the conditions it satisfied set off, as a handler waiting for a step) ask for its saves.
        await workflow.wait_condition(lambda: True)
        while True:
            asked = self.asked
            await workflow.wait_condition(lambda: True)
            if self.asked == asked:
                break
        async with self.lock:
            if self.covered >= wanted:
                return  # a save that started after this one was asked for has the state it was to write
            self.covered = self.asked
            await self.save_now()

    async def save_from_handler(self) -> None:
        """How update handlers save: in the background, the handler answering at once.

        A local activity awaited inside an update handler completes at a moment that depends on timing, while the
        main process may be issuing its own commands; on replay the local activity resolves at once, so the update's
        completion could land in another place among those commands and the history would no longer replay (seen
        after a Temporal server restart). Orders of the v1 and v2 shapes still wait for it, as they did.
        """
        if self.shape.handlers_leave_saves_running() and not self.shape.coalesces_saves:
            self.background.start(self.save())
        else:
            await self.save()  # (v6: `save` itself leaves it running)

    async def save_now(self) -> None:
        events = self.state.view.timeline[self.saved_seq:]
        snapshot = OrderSnapshot(view=self.state.view.model_copy(update={"timeline": []}), events=events)
        try:
            await workflow.execute_local_activity_method(ReadModelWrites.save_order, snapshot, **SAVE_OPTIONS)
        except ActivityError as e:
            if self.temporal_cancel.interrupted(e):
                self.temporal_cancel.take()
                return await self.save_now()  # cancelled or not, the read model is to say so
            workflow.logger.warning("read model not updated for order %s: %s", self.state.order_id, e.cause)
            return
        if events:
            self.saved_seq = max(self.saved_seq, events[-1].seq)
