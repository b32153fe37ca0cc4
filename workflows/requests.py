"""What the customer tells us about an order ("Something wrong? Tell us"): each request a task for customer service
(an email to them, and the console's queue) until someone resolves it, both in the order's timeline."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import CUSTOMER_SERVICE
    from models.customer_requests import CustomerRequest, RequestRecord, RequestResolution
    from models.messages import MessageKind

from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState


class CustomerRequests:
    def __init__(self, state: OrderState, notifier: Notifier, saver: ReadModelSaver) -> None:
        self.state, self.notifier, self.saver = state, notifier, saver

    async def received(self, request: CustomerRequest) -> str:
        record = RequestRecord(number=len(self.state.view.requests) + 1, message=request.message,
                               received_at=workflow.now())
        self.state.view.requests.append(record)
        self.state.record("customer_request", f"The customer wrote (request {record.number}): {request.message}",
                          number=record.number)
        await self.notifier.tell(CUSTOMER_SERVICE, MessageKind.customer_request, revision=str(record.number),
                                 number=record.number, message=request.message)
        await self.saver.save_from_handler()
        return f"Thank you: customer service has your message (request {record.number}) and will reply"

    async def resolved(self, resolution: RequestResolution) -> str:
        waiting = [r for r in self.state.view.requests if r.resolved_at is None]
        record = next((r for r in waiting if r.number == resolution.number), waiting[0])
        record.resolved_at, record.resolution = workflow.now(), resolution.note
        self.state.record("request_resolved", f"Request {record.number} resolved: {resolution.note}",
                          number=record.number)
        await self.saver.save_from_handler()
        return f"Request {record.number} resolved"
