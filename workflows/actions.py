"""What staff and customers can do to an order: updates with validators, and the status query.

A validator refuses an action that makes no sense in the order's current state with a message saying why;
the refusal reaches the caller and the workflow carries on untouched.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.messages import CUSTOMER, MessageKind
    from models.order import (SHIPMENT_LABELS, Acknowledgement, ActionResult, Cancellation, DelayReport,
                              FeedbackEntry, FormCompletion, OrderForm, OrderStatus, OrderView, Shipment,
                              ShipmentCorrection)

from .state import OrderState

NOT_YET_CONFIRMED = (OrderStatus.received, OrderStatus.incomplete)
CLOSED = (OrderStatus.cancelled, OrderStatus.expired, OrderStatus.completed)
MAX_DELAY = timedelta(days=365)  # a new fulfillment date further away than this is a typo or a conversation
MAX_TRANSIT = timedelta(days=180)  # likewise for an expected delivery date


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type="ActionRefused", non_retryable=True)


class OrderActions(OrderState):
    # ---- reads ----

    @workflow.query
    def status(self) -> OrderView:
        return self.view

    @workflow.query
    def submitted_form(self) -> OrderForm:
        """The form as last submitted, problems and all: the form-completion page is pre-filled from it."""
        return self.form

    @workflow.update
    async def intake(self) -> ActionResult:
        """Returns once the submitted form has been checked: accepted, or incomplete with its problems.

        Called together with the workflow start (update-with-start) so a submitter learns at once what is missing.
        """
        self.intake_calls += 1
        if self.intake_calls > 1:
            return self.result(f"Order {self.view.order_id} already exists (it is {self.view.status.value}); "
                               "no new order was created").model_copy(update={"duplicate": True})
        await workflow.wait_condition(lambda: self.intake_answered or self.cancel_requested)
        if self.view.problems:
            told = ("no email could be sent without a valid address"
                    if self.view.timeline[-1].kind == "message_skipped" else "the list was emailed to the customer")
            return self.result(f"Order {self.view.order_id} is incomplete: {len(self.view.problems)} problem(s) "
                               f"to fix ({told})")
        return self.result(f"Order {self.view.order_id} accepted; the confirmation is on its way")

    # ---- step 1: completing the form ----

    @workflow.update
    async def complete_form(self, completion: FormCompletion) -> ActionResult:
        check = await self.check_form(completion.form)
        if self.view.status is not OrderStatus.incomplete:
            return self.result(f"The form arrived after the order became {self.view.status.value}; nothing changed")
        form = completion.form.model_copy(update={"order_id": self.view.order_id})
        self.form = form
        self.view.customer, self.view.shipping_address, self.view.notes = (form.customer, form.shipping_address,
                                                                           form.notes)
        self.view.problems = check.problems
        self.check = check
        if check.complete:
            self.record("form_completed", "The missing details arrived; the form is complete")
            return self.result("Form complete; the order is being confirmed")
        self.record("form_resubmitted", f"Form resubmitted, still {len(check.problems)} problem(s): "
                                        + ", ".join(p.field for p in check.problems))
        await self.save_from_handler()
        return self.result(f"The form still has {len(check.problems)} problem(s)")

    @complete_form.validator
    def _check_complete_form(self, completion: FormCompletion) -> None:
        if self.view.status is OrderStatus.received:
            raise refuse(f"Order {self.view.order_id} is still being checked; try again in a moment")
        if self.view.status is not OrderStatus.incomplete:
            raise refuse(f"Order {self.view.order_id} is {self.view.status.value}; its form is no longer open")
        if completion.form.order_id not in (None, self.view.order_id):
            raise refuse(f"This form is for order {completion.form.order_id}, not {self.view.order_id}")

    # ---- step 4: work orders ----

    @workflow.update
    async def acknowledge(self, ack: Acknowledgement) -> ActionResult:
        if ack.department in self.view.acknowledged:
            when = self.view.acknowledged[ack.department]
            return self.result(f"{ack.department} had already acknowledged this work order at {when:%Y-%m-%d %H:%M} UTC")
        self.view.acknowledged[ack.department] = workflow.now()
        self.record("acknowledged", f"Work order acknowledged by {ack.department}" + (f" ({ack.by})" if ack.by else ""),
                    department=ack.department)
        await self.save_from_handler()
        return self.result(f"Work order acknowledged by {ack.department}")

    @acknowledge.validator
    def _check_acknowledge(self, ack: Acknowledgement) -> None:
        self.require_not_closed("acknowledge a work order for")
        if not self.view.work_orders:
            raise refuse(f"No work orders have been sent for order {self.view.order_id} yet "
                         f"(it is {self.view.status.value})")
        if ack.department not in self.view.work_orders:
            raise refuse(f"Unknown department {ack.department!r} for order {self.view.order_id}; its work orders "
                         f"went to: {', '.join(self.view.work_orders)}")

    # ---- step 5: delays, shipping, delivery ----

    @workflow.update
    async def report_delay(self, delay: DelayReport) -> ActionResult:
        previous = self.view.expected_fulfillment_date
        self.view.expected_fulfillment_date = delay.new_date
        self.date_changed = True
        text = f"Delayed to {delay.new_date} (was {previous}): {delay.reason}"
        if self.lean:
            self.set_status(OrderStatus.delayed, text, self.expected_date())
        else:
            self.set_status(OrderStatus.delayed, text)
            self.publish_expected_date()
        change = dict(revision=delay.new_date.isoformat(), date=delay.new_date.isoformat(),
                      previous_date=previous.isoformat(), reason=delay.reason)
        await self.tell(CUSTOMER, MessageKind.delay_notice, **change)
        await self.tell_all(self.view.work_orders, MessageKind.work_order_change, **change)
        await self.save_from_handler()
        return self.result(f"Delay recorded; the customer and {len(self.view.work_orders)} department(s) were told "
                           f"the new date {delay.new_date}")

    @report_delay.validator
    def _check_report_delay(self, delay: DelayReport) -> None:
        self.require_open_for_fulfillment("report a delay on")
        today, current = self.today(), self.view.expected_fulfillment_date
        if delay.new_date <= today:
            raise refuse(f"The new date {delay.new_date} is not in the future (today is {today})")
        if delay.new_date <= current:
            raise refuse(f"That is not a delay: order {self.view.order_id} is already expected by {current}")
        if delay.new_date > today + MAX_DELAY:
            raise refuse(f"The new date {delay.new_date} is more than {MAX_DELAY.days} days away; an order that "
                         "late should be discussed with the customer (or cancelled), not silently pushed back")

    @workflow.update
    async def mark_shipped(self, shipment: Shipment) -> ActionResult:
        self.view.shipment = shipment.model_copy(update={"shipped_at": workflow.now()})
        self.set_status(OrderStatus.shipped, f"Shipped with {shipment.carrier}, tracking {shipment.tracking_number}, "
                                             f"expected delivery {shipment.expected_delivery_date}")
        return self.result("Shipment recorded; the customer is being sent the shipping notice")

    @mark_shipped.validator
    def _check_mark_shipped(self, shipment: Shipment) -> None:
        if self.view.shipment is not None:
            s = self.view.shipment
            raise refuse(f"Order {self.view.order_id} already shipped on {s.shipped_at:%Y-%m-%d} with {s.carrier} "
                         f"(tracking {s.tracking_number})")
        self.require_open_for_fulfillment("ship")
        if shipment.expected_delivery_date < self.today():
            raise refuse(f"The expected delivery date {shipment.expected_delivery_date} is in the past "
                         f"(today is {self.today()})")
        if shipment.expected_delivery_date > self.today() + MAX_TRANSIT:
            raise refuse(f"The expected delivery date {shipment.expected_delivery_date} is more than "
                         f"{MAX_TRANSIT.days} days away; check the date")

    @workflow.update
    async def correct_shipment(self, correction: ShipmentCorrection) -> ActionResult:
        """Tracking or the delivery date changed after the shipping notice: the customer gets the notice again as a
        new revision of its key, saying what changed (never silence, never a duplicate)."""
        first_notice = f"{self.view.order_id}/shipping_notice/customer/1"
        await workflow.wait_condition(lambda: any(e.data.get("key") == first_notice for e in self.view.timeline))
        changes = correction.changes_to(self.view.shipment)
        if not changes:
            return self.result("Nothing changed: the shipment already has these details")
        self.view.shipment = self.view.shipment.model_copy(update={name: now for name, (_, now) in changes.items()})
        revision = 2 + sum(e.kind == "shipment_corrected" for e in self.view.timeline)
        described = [{"label": SHIPMENT_LABELS[name], "was": _shown(was), "now": _shown(now)}
                     for name, (was, now) in changes.items()]
        self.record("shipment_corrected", "Shipping details corrected: " + "; ".join(
            f"{c['label']} {c['now']} (was {c['was']})" for c in described), revision=revision)
        await self.tell(CUSTOMER, MessageKind.shipping_notice, revision=str(revision), changes=described,
                        reason=correction.reason)
        await self.save_from_handler()
        return self.result(f"Shipping details corrected ({', '.join(c['label'].lower() for c in described)}); "
                           "the customer is being told what changed")

    @correct_shipment.validator
    def _check_correct_shipment(self, correction: ShipmentCorrection) -> None:
        shipment = self.view.shipment
        if shipment is None:
            raise refuse(f"Order {self.view.order_id} has not shipped (it is {self.view.status.value}): there are "
                         "no shipping details to correct")
        if self.view.delivered_at is not None or self.view.status is not OrderStatus.shipped:
            raise refuse(f"Order {self.view.order_id} is {self.view.status.value}: shipping details can only be "
                         "corrected while it is on its way")
        changes = correction.changes_to(shipment)
        if not changes:
            raise refuse(f"Nothing to correct: order {self.view.order_id} already ships with {shipment.carrier}, "
                         f"tracking {shipment.tracking_number}, delivery expected {shipment.expected_delivery_date}")
        if "tracking_number" in changes and shipment.tracking_url and "tracking_url" not in changes:
            raise refuse("The tracking number changes but the tracking link still points to the old one; "
                         "give the new tracking link too")
        new_date = correction.expected_delivery_date
        if "expected_delivery_date" in changes and new_date < self.today():
            raise refuse(f"The expected delivery date {new_date} is in the past (today is {self.today()})")
        if "expected_delivery_date" in changes and new_date > self.today() + MAX_TRANSIT:
            raise refuse(f"The expected delivery date {new_date} is more than {MAX_TRANSIT.days} days away; "
                         "check the date")

    @workflow.update
    async def mark_delivered(self) -> ActionResult:
        self.view.delivered_at = workflow.now()
        self.set_status(OrderStatus.delivered, "Delivered to the customer")
        await self.save_from_handler()
        return self.result("Delivery recorded; feedback will be requested after the policy's delay")

    @mark_delivered.validator
    def _check_mark_delivered(self) -> None:
        if self.view.delivered_at is not None:
            raise refuse(f"Order {self.view.order_id} was already delivered on {self.view.delivered_at:%Y-%m-%d}")
        if self.view.status is not OrderStatus.shipped:
            raise refuse(f"Order {self.view.order_id} cannot be marked delivered: it is {self.view.status.value}, "
                         "and only a shipped order can be delivered")

    # ---- step 6: feedback ----

    @workflow.update
    async def submit_feedback(self, feedback: FeedbackEntry) -> ActionResult:
        self.view.feedback = feedback.model_copy(update={"received_at": workflow.now()})
        self.record("feedback", f"Feedback received: {feedback.rating}/5", rating=feedback.rating)
        await self.save_from_handler()
        return self.result("Thank you: feedback recorded")

    @submit_feedback.validator
    def _check_submit_feedback(self, feedback: FeedbackEntry) -> None:
        if self.view.feedback is not None:
            raise refuse(f"Feedback for order {self.view.order_id} was already received")
        if self.view.status is not OrderStatus.delivered:
            raise refuse(f"Order {self.view.order_id} is {self.view.status.value}; feedback is taken after delivery")

    # ---- any time before shipping ----

    @workflow.update
    async def cancel(self, cancellation: Cancellation) -> ActionResult:
        self.cancel_requested = True
        self.view.cancel_reason = cancellation.reason
        self.record("cancel_requested", f"Cancellation requested: {cancellation.reason}")
        return self.result("Cancellation accepted; the customer and every department are being told")

    @cancel.validator
    def _check_cancel(self, cancellation: Cancellation) -> None:
        if self.cancel_requested:
            raise refuse(f"Order {self.view.order_id} is already cancelled")
        self.require_not_closed("cancel")
        if self.view.shipment is not None or self.view.status in (OrderStatus.shipped, OrderStatus.delivered):
            raise refuse(f"Order {self.view.order_id} has already shipped and can no longer be cancelled; "
                         "arrange a return instead")

    # ---- helpers ----

    def result(self, message: str) -> ActionResult:
        return ActionResult(order_id=self.view.order_id, status=self.view.status, message=message,
                            problems=self.view.problems)

    def require_not_closed(self, action: str) -> None:
        if self.cancel_requested or self.view.status in CLOSED:
            state = "cancelled" if self.cancel_requested else self.view.status.value
            raise refuse(f"Cannot {action} order {self.view.order_id}: it is {state}")

    def require_open_for_fulfillment(self, action: str) -> None:
        self.require_not_closed(action)
        if self.view.status in NOT_YET_CONFIRMED:
            detail = ("its form is incomplete; it must be completed and confirmed first"
                      if self.view.status is OrderStatus.incomplete else "it has not been confirmed yet")
            raise refuse(f"Cannot {action} order {self.view.order_id}: {detail}")
        if not self.view.status.is_open_for_fulfillment:
            raise refuse(f"Cannot {action} order {self.view.order_id}: it is {self.view.status.value}")


def _shown(value) -> str:  # noqa: ANN001
    """A shipping detail as the customer reads it: dates in words, a missing link as "none"."""
    if value is None:
        return "none"
    if hasattr(value, "strftime"):
        return f"{value:%A}, {value.day} {value:%B %Y}"
    return str(value)
