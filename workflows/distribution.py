"""Steps 3 and 4: the customer's confirmation, then the work orders to the warehouse, accounts receivable and each
manufacturer, with one reminder to the departments that have not acknowledged in time.

For orders of the v6 shape the work orders travel in the confirmation's activity (`Notifier.send_along`): the
departments have theirs as soon as the customer has the confirmation, and step 4 tells what was sent.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.messages import CUSTOMER, MessageKind
    from models.order import OrderStatus
    from models.policy import Policy

from .background import Background
from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard
from .versions import HistoryShape
from .waiting import Waiter


class Distribution:
    def __init__(self, state: OrderState, shape: HistoryShape, policy: Policy, waiter: Waiter, notifier: Notifier,
                 status: StatusBoard, saver: ReadModelSaver, background: Background) -> None:
        self.state, self.shape, self.policy, self.waiter = state, shape, policy, waiter
        self.notifier, self.status, self.saver, self.background = notifier, status, saver, background

    async def confirm(self) -> None:
        self.waiter.stop_if_cancelled()
        departments = self.state.departments()
        if self.notifier.send_along(departments, MessageKind.work_order,  # v6: the work orders go in the same trip
                                    status=OrderStatus.confirmed, work_orders=departments):
            self.state.work_orders_on_the_way = departments
        sent = await self.notifier.tell(CUSTOMER, MessageKind.order_confirmation)
        self.status.confirmed("Order confirmed to the customer" if sent or not self.shape.settled_intake
                              else "Order confirmed; the confirmation email could not be delivered")
        await self.saver.save()

    async def work_orders(self) -> None:
        if not self.notifier.sent_ahead(MessageKind.work_order):  # once out, they are told (and so cancelled too)
            self.waiter.stop_if_cancelled()
        self.state.view.work_orders = self.state.departments()
        await self.notifier.tell_all(self.state.view.work_orders, MessageKind.work_order)
        self.state.work_orders_sent_at = workflow.now()
        self.background.start(self.remind_unacknowledged())
        await self.saver.save()

    async def remind_unacknowledged(self) -> None:
        """No acknowledgement within the policy's time: remind the departments that have not acknowledged."""
        if await self.waiter.until(self.state.acknowledged_or_moved_on, self.policy.acknowledgement_reminder,
                                   cancellable=False):
            return
        sent_ago = (workflow.now() - self.state.work_orders_sent_at).total_seconds()
        await self.notifier.tell_all(self.state.pending_acknowledgements, MessageKind.work_order_reminder,
                                     sent_ago=sent_ago)
        await self.saver.save()
