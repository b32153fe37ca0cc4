"""A cancellation requested from Temporal itself: the Web UI's "Request Cancellation", `temporal workflow cancel`.

It reaches the workflow as `asyncio.CancelledError` in a wait, or as an activity of the order's cancelled with it
(`ActivityError` caused by `CancelledError`: the order never cancels its own activities). Either way it takes the
path of the `cancel` update where that update would be accepted: the order is cancelled and everyone is told, then
the workflow closes as cancelled. Where the update would be refused (the order has shipped), the request is recorded
with the same reason and the order carries on; an interrupted send or save is made again (under the same key, so
nobody is told twice).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError

from . import rules
from .clock import Clock
from .state import OrderState

REASON = "cancelled from Temporal (the Web UI or CLI), not by staff in Orderly"


class TemporalCancel:
    def __init__(self, state: OrderState, clock: Clock) -> None:
        self.state, self.clock = state, clock
        self.requested = False  # taken: the workflow closes as cancelled once everyone has been told

    def take(self) -> bool:
        """Cancel the order as the `cancel` update would; False (recorded) where the update would refuse."""
        state = self.state
        if state.cancel_requested:
            return True
        if reason := rules.cancel(state, self.clock.today()):
            state.record("cancel_refused", f"A cancellation requested from Temporal was refused: {reason}",
                         requested_by="temporal")
            return False
        self.requested = state.cancel_requested = True
        state.view.cancel_reason = REASON
        state.record("cancel_requested", "Cancellation requested from Temporal (the Web UI or CLI)",
                     requested_by="temporal")
        workflow.logger.info("order %s cancelled from Temporal", state.order_id)
        return True

    @staticmethod
    def interrupted(e: ActivityError) -> bool:
        """Whether the activity failed because the workflow was cancelled."""
        return isinstance(e.cause, CancelledError)
