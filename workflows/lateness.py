"""The lateness timer: when the promised date passes with nothing shipped, the order tells on itself.

The customer hears once per missed date (an honest "running late" notice); staff are alerted, and alerted again
every `delay_recheck` until someone ships or reports a delay with a new date.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.messages import CUSTOMER, STAFF, MessageKind
    from models.order import OrderStatus
    from models.policy import Policy

from .clock import Clock
from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard


class LatenessWatch:
    def __init__(self, state: OrderState, policy: Policy, clock: Clock, notifier: Notifier, status: StatusBoard,
                 saver: ReadModelSaver) -> None:
        self.state, self.policy, self.clock = state, policy, clock
        self.notifier, self.status, self.saver = notifier, status, saver

    def next_check(self) -> datetime:
        """The end of the expected fulfillment date (plus grace), or the next re-check of an order already late."""
        due = self.state.view.expected_fulfillment_date
        if self.state.late_for == due:
            return self.state.last_late_alert_at + self.policy.delay_recheck
        return self.clock.end_of(due) + self.policy.delay_grace

    async def tell(self) -> None:
        """The promised date passed with nothing shipped: tell the customer (once per date) and alert staff."""
        state, due = self.state, self.state.view.expected_fulfillment_date
        if state.late_for != due:
            state.late_for, state.late_alerts = due, 0
            self.status.set(OrderStatus.delayed, f"Late: expected by {due} and not shipped")
            await self.notifier.tell(CUSTOMER, MessageKind.late_notice, revision=due.isoformat(),
                                     date=due.isoformat())
        state.late_alerts += 1
        state.last_late_alert_at = workflow.now()
        alert = "first alert" if state.late_alerts == 1 else f"still not shipped, alert {state.late_alerts}"
        await self.notifier.tell(STAFF, MessageKind.late_alert, revision=f"{due.isoformat()}.{state.late_alerts}",
                                 date=due.isoformat(), alert=alert,
                                 acknowledged=", ".join(sorted(state.view.acknowledged)))
        await self.saver.save()
