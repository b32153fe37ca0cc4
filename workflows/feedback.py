"""Step 6: asking for feedback some days after delivery — an online survey, or a call task for a high-value order —
with one reminder, then completing the order with whatever came back."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import CUSTOMER_SERVICE
    from models.messages import CUSTOMER, MessageKind
    from models.order import OrderStatus
    from models.policy import Policy

from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard
from .waiting import Waiter


class FeedbackRequest:
    def __init__(self, state: OrderState, policy: Policy, waiter: Waiter, notifier: Notifier, status: StatusBoard,
                 saver: ReadModelSaver) -> None:
        self.state, self.policy, self.waiter = state, policy, waiter
        self.notifier, self.status, self.saver = notifier, status, saver

    async def ask_and_complete(self) -> None:
        has_feedback = self.state.has_feedback
        if not await self.waiter.until(has_feedback, self.policy.feedback_delay):
            await self.ask(reminder=False)
            await self.saver.save()
            if not await self.waiter.until(has_feedback, self.policy.feedback_reminder):
                await self.ask(reminder=True)
                await self.saver.save()
                await self.waiter.until(has_feedback, self.policy.feedback_reminder)
        outcome = "Order completed with the customer's feedback" if has_feedback() else "Order completed without feedback"
        self.status.set(OrderStatus.completed, outcome)
        await self.saver.save()

    async def ask(self, reminder: bool) -> None:
        """An online survey by email or, for a high-value order, a call task for customer service."""
        if self.state.view.total >= self.policy.feedback_call_threshold:
            await self.notifier.tell(CUSTOMER_SERVICE, MessageKind.feedback_call, revision="2" if reminder else "1",
                                     reminder=reminder)
        else:
            await self.notifier.tell(CUSTOMER, MessageKind.feedback_reminder if reminder
                                     else MessageKind.feedback_request)
