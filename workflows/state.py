"""The order's state inside the workflow, and the small helpers every step uses.

`record` is the one way anything enters the timeline; `save` hands the new timeline events and the current view to
the read model; `tell` sends a notice through the message activity, at most once per key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from zoneinfo import ZoneInfo

    from activities.form_check import FormChecks
    from activities.notice_sending import NoticeSender
    from activities.read_model_writes import ReadModelWrites
    from models.messages import CUSTOMER, MessageKind, Notice
    from models.order import (FieldProblem, FormCheck, FormCheckRequest, OrderForm, OrderSnapshot, OrderStart,
                              OrderStatus, OrderView, TimelineEvent)

from .search_attributes import EXPECTED_FULFILLMENT_DATE, ORDER_STATUS

LEAN_HISTORY = "lean-history"  # the patch new orders take: see OrderState.lean

CHECK_OPTIONS = dict(start_to_close_timeout=timedelta(seconds=30),
                     retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=10))
SEND_OPTIONS = dict(start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1),
                                             maximum_interval=timedelta(minutes=5), maximum_attempts=30))
SAVE_OPTIONS = dict(start_to_close_timeout=timedelta(seconds=30), schedule_to_close_timeout=timedelta(hours=1),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)))


class OrderCancelled(Exception):
    """Raised inside the workflow when a step finds the order cancelled; `run` closes the order."""


class FormExpired(Exception):
    """Raised when an incomplete form was not completed within the policy's time."""


