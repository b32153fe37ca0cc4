"""The order's status, waiting and the ways out, a part of the order workflow used by every step.

- `set_status`: the order is now this status; the view, the timeline, the `OrderStatus` (and, when a date moved,
  `ExpectedFulfillmentDate`) search attributes and the workflow's current details, where ops see it.
- `wait_until`: wait for what the order needs next, with a timeout; a cancelled order stops waiting. A cancellation
  requested from Temporal itself arrives in a wait as `asyncio.CancelledError`: taken as the `cancel` update would
  be, the order is cancelled and everyone is told, then the workflow closes as cancelled; refused (the order has
  shipped), the request is recorded with the reason and the order goes on waiting.
- the ways out: an expired form, a cancelled order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.messages import BY_TEMPORAL, CANCELLED_BY, STAFF, MessageKind
    from models.order import OrderStatus

from . import rules
from .search_attributes import EXPECTED_FULFILLMENT_DATE, ORDER_STATUS

TEMPORAL_CANCEL = "cancelled from Temporal (the Web UI or CLI), not by staff in Orderly"


class OrderCancelled(Exception):
    """Raised inside the workflow when a step finds the order cancelled; `run` closes the order."""


class OrderProcess:
    """Status, waiting and the ways out of `OrderWorkflow` (its state, clock and notifier are the workflow's)."""

    def set_status(self, status: OrderStatus, text: str, new_date: bool = False, **data: Any) -> None:
        """The order is now `status` (`text` says why, in the timeline); with `new_date`, its expected date moved.
        Published where ops see it: the search attributes and the workflow's current details."""
        self.state.view.status = status
        self.state.record(f"status:{status.value}", text, **data)
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value),
                                           *([self.expected_date()] if new_date else [])])
        workflow.set_current_details(f"**{status.value}**: {text}")

    def set_status_unless_shipped(self, status: OrderStatus, text: str, new_date: bool = False, **data: Any) -> None:
        """Nothing shipped yet: the order is `status`; once part of it has shipped it stays partly shipped, and only
        the timeline says what happened to the rest."""
        if self.state.view.shipments:
            self.state.record(status.value, text, **data)
            if new_date:
                workflow.upsert_search_attributes([self.expected_date()])
        else:
            self.set_status(status, text, new_date=new_date, **data)

    def expected_date(self):  # noqa: ANN201 (a search attribute update)
        due = self.state.view.expected_fulfillment_date
        return EXPECTED_FULFILLMENT_DATE.value_set(datetime.combine(due, time(), self.clock.tz))

    async def wait_until(self, condition: Callable[[], bool], timeout: timedelta | None = None,
                         cancellable: bool = True) -> bool:
        """Wait for `condition` up to `timeout`; False on timeout. Raises OrderCancelled when the order is cancelled.
        A cancellation from Temporal arrives here as CancelledError: taken, the wait ends as a cancelled order's
        does; refused (the order has shipped), the order goes on waiting."""
        await self.alert_refused_cancel()
        stop = (lambda: condition() or self.state.cancel_requested) if cancellable else condition
        deadline = None if timeout is None else workflow.now() + timeout
        while True:
            left = None if deadline is None else deadline - workflow.now()
            try:
                if left is not None and left <= timedelta(0):
                    break
                await workflow.wait_condition(stop, timeout=left)
                break
            except asyncio.TimeoutError:
                break
            except asyncio.CancelledError:
                if not self.cancel_from_temporal():
                    await self.alert_refused_cancel()
        if cancellable:
            self.stop_if_cancelled()
        return condition()

    def stop_if_cancelled(self) -> None:
        if self.state.cancel_requested:
            raise OrderCancelled()

    def cancel_from_temporal(self) -> bool:
        """A cancellation requested from Temporal itself (the Web UI's "Request Cancellation", `temporal workflow
        cancel`): taken as the `cancel` update would be, or refused with its reason (recorded, staff alerted)."""
        state = self.state
        if state.cancel_requested:
            return True
        if reason := rules.cancel(state, self.clock.today(), Actor.operator()):
            state.record("cancel_refused", f"A cancellation requested from Temporal was refused: {reason}",
                         requested_by="temporal")
            state.temporal_cancel_refused = reason
            state.temporal_cancels_refused += 1
            return False
        state.cancelled_from_temporal = True
        self.take_cancellation(TEMPORAL_CANCEL, Actor.operator(), requested_by="temporal")
        workflow.logger.info("order %s cancelled from Temporal", state.order_id)
        return True

    async def alert_refused_cancel(self) -> None:
        """Staff hear of a cancellation from Temporal that was refused (the timeline alone is not enough)."""
        state = self.state
        if not state.temporal_cancel_refused:
            return
        reason, state.temporal_cancel_refused = state.temporal_cancel_refused, ""
        await self.notifier.tell(STAFF, MessageKind.cancel_refused_alert, revision=str(state.temporal_cancels_refused),
                                 reason=reason)

    def take_cancellation(self, reason: str, actor: Actor, note: str = "", **data: Any) -> None:
        """`reason` is the customer's message; `note`, staff's own (the timeline, the departments; never the
        customer's notice or pages)."""
        self.state.cancel_requested = True
        self.state.view.cancel_reason, self.state.view.cancel_note = reason, note
        noted = {"note": note} if note else {}
        self.state.record("cancel_requested", f"Cancellation requested by {actor}: {reason}"
                          + (f" (internal note: {note})" if note else ""), by=str(actor), **noted, **data)
        self.set_status(OrderStatus.cancelled, f"Cancelled: {reason}")

    async def close_expired(self) -> None:
        self.set_status(OrderStatus.expired, "Closed: the form was not completed in time")
        await self.notifier.tell_submitter(MessageKind.form_expired)

    async def close_cancelled(self) -> None:
        """Everyone who knew of the order is told it is cancelled."""
        by = {CANCELLED_BY: BY_TEMPORAL} if self.state.cancelled_from_temporal else {}
        await self.notifier.tell_submitter(MessageKind.cancellation_notice, **by)
        await self.notifier.tell_all(self.state.view.work_orders, MessageKind.work_order_cancelled, **by)

