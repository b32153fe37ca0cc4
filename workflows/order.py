"""The order workflow: one durable workflow per order, from the submitted form to the customer's feedback.

`run` is the business process, one step a line; each step is a method below it or one jump away in a helper the
workflow holds (the form, `form_intake.py`; parts and parcels, `fulfilment.py`; feedback, `feedback.py`); the staff and customer
actions follow, each an update guarded by its rule in `rules.py`. The order's state is one model (`state.py`); the
helpers tell people (`notifier.py`), save the read model (`read_model_saver.py`) and keep the status where ops see
it (`status.py`). Which history shape the order has is decided once (`versions.py`).

No `from __future__ import annotations` here: a strict sandbox (`sandbox.py`) runs this module again for every new
order, and the SDK reads each handler's type hints as it defines the workflow; as strings they were parsed again
each time, as objects they are read as they are.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.amendments import Amendment
    from models.messages import CUSTOMER, MessageKind
    from models.order import (Acknowledgement, ActionResult, CallOutcome, Cancellation, CustomerRequest, DelayReport,
                              DeliveryReport, RequestResolution, FeedbackEntry, FormCompletion, OrderForm, OrderStart, OrderStatus, OrderView, Readiness,
                              Shipment, ShipmentCorrection)

from . import rules
from .amending import Amending
from .background import Background
from .cancellation import TemporalCancel
from .clock import Clock
from .distribution import Distribution
from .feedback import FeedbackRequest
from .form_intake import FormIntake, check_form
from .fulfilment import Fulfilment, shipping_revision
from .requests import CustomerRequests
from .lateness import LatenessWatch
from .notifier import Notifier
from .read_model_saver import ReadModelSaver
from .state import OrderState
from .status import StatusBoard
from .versions import HistoryShape
from .waiting import FormExpired, OrderCancelled, Waiter


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, start: OrderStart) -> None:
        self.policy = start.policy
        self.holidays = frozenset(start.holidays)  # business days skip them (hand-over, at-risk dates)
        self.clock = Clock(start.timezone)
        self.state = OrderState.received(start)
        self.background = Background()
        self.temporal_cancel = TemporalCancel(self.state, self.clock)
        self.waiter = Waiter(self.state, self.temporal_cancel)

    @workflow.run
    async def run(self, start: OrderStart) -> OrderView:
        self.take_history_shape(HistoryShape())
        try:
            await self.form.until_complete()          # 1. standardized form; incomplete ones go back
            await self.record_order()                 # 2. read model, expected fulfillment date
            await self.distribution.confirm()         # 3. details, date, contact information
            await self.distribution.work_orders()     # 4. warehouse, accounts receivable, manufacturers
            await self.fulfilment.until_all_shipped() # 5. parts, delays, at risk, late; each parcel's notice
            await self.until_delivered()
            await self.feedback.ask_and_complete()    # 6. survey or call task, one reminder
        except FormExpired:
            await self.close_expired()
        except OrderCancelled:
            await self.close_cancelled()
        await self.background.finish()
        if self.temporal_cancel.requested:
            raise asyncio.CancelledError("cancelled from Temporal; the customer and the departments were told")
        return self.state.view

    def take_history_shape(self, shape: HistoryShape) -> None:
        self.shape = shape
        self.notifier = Notifier(self.state, shape, self.temporal_cancel)
        self.saver = ReadModelSaver(self.state, shape, self.background, self.temporal_cancel)
        self.status_board = StatusBoard(self.state, shape, self.clock)
        self.lateness = LatenessWatch(self.state, shape, self.policy, self.clock, self.holidays,
                                      self.notifier, self.status_board, self.saver)
        self.amending = Amending(self.state, self.policy, self.holidays, self.notifier, self.status_board, self.saver)
        self.requests = CustomerRequests(self.state, self.notifier, self.saver)
        self.fulfilment = Fulfilment(self.state, self.waiter, self.notifier, self.status_board, self.saver,
                                     self.lateness)
        self.form = FormIntake(self.state, shape, self.policy, self.clock, self.waiter, self.notifier,
                               self.status_board, self.saver)
        self.feedback = FeedbackRequest(self.state, self.policy, self.waiter, self.notifier, self.status_board,
                                        self.saver)
        self.distribution = Distribution(self.state, shape, self.policy, self.waiter, self.notifier,
                                         self.status_board, self.saver, self.background)

    # ---- 2. record the order and promise a date ----

    async def record_order(self) -> None:
        self.waiter.stop_if_cancelled()
        self.state.accept(self.shape.ships_in_parts, self.policy, self.holidays)
        view = self.state.view
        in_parts = "" if self.state.in_one_part else f" in {len(view.parts)} parts (" + "; ".join(
            f"{p.department} by {p.expected_fulfillment_date}" for p in view.parts) + ")"
        self.state.record("accepted", f"Order accepted: {len(view.lines)} line(s), total {view.total:.2f} "
                                      f"{view.currency}; expected fulfillment date {view.expected_fulfillment_date}"
                                      + in_parts, expected_fulfillment_date=view.expected_fulfillment_date.isoformat())
        self.status_board.promise_date()
        self.state.intake_answered = True
        if self.shape.saves_on_acceptance:
            await self.saver.save(wait=True)  # listed at once, whatever the mail provider does

    # ---- 5. fulfilment: fulfilment.py ----

    async def until_delivered(self) -> None:
        await self.waiter.until(self.state.delivered)

    # ---- the ways out ----

    async def close_expired(self) -> None:
        self.status_board.set(OrderStatus.expired, "Closed: the form was not completed in time")
        await self.notifier.tell_submitter(MessageKind.form_expired)
        await self.saver.save()

    async def close_cancelled(self) -> None:
        self.status_board.set(OrderStatus.cancelled, f"Cancelled: {self.state.view.cancel_reason}")
        await self.notifier.tell_submitter(MessageKind.cancellation_notice)
        await self.notifier.tell_all(self.state.view.work_orders, MessageKind.work_order_cancelled)
        await self.saver.save()

    # ---- reads ----

    @workflow.query
    def status(self) -> OrderView:
        return self.state.view

    @workflow.query
    def submitted_form(self) -> OrderForm:
        """The form as last submitted, problems and all: the form-completion page is pre-filled from it."""
        return self.state.form

    @workflow.query
    def available_actions(self) -> list[str]:
        """The updates that make sense now (rules.py): what the console offers, and all the workflow accepts."""
        return rules.available(self.state, self.clock.today())

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
            told = ("no email could be sent without a valid address"
                    if state.view.timeline[-1].kind == "message_skipped" else "the list was emailed to the customer")
            return self.result(f"Order {state.order_id} is incomplete: {len(state.view.problems)} problem(s) "
                               f"to fix ({told})")
        return self.result(f"Order {state.order_id} accepted; the confirmation is on its way")

    @workflow.update
    async def complete_form(self, completion: FormCompletion) -> ActionResult:
        check = await check_form(completion.form)
        if self.state.view.status is not OrderStatus.incomplete:
            return self.result(f"The form arrived after the order became {self.state.view.status.value}; "
                               "nothing changed")
        self.state.take_form(completion.form, check)
        if check.complete:
            self.state.record("form_completed", "The missing details arrived; the form is complete")
            if not self.shape.answers_when_settled:
                return self.result("Form complete; the order is being confirmed")
            await workflow.wait_condition(lambda: self.state.accepted or self.state.cancel_requested)
            return self.result("Form complete; the order is accepted and the confirmation is on its way")
        self.state.record("form_resubmitted", f"Form resubmitted, still {len(check.problems)} problem(s): "
                                              + ", ".join(p.field for p in check.problems))
        await self.saver.save_from_handler()
        return self.result(f"The form still has {len(check.problems)} problem(s)")

    @complete_form.validator
    def _check_complete_form(self, completion: FormCompletion) -> None:
        self.refuse_if(rules.complete_form, completion)

    # ---- step 4: work orders ----

    @workflow.update
    async def acknowledge(self, ack: Acknowledgement) -> ActionResult:
        acknowledged = self.state.view.acknowledged
        if ack.department not in self.state.view.work_orders:  # it went with the confirmation, not yet told
            await workflow.wait_condition(lambda: ack.department in self.state.view.work_orders)
        if ack.department in acknowledged:
            return self.result(f"{ack.department} had already acknowledged this work order at "
                               f"{acknowledged[ack.department]:%Y-%m-%d %H:%M} UTC")
        acknowledged[ack.department] = workflow.now()
        self.state.record("acknowledged", f"Work order acknowledged by {ack.department}"
                                          + (f" ({ack.by})" if ack.by else ""), department=ack.department)
        await self.saver.save_from_handler()
        return self.result(f"Work order acknowledged by {ack.department}")

    @acknowledge.validator
    def _check_acknowledge(self, ack: Acknowledgement) -> None:
        self.refuse_if(rules.acknowledge, ack)

    # ---- step 5: delays, shipping, delivery ----

    @workflow.update
    async def report_delay(self, delay: DelayReport) -> ActionResult:
        return self.result(await self.fulfilment.delay(delay))  # the part(s) named, or every part not yet shipped

    @report_delay.validator
    def _check_report_delay(self, delay: DelayReport) -> None:
        self.refuse_if(rules.report_delay, delay)

    @workflow.update
    async def report_ready(self, readiness: Readiness) -> ActionResult:
        return self.result(await self.fulfilment.ready(readiness))  # a manufacturer's part is at the warehouse

    @report_ready.validator
    def _check_report_ready(self, readiness: Readiness) -> None:
        self.refuse_if(rules.report_ready, readiness)

    @workflow.update
    async def mark_shipped(self, shipment: Shipment) -> ActionResult:
        return self.result(self.fulfilment.ship(shipment))  # the lines given, or everything not yet shipped

    @mark_shipped.validator
    def _check_mark_shipped(self, shipment: Shipment) -> None:
        self.refuse_if(rules.mark_shipped, shipment)

    @workflow.update
    async def correct_shipment(self, correction: ShipmentCorrection) -> ActionResult:
        """Tracking or the delivery date changed after the shipping notice: the customer gets the notice again as a
        new revision of its key, saying what changed (never silence, never a duplicate)."""
        state = self.state
        number = state.view.shipment_numbered(correction.shipment).number
        first_notice = f"{state.order_id}/shipping_notice/customer/{shipping_revision(number)}"
        await workflow.wait_condition(lambda: any(e.data.get("key") == first_notice for e in state.view.timeline))
        if (corrected := state.correct_shipment(correction)) is None:
            return self.result("Nothing changed: the shipment already has these details")
        revision, described = corrected
        await self.notifier.tell(CUSTOMER, MessageKind.shipping_notice, revision=revision, changes=described,
                                 reason=correction.reason, shipment=number)
        await self.saver.save_from_handler()
        return self.result(f"Shipping details corrected ({', '.join(c['label'].lower() for c in described)}); "
                           "the customer is being told what changed")

    @correct_shipment.validator
    def _check_correct_shipment(self, correction: ShipmentCorrection) -> None:
        self.refuse_if(rules.correct_shipment, correction)

    @workflow.update
    async def mark_delivered(self, report: DeliveryReport | None = None) -> ActionResult:
        return self.result(await self.fulfilment.deliver(report))  # (orders before parts sent no report)

    @mark_delivered.validator
    def _check_mark_delivered(self, report: DeliveryReport | None = None) -> None:
        self.refuse_if(rules.mark_delivered, report)

    # ---- step 6: feedback ----

    @workflow.update
    async def submit_feedback(self, feedback: FeedbackEntry) -> ActionResult:
        self.state.view.feedback = feedback.model_copy(update={"received_at": workflow.now()})
        self.state.record("feedback", f"Feedback received: {feedback.rating}/5", rating=feedback.rating)
        await self.saver.save_from_handler()
        return self.result("Thank you: feedback recorded")

    @submit_feedback.validator
    def _check_submit_feedback(self, feedback: FeedbackEntry) -> None:
        self.refuse_if(rules.submit_feedback, feedback)

    @workflow.update
    async def record_call_outcome(self, outcome: CallOutcome) -> ActionResult:
        return self.result(await self.feedback.record_call(outcome))  # feedback.py: the rating, or no answer

    @record_call_outcome.validator
    def _check_record_call_outcome(self, outcome: CallOutcome) -> None:
        self.refuse_if(rules.record_call_outcome, outcome)

    # ---- the customer called: staff correct the order ----

    @workflow.update
    async def amend_order(self, amendment: Amendment) -> ActionResult:
        return self.result(await self.amending.amend(amendment))  # amending.py: applied, and who is told what

    @amend_order.validator
    def _check_amend_order(self, amendment: Amendment) -> None:
        self.refuse_if(rules.amend_order, amendment)

    # ---- the customer tells us something is wrong; customer service resolves it ----

    @workflow.update
    async def customer_request(self, request: CustomerRequest) -> ActionResult:
        return self.result(await self.requests.received(request))  # requests.py: a task and an email for them

    @customer_request.validator
    def _check_customer_request(self, request: CustomerRequest) -> None:
        self.refuse_if(rules.customer_request, request)

    @workflow.update
    async def resolve_request(self, resolution: RequestResolution) -> ActionResult:
        return self.result(await self.requests.resolved(resolution))

    @resolve_request.validator
    def _check_resolve_request(self, resolution: RequestResolution) -> None:
        self.refuse_if(rules.resolve_request, resolution)

    # ---- any time before shipping ----

    @workflow.update
    async def cancel(self, cancellation: Cancellation) -> ActionResult:
        self.state.cancel_requested = True
        self.state.view.cancel_reason = cancellation.reason
        self.state.record("cancel_requested", f"Cancellation requested: {cancellation.reason}")
        return self.result("Cancellation accepted; the customer and every department are being told")

    @cancel.validator
    def _check_cancel(self, cancellation: Cancellation) -> None:
        self.refuse_if(rules.cancel, cancellation)

    def refuse_if(self, rule: rules.Rule, arg: object = None) -> None:
        """A validator: refuse the update, with the rule's reason, when the rule finds one."""
        if reason := rule(self.state, self.clock.today(), arg):
            raise ApplicationError(reason, type="ActionRefused", non_retryable=True)

    def result(self, message: str) -> ActionResult:
        view = self.state.view
        return ActionResult(order_id=view.order_id, status=view.status, message=message, problems=view.problems)

