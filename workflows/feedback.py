"""Step 6, a part of the order workflow: asking for feedback some days after delivery — an online survey, or a call
task for a high-value order — with one reminder, then completing the order with whatever came back. And what the
customer tells us at any time ("Something wrong? Tell us"): each request a task for customer service until
someone resolves it.

The call task is kept on the view (`feedback_call`), where customer service's queue finds it; the rep records each
try: the customer's rating, or no answer — one more try the next business day, and after a second try without an
answer the call is closed and the order completes without feedback.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.catalog import CUSTOMER_SERVICE
    from models.customer_requests import CustomerRequest, RequestRecord, RequestResolution
    from models.feedback_call import ANSWERED, CallOutcome, CallTry, FeedbackCall
    from models.messages import CUSTOMER, MessageKind
    from models.order import FeedbackEntry, OrderStatus


class Feedback:
    """Step 6 and customer requests of `OrderWorkflow` (its state, policy and notifier are the workflow's)."""

    async def ask_for_feedback(self) -> None:
        state = self.state
        if not await self.wait_until(state.feedback_settled, self.policy.feedback_delay):
            await self.ask(reminder=False)
            if not await self.wait_until(state.feedback_settled, self.policy.feedback_reminder):
                await self.ask(reminder=True)
                await self.wait_until(state.feedback_settled, self.policy.feedback_reminder)
        self.set_status(OrderStatus.completed, "Order completed with the customer's feedback" if state.has_feedback()
                        else "Order completed without feedback")

    async def ask(self, reminder: bool) -> None:
        """An online survey by email or, for a high-value order, a call task for customer service."""
        view = self.state.view
        if view.total >= self.policy.feedback_call_threshold:
            if view.feedback_call is None:
                view.feedback_call = FeedbackCall(requested_at=workflow.now())
            await self.notifier.tell(CUSTOMER_SERVICE, MessageKind.feedback_call, revision="2" if reminder else "1",
                                     reminder=reminder)
        else:
            await self.notifier.tell(CUSTOMER, MessageKind.feedback_reminder if reminder
                                     else MessageKind.feedback_request)

    def take_call_outcome(self, outcome: CallOutcome, actor: Actor) -> str:
        """A try of the feedback call: the rating, or no answer."""
        state = self.state
        call, now = state.view.feedback_call, workflow.now()
        call.tries.append(CallTry(at=now, outcome=outcome.outcome))
        if outcome.outcome == ANSWERED:
            state.view.feedback = FeedbackEntry(rating=outcome.rating, comment=outcome.comment, received_at=now)
            state.record("feedback", f"Feedback received by phone ({actor}): {outcome.rating}/5",
                         rating=outcome.rating, by=str(actor))
            return "Thank you: the customer's feedback is recorded"
        if call.closed:
            state.record("call_closed", f"Feedback call ({actor}): no answer again ({call.unanswered} tries); closed "
                                        "without feedback" + _noted(outcome), by=str(actor))
            return "No answer again: the call is closed without feedback"
        state.record("call_no_answer", f"Feedback call ({actor}): no answer; one more try the next business day"
                                       + _noted(outcome), by=str(actor))
        return "No answer: the call is due again the next business day"

    async def take_customer_request(self, request: CustomerRequest, actor: Actor) -> str:
        state = self.state
        if request.idempotency_key:
            if request.idempotency_key in state.request_keys:  # the same form sent again: taken once
                return "Customer service already has this message; it was not sent again"
            state.request_keys.append(request.idempotency_key)
        record = RequestRecord(number=len(state.view.requests) + 1, message=request.message,
                               received_at=workflow.now())
        state.view.requests.append(record)
        who = "The customer wrote" if actor.role == "customer" else f"The customer said ({actor} recorded it)"
        state.record("customer_request", f"{who} (request {record.number}): {request.message}",
                     number=record.number, by=str(actor))
        await self.notifier.tell(CUSTOMER_SERVICE, MessageKind.customer_request, revision=str(record.number),
                                 number=record.number, message=request.message)
        return f"Thank you: customer service has your message (request {record.number}) and will reply"

    def take_resolution(self, resolution: RequestResolution, actor: Actor) -> str:
        waiting = [r for r in self.state.view.requests if r.resolved_at is None]
        record = next((r for r in waiting if r.number == resolution.number), waiting[0])
        record.resolved_at, record.resolution = workflow.now(), resolution.note
        self.state.record("request_resolved", f"Request {record.number} resolved by {actor}: {resolution.note}",
                          number=record.number, by=str(actor))
        return f"Request {record.number} resolved"


def _noted(outcome: CallOutcome) -> str:
    return f" ({outcome.comment})" if outcome.comment else ""
