"""Step 6: asking for feedback some days after delivery — an online survey, or a call task for a high-value order —
with one reminder, then completing the order with whatever came back.

The call task is kept on the view (`feedback_call`), where customer service's queue finds it; the rep records each
try (`record_call`): the customer's rating, or no answer — one more try the next business day, and after a second
try without an answer the call is closed and the order completes without feedback.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import CUSTOMER_SERVICE
    from models.feedback_call import ANSWERED, CallOutcome, CallTry, FeedbackCall
    from models.messages import CUSTOMER, MessageKind
    from models.order import FeedbackEntry, OrderStatus
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
        has_feedback = self.state.feedback_settled
        if not await self.waiter.until(has_feedback, self.policy.feedback_delay):
            await self.ask(reminder=False)
            await self.saver.save()
            if not await self.waiter.until(has_feedback, self.policy.feedback_reminder):
                await self.ask(reminder=True)
                await self.saver.save()
                await self.waiter.until(has_feedback, self.policy.feedback_reminder)
        outcome = ("Order completed with the customer's feedback" if self.state.has_feedback()
                   else "Order completed without feedback")
        self.status.set(OrderStatus.completed, outcome)
        await self.saver.save()

    async def ask(self, reminder: bool) -> None:
        """An online survey by email or, for a high-value order, a call task for customer service."""
        if self.state.view.total >= self.policy.feedback_call_threshold:
            if self.state.view.feedback_call is None:
                self.state.view.feedback_call = FeedbackCall(requested_at=workflow.now())
            await self.notifier.tell(CUSTOMER_SERVICE, MessageKind.feedback_call, revision="2" if reminder else "1",
                                     reminder=reminder)
        else:
            await self.notifier.tell(CUSTOMER, MessageKind.feedback_reminder if reminder
                                     else MessageKind.feedback_request)

    async def record_call(self, outcome: CallOutcome) -> str:
        """A try of the feedback call (the rule `record_call_outcome` has checked it): the rating, or no answer."""
        call, now = self.state.view.feedback_call, workflow.now()
        call.tries.append(CallTry(at=now, outcome=outcome.outcome))
        if outcome.outcome == ANSWERED:
            self.state.view.feedback = FeedbackEntry(rating=outcome.rating, comment=outcome.comment, received_at=now)
            self.state.record("feedback", f"Feedback received by phone: {outcome.rating}/5", rating=outcome.rating)
            told = "Thank you: the customer's feedback is recorded"
        elif call.closed:
            self.state.record("call_closed", f"Feedback call: no answer again ({call.unanswered} tries); closed "
                                             "without feedback" + _noted(outcome))
            told = "No answer again: the call is closed without feedback"
        else:
            self.state.record("call_no_answer", "Feedback call: no answer; one more try the next business day"
                                                + _noted(outcome))
            told = "No answer: the call is due again the next business day"
        await self.saver.save_from_handler()
        return told


def _noted(outcome: CallOutcome) -> str:
    return f" ({outcome.comment})" if outcome.comment else ""