class OrderState:
    def __init__(self, start: OrderStart) -> None:
        form = start.form
        self.policy = start.policy
        self.tz = ZoneInfo(start.timezone)  # allowed by workflows/sandbox.py
        self.form: OrderForm = form
        self.check: FormCheck | None = None
        self.view = OrderView(order_id=start.order_id, status=OrderStatus.received, channel=form.channel,
                              customer=form.customer, shipping_address=form.shipping_address, notes=form.notes,
                              received_at=workflow.now())
        self.cancel_requested = False
        self.date_changed = False
        self.late_for: date | None = None
        self.late_alerts = 0
        self.last_late_alert_at = self.view.received_at
        self.work_orders_sent_at = self.view.received_at
        self.saved_seq = 0
        self.intake_calls = 0
        self.intake_answered = False
        self.background: list[asyncio.Task] = []
        self.save_lock = asyncio.Lock()
        self.record("received", f"Order received by {form.channel.value}")

    # ---- the timeline and the status ----

    def record(self, kind: str, text: str, **data: Any) -> None:
        self.view.timeline.append(TimelineEvent(seq=len(self.view.timeline) + 1, at=workflow.now(), kind=kind,
                                                text=text, data=data))

    @property
    def lean(self) -> bool:
        """Orders started since `LEAN_HISTORY` record one patch marker instead of two and upsert the expected date
        together with a status: each patch marker and each upsert is an event, and each upsert a write to the
        server's visibility store. `run` asks first, so the marker lands in the order's first workflow task; older
        histories, which have no such marker, keep taking their old branches (including their own patches)."""
        return workflow.patched(LEAN_HISTORY)

    def set_status(self, status: OrderStatus, text: str, *also: SearchAttributeUpdate) -> None:
        self.view.status = status
        self.record(f"status:{status.value}", text)
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value), *also])
        workflow.set_current_details(f"**{status.value}**: {text}")

    def expected_date(self) -> SearchAttributeUpdate:
        due = self.view.expected_fulfillment_date
        return EXPECTED_FULFILLMENT_DATE.value_set(datetime.combine(due, time(), self.tz))

    def publish_expected_date(self) -> None:
        workflow.upsert_search_attributes([self.expected_date()])

    def show_problems(self, problems: list[FieldProblem]) -> None:
        self.view.problems = problems
        fields = ", ".join(p.field for p in problems)
        self.set_status(OrderStatus.incomplete, f"Form incomplete, {len(problems)} problem(s): {fields}")

    def accept(self, check: FormCheck) -> None:
        """Take a complete form's checked lines and promised date into the order."""
        self.view.problems = []
        self.view.lines = check.lines
        self.view.currency = check.currency
        self.view.expected_fulfillment_date = check.expected_fulfillment_date
        self.view.original_fulfillment_date = check.expected_fulfillment_date

    async def save(self) -> None:
        """Write the view and the new timeline events to the read model (a local activity, idempotent).

        Saves run one at a time, each with the state as it is when its turn comes: an update handler and the main
        process saving at once could otherwise commit in either order and leave an older status in the read model.
        If the database stays unreachable past the retries, the events stay pending for the next save:
        the workflow, not the database, is the source of truth, and a read-model outage never fails an order.
        """
        if not (self.lean or workflow.patched("one-save-at-a-time")):
            return await self.save_now()
        async with self.save_lock:
            await self.save_now()

    async def save_from_handler(self) -> None:
        """How update handlers save: the save runs in the background and the handler returns at once.

        A local activity awaited inside an update handler completes at a moment that depends on timing, while the
        main process may be issuing its own commands; on replay the local activity resolves at once, so the update's
        completion could land in another place among those commands and the history would no longer replay (seen
        after a Temporal server restart). Not waiting for the save keeps each update's completion in one place.
        """
        if self.lean or workflow.patched("handlers-do-not-wait-for-saves"):
            self.start_background(self.save())
        else:
            await self.save()

    async def save_now(self) -> None:
        events = self.view.timeline[self.saved_seq:]
        snapshot = OrderSnapshot(view=self.view.model_copy(update={"timeline": []}), events=events)
        try:
            await workflow.execute_local_activity_method(ReadModelWrites.save_order, snapshot, **SAVE_OPTIONS)
        except ActivityError as e:
            workflow.logger.warning("read model not updated for order %s: %s", self.view.order_id, e.cause)
            return
        if events:
            self.saved_seq = max(self.saved_seq, events[-1].seq)

    # ---- messages ----

    async def tell(self, to: str, kind: MessageKind, revision: str = "1", **extra: Any) -> bool:
        """Send a notice; a message that cannot be sent is recorded and alerts nobody's order into failure."""
        notice = Notice(kind=kind, to=to, revision=revision, extra=extra,
                        order=self.view.model_copy(update={"timeline": []}))
        try:
            receipt = await workflow.execute_activity_method(NoticeSender.send_notice, notice, **SEND_OPTIONS)
        except ActivityError as e:
            self.record("message_failed", f"Could not send {kind.value} to {to}: {e.cause}", key=notice.key)
            return False
        if receipt.status == "failed":  # logged by the activity, staff alerted; the order goes on
            self.record("message_failed", f"Could not deliver {kind.value.replace('_', ' ')} to {to}: "
                                          f"{receipt.error}", key=notice.key, message_kind=kind.value, to=to)
            return False
        self.record("message", f"Sent {kind.value.replace('_', ' ')} to {to} ({receipt.recipient})",
                    key=notice.key, message_kind=kind.value, to=to)
        return True

    async def tell_all(self, recipients: Iterable[str], kind: MessageKind, **extra: Any) -> None:
        await asyncio.gather(*(self.tell(to, kind, **extra) for to in recipients))

    async def tell_submitter(self, kind: MessageKind, **extra: Any) -> None:
        if any(p.field == "customer.email" for p in self.view.problems) or not self.view.customer.email:
            self.record("message_skipped", f"No {kind.value.replace('_', ' ')} sent: the form has no valid email "
                                           "address; the submitter sees the problems in the response")
            return
        await self.tell(CUSTOMER, kind, **extra)

    # ---- form checks ----

    async def check_form(self, form: OrderForm) -> FormCheck:
        request = FormCheckRequest(form=form, as_of=workflow.now())
        return await workflow.execute_activity_method(FormChecks.check_order_form, request, **CHECK_OPTIONS)

    # ---- waiting ----

    async def wait_until(self, condition: Callable[[], bool], timeout: timedelta | None = None,
                         cancellable: bool = True) -> bool:
        """Wait for `condition` up to `timeout`; False on timeout. Raises OrderCancelled when the order is cancelled."""
        stop = (lambda: condition() or self.cancel_requested) if cancellable else condition
        if timeout is not None and timeout <= timedelta(0):
            done = stop()
        else:
            try:
                await workflow.wait_condition(stop, timeout=timeout)
                done = True
            except asyncio.TimeoutError:
                done = False
        if cancellable:
            self.stop_if_cancelled()
        return done and condition()

    def stop_if_cancelled(self) -> None:
        if self.cancel_requested:
            raise OrderCancelled()

    # ---- what the steps wait for ----

    def acknowledged_or_moved_on(self) -> bool:
        everyone = all(d in self.view.acknowledged for d in self.view.work_orders)
        return everyone or not self.view.status.is_open_for_fulfillment

    def shipped_or_new_date(self) -> bool:
        return self.view.shipment is not None or self.date_changed

    def has_feedback(self) -> bool:
        return self.view.feedback is not None

    def start_background(self, work: Awaitable[None]) -> None:
        self.background.append(asyncio.ensure_future(work))

    async def finish_background_work(self) -> None:
        """Wait for the reminders, the handlers and the saves they started, so the last state reaches the read model."""
        await asyncio.gather(*self.background)
        await workflow.wait_condition(workflow.all_handlers_finished)
        while pending := [task for task in self.background if not task.done()]:
            await asyncio.gather(*pending)

    # ---- dates in the company's timezone ----

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def today(self) -> date:
        return self.local_date(workflow.now())

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(), self.tz)
