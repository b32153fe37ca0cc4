"""The order workflow: one durable workflow per order, from the submitted form to the customer's feedback.

`run` is the business process, one step a line. Each step is a method of the workflow, one jump away: the form
(`intake.py`), confirming and fulfilling in parts and parcels (`fulfilment.py`), the deadlines (`deadlines.py`),
corrections (`amending.py`) and feedback (`feedback.py`) are parts of this one class. The staff and customer
actions follow `run`, each an update decided by its rule in `rules.py` — in its validator and again in the handler,
with the actor, before anything changes. The order's state is one model (`state.py`); the workflow holds four
helpers, all made here in `__init__` before any handler can run: the state, the company's clock, the notifier that
tells people (`notifier.py`) and the saver that keeps the read model current (`saving.py`).

No `from __future__ import annotations` here: the SDK reads each handler's type hints as it defines the workflow;
as objects they are read as they are.
"""

import asyncio
from collections.abc import Sequence

from typing import Any, Optional

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.undecodable import undecodable_reason
    from models.amendments import Amendment
    from models.messages import STAFF, MessageKind
    from models.order import (Acknowledgement, ActionResult, CallOutcome, Cancellation, CustomerRequest, DelayReport,
                              DeliveryReport, FeedbackEntry, FormCompletion, OrderForm, OrderOutcome, OrderStart,
                              OrderStatus, OrderView, Payment, Readiness, Refund, RequestResolution, Shipment,
                              ShipmentCorrection)

from . import decisions, rules
from .amending import Corrections
from .clock import Clock
from .deadlines import Deadlines
from .deposit import Deposit
from .feedback import Feedback
from .fulfilment import Fulfilment
from .intake import FormExpired, FormSteps
from .money import SETTLED_PATCH, Money
from .notifier import Notifier
from .process import OrderCancelled, OrderProcess
from .saving import ReadModelSaver
from .state import OrderState


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow(OrderProcess, FormSteps, Fulfilment, Deadlines, Corrections, Feedback, Money, Deposit):
    @workflow.init
    def __init__(self, start: OrderStart) -> None:
        self.policy = start.policy
        self.holidays = frozenset(start.holidays)  # business days skip them (hand-over, at-risk dates)
        self.clock = Clock(start.timezone)
        self.state = OrderState.received(start)
        self.notifier = Notifier(self.state, self.cancel_from_temporal)
        self.saver = ReadModelSaver(self.state)

    @workflow.run
    async def run(self, start: OrderStart) -> OrderOutcome:
        saving = asyncio.ensure_future(self.saver.keep_current())
        try:
            await self.until_form_complete()            # 1. standardized form; incomplete ones go back
            await self.accept()                         # 2. in parts, each dated; listed in the read model
            await self.confirm_and_send_work_orders()   # 3-4. the customer; warehouse, accounts, makers
            await self.until_all_shipped()              # 5. acks, delays, at risk, late; each parcel's notice
            await self.until_delivered()
            await self.ask_for_feedback()               # 6. survey or call task, one reminder
        except FormExpired:
            await self.close_expired()
        except OrderCancelled:
            await self.close_cancelled()
        if workflow.patched(SETTLED_PATCH):
            await self.until_settled()                  # accounts receivable: paid, refunded (money.py)
        await self.wait_until(workflow.all_handlers_finished, cancellable=False)
        await self.saver.stop(saving.done)
        if self.state.cancelled_from_temporal:
            raise asyncio.CancelledError("cancelled from Temporal; the customer and the departments were told")
        return OrderOutcome(order_id=self.state.order_id, status=self.state.view.status)

    # ---- reads ----

    @workflow.query
    def status(self) -> OrderView:
        return self.state.view

    @workflow.query
    def submitted_form(self) -> OrderForm:
        """The form as last submitted, problems and all: the form-completion page is pre-filled from it."""
        return self.state.form

    @workflow.query
    def available_actions(self, actor: Optional[Actor] = None) -> list[str]:
        """The updates that make sense now for this actor (`decisions.available`): what the console offers, and all
        the workflow accepts from them."""
        return decisions.available(self.state, self.clock.today(), actor or Actor.operator())

    @workflow.query
    def action_choices(self, actor: Optional[Actor] = None) -> dict[str, list[str]]:
        """The departments this actor may name now, by action (decisions.choices)."""
        return decisions.choices(self.state, self.clock.today(), actor or Actor.operator())

    @workflow.signal(dynamic=True)
    async def unknown_message(self, name: str, args: Sequence[RawValue]) -> None:
        """A signal the order has no use for (sent with Temporal's own tools, perhaps with a payload the worker
        cannot decrypt): dropped and recorded, staff alerted, and the order goes on."""
        reason = "; ".join(r for a in args if (r := undecodable_reason(a))) or "orders take no signals"
        state = self.state
        state.messages_dropped += 1
        state.record("message_dropped", f"A message {name!r} from outside Orderly was dropped: {reason}",
                     signal=name, reason=reason)
        await self.notifier.tell(STAFF, MessageKind.message_dropped_alert, revision=str(state.messages_dropped),
                                 name=name, reason=reason)

    # ---- step 1: intake and completing the form ----

    @workflow.update
    async def intake(self) -> ActionResult:
        """Answers once the submitted form is settled: accepted, or incomplete with its problems (and emailed).

        Called together with the workflow start (update-with-start) so a submitter learns at once what is missing.
        """
        state = self.state
        state.intake_calls += 1
        if state.intake_calls > 1:
            return self.result(f"Order {state.order_id} already exists (it is {state.view.status.value}); "
                               "no new order was created").model_copy(update={"duplicate": True})
        await workflow.wait_condition(lambda: state.intake_answered or state.cancel_requested)
        if state.view.problems:
            told = ("no email could be sent without a valid address" if state.submitter_unreachable
                    else "the list was emailed to the customer")
            return self.result(f"Order {state.order_id} is incomplete: {len(state.view.problems)} problem(s) "
                               f"to fix ({told})")
        return self.result(f"Order {state.order_id} accepted; the confirmation is on its way")

    @workflow.update
    async def complete_form(self, completion: FormCompletion, actor: Optional[Actor] = None) -> ActionResult:
        completion, actor = self.decide("complete_form", completion, actor)
        async with self.carrying_out(f"a completed form from {actor}"):
            return self.result(await self.take_completed_form(completion, actor))  # intake.py

    @complete_form.validator
    def _check_complete_form(self, completion: FormCompletion, actor: Optional[Actor] = None) -> None:
        self.decide("complete_form", completion, actor)

    # ---- step 4: work orders ----

    @workflow.update
    async def acknowledge(self, ack: Acknowledgement, actor: Optional[Actor] = None) -> ActionResult:
        ack, actor = self.decide("acknowledge", ack, actor)
        return self.result(self.take_acknowledgement(ack, actor))  # fulfilment.py

    @acknowledge.validator
    def _check_acknowledge(self, ack: Acknowledgement, actor: Optional[Actor] = None) -> None:
        self.decide("acknowledge", ack, actor)

    # ---- step 5: delays, shipping, delivery ----

    @workflow.update
    async def report_delay(self, delay: DelayReport, actor: Optional[Actor] = None) -> ActionResult:
        delay, actor = self.decide("report_delay", delay, actor)
        async with self.carrying_out(f"a delay reported by {actor}"):
            return self.result(await self.take_delay(delay, actor))  # the part(s) named, or every part not shipped

    @report_delay.validator
    def _check_report_delay(self, delay: DelayReport, actor: Optional[Actor] = None) -> None:
        self.decide("report_delay", delay, actor)

    @workflow.update
    async def report_ready(self, readiness: Readiness, actor: Optional[Actor] = None) -> ActionResult:
        readiness, actor = self.decide("report_ready", readiness, actor)
        return self.result(self.take_readiness(readiness, actor))  # a manufacturer's part is at the warehouse

    @report_ready.validator
    def _check_report_ready(self, readiness: Readiness, actor: Optional[Actor] = None) -> None:
        self.decide("report_ready", readiness, actor)

    @workflow.update
    async def mark_shipped(self, shipment: Shipment, actor: Optional[Actor] = None) -> ActionResult:
        shipment, actor = self.decide("mark_shipped", shipment, actor)
        return self.result(self.take_shipment(shipment, actor))  # the lines given, or everything not yet shipped

    @mark_shipped.validator
    def _check_mark_shipped(self, shipment: Shipment, actor: Optional[Actor] = None) -> None:
        self.decide("mark_shipped", shipment, actor)

    @workflow.update
    async def correct_shipment(self, correction: ShipmentCorrection, actor: Optional[Actor] = None) -> ActionResult:
        """Tracking or the delivery date changed after the shipping notice: the customer gets the notice again as a
        new revision of its key, saying what changed (never silence, never a duplicate)."""
        correction, actor = self.decide("correct_shipment", correction, actor)
        async with self.carrying_out(f"a shipment correction by {actor}"):
            return self.result(await self.take_shipment_correction(correction, actor))

    @correct_shipment.validator
    def _check_correct_shipment(self, correction: ShipmentCorrection, actor: Optional[Actor] = None) -> None:
        self.decide("correct_shipment", correction, actor)

    @workflow.update
    async def mark_delivered(self, report: Optional[DeliveryReport] = None,
                             actor: Optional[Actor] = None) -> ActionResult:
        report, actor = self.decide("mark_delivered", report, actor)
        return self.result(self.take_delivery(report, actor))

    @mark_delivered.validator
    def _check_mark_delivered(self, report: Optional[DeliveryReport] = None, actor: Optional[Actor] = None) -> None:
        self.decide("mark_delivered", report, actor)

    # ---- step 6: feedback ----

    @workflow.update
    async def submit_feedback(self, feedback: FeedbackEntry, actor: Optional[Actor] = None) -> ActionResult:
        feedback, actor = self.decide("submit_feedback", feedback, actor)
        self.state.view.feedback = feedback.model_copy(update={"received_at": workflow.now()})
        self.state.record("feedback", f"Feedback received from {actor}: {feedback.rating}/5", rating=feedback.rating,
                          by=str(actor))
        return self.result("Thank you: feedback recorded")

    @submit_feedback.validator
    def _check_submit_feedback(self, feedback: FeedbackEntry, actor: Optional[Actor] = None) -> None:
        self.decide("submit_feedback", feedback, actor)

    @workflow.update
    async def record_call_outcome(self, outcome: CallOutcome, actor: Optional[Actor] = None) -> ActionResult:
        outcome, actor = self.decide("record_call_outcome", outcome, actor)
        return self.result(self.take_call_outcome(outcome, actor))  # feedback.py: the rating, or no answer

    @record_call_outcome.validator
    def _check_record_call_outcome(self, outcome: CallOutcome, actor: Optional[Actor] = None) -> None:
        self.decide("record_call_outcome", outcome, actor)

    # ---- the customer called: staff correct the order ----

    @workflow.update
    async def amend_order(self, amendment: Amendment, actor: Optional[Actor] = None) -> ActionResult:
        amendment, actor = self.decide("amend_order", amendment, actor)
        async with self.carrying_out(f"a correction by {actor}"):
            return self.result(await self.take_amendment(amendment, actor))  # amending.py: who is told what

    @amend_order.validator
    def _check_amend_order(self, amendment: Amendment, actor: Optional[Actor] = None) -> None:
        self.decide("amend_order", amendment, actor)

    # ---- the customer tells us something is wrong; customer service resolves it ----

    @workflow.update
    async def customer_request(self, request: CustomerRequest, actor: Optional[Actor] = None) -> ActionResult:
        request, actor = self.decide("customer_request", request, actor)
        return self.result(await self.take_customer_request(request, actor))  # feedback.py: a task and an email

    @customer_request.validator
    def _check_customer_request(self, request: CustomerRequest, actor: Optional[Actor] = None) -> None:
        self.decide("customer_request", request, actor)

    @workflow.update
    async def resolve_request(self, resolution: RequestResolution, actor: Optional[Actor] = None) -> ActionResult:
        resolution, actor = self.decide("resolve_request", resolution, actor)
        return self.result(self.take_resolution(resolution, actor))

    @resolve_request.validator
    def _check_resolve_request(self, resolution: RequestResolution, actor: Optional[Actor] = None) -> None:
        self.decide("resolve_request", resolution, actor)

    # ---- any time before shipping ----

    @workflow.update
    async def cancel(self, cancellation: Cancellation, actor: Optional[Actor] = None) -> ActionResult:
        cancellation, actor = self.decide("cancel", cancellation, actor)
        self.take_cancellation(cancellation.reason, actor, note=cancellation.note)
        return self.result("Cancellation accepted; the customer and every department are being told")

    @cancel.validator
    def _check_cancel(self, cancellation: Cancellation, actor: Optional[Actor] = None) -> None:
        self.decide("cancel", cancellation, actor)

    # ---- accounts receivable: money in and out (money.py) ----

    @workflow.update
    async def record_payment(self, payment: Payment, actor: Optional[Actor] = None) -> ActionResult:
        payment, actor = self.decide("record_payment", payment, actor)
        return self.result(self.take_payment(payment, actor))

    @record_payment.validator
    def _check_record_payment(self, payment: Payment, actor: Optional[Actor] = None) -> None:
        self.decide("record_payment", payment, actor)

    @workflow.update
    async def record_refund(self, refund: Refund, actor: Optional[Actor] = None) -> ActionResult:
        refund, actor = self.decide("record_refund", refund, actor)
        return self.result(self.take_refund(refund, actor))

    @record_refund.validator
    def _check_record_refund(self, refund: Refund, actor: Optional[Actor] = None) -> None:
        self.decide("record_refund", refund, actor)

    # ---- deciding an action, once ----

    def decide(self, name: str, arg: Any, actor: Optional[Actor], again: bool = False) -> tuple[Any, Actor]:
        """The action's rule for this actor, on the order as it is now: a validator asks it when the update arrives,
        the handler again before it changes anything (`again`: after the handler's own wait, as the action in
        flight). Refused: the update fails with the reason, nothing changed. Returns the input and the actor (an
        operator with Temporal's own tools where none was named)."""
        actor = actor or Actor.operator()
        try:
            arg = decisions.as_input(name, arg)
        except ValueError as e:
            raise ApplicationError(str(e), type="InvalidInput", non_retryable=True) from None
        if reason := decisions.refusal(name, self.state, self.clock.today(), actor, arg, again):
            kind = "ActionForbidden" if isinstance(reason, rules.Forbidden) else "ActionRefused"
            raise ApplicationError(str(reason), type=kind, non_retryable=True)
        return arg, actor

    def carrying_out(self, what: str) -> "InFlight":
        """While a course-changing action is carried out (its messages going out), others wait their turn."""
        return InFlight(self.state, what)

    def result(self, message: str) -> ActionResult:
        view = self.state.view
        result = ActionResult(order_id=view.order_id, status=view.status, message=message)
        if view.problems:
            result.problems = view.problems
        return result


class InFlight:
    def __init__(self, state: OrderState, what: str) -> None:
        self.state, self.what = state, what

    async def __aenter__(self) -> None:
        self.state.in_flight, self.state.in_flight_since = self.what, workflow.now()

    async def __aexit__(self, *exc: object) -> None:
        self.state.in_flight = ""
