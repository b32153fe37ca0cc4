"""The order workflow: one durable workflow per order, from the submitted form to the customer's feedback.

`run` is the business process, one step a line; each step is a method just below it. Staff and customer actions
arrive as updates (see `workflows/actions.py`), and every step and action writes the order's timeline through
`record`, from which the status query and the read model are fed.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import ACCOUNTS_RECEIVABLE, CUSTOMER_SERVICE, WAREHOUSE
    from models.messages import CUSTOMER, STAFF, MessageKind
    from models.order import OrderStart, OrderStatus, OrderView

from .actions import OrderActions
from .state import FormExpired, OrderCancelled


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow(OrderActions):
    @workflow.init
    def __init__(self, start: OrderStart) -> None:
        super().__init__(start)

    @workflow.run
    async def run(self, start: OrderStart) -> OrderView:
        self.lean  # noqa: B018 (decided in the first workflow task, see OrderState.lean)
        try:
            await self.until_form_complete()          # 1. standardized form; incomplete ones go back
            await self.record_order()                 # 2. read model, expected fulfillment date
            await self.confirm_to_customer()          # 3. details, date, contact information
            await self.send_work_orders()             # 4. warehouse, accounts receivable, manufacturers
            await self.until_shipped()                # 5. acknowledgements, delays, the lateness timer
            await self.tell_customer_shipped()        # 5. carrier, tracking, expected delivery
            await self.until_delivered()
            await self.ask_for_feedback()             # 6. survey or call task, one reminder
        except FormExpired:
            await self.close_expired()
        except OrderCancelled:
            await self.close_cancelled()
        await self.finish_background_work()
        return self.view

    # ---- 1. the standardized form ----

    async def until_form_complete(self) -> None:
        self.check = await self.check_form(self.form)
        if self.check.complete:
            self.intake_answered = True
            return
        deadline = workflow.now() + self.policy.completion_expiry
        self.show_problems(self.check.problems)
        await self.tell_submitter(MessageKind.form_incomplete, date=self.local_date(deadline).isoformat())
        self.intake_answered = True
        await self.save()
        if await self.wait_until(lambda: self.check.complete, self.policy.completion_reminder):
            return
        await self.tell_submitter(MessageKind.form_reminder, date=self.local_date(deadline).isoformat())
        await self.save()
        if not await self.wait_until(lambda: self.check.complete, deadline - workflow.now()):
            raise FormExpired()

    # ---- 2. record the order and promise a date ----

    async def record_order(self) -> None:
        self.stop_if_cancelled()
        self.accept(self.check)
        self.record("accepted", f"Order accepted: {len(self.view.lines)} line(s), total "
                                f"{self.view.total:.2f} {self.view.currency}; expected fulfillment date "
                                f"{self.view.expected_fulfillment_date}",
                    expected_fulfillment_date=self.view.expected_fulfillment_date.isoformat())
        if not self.lean:
            self.publish_expected_date()  # lean orders publish it with their status, once confirmed

    # ---- 3. confirm ----

    async def confirm_to_customer(self) -> None:
        self.stop_if_cancelled()
        await self.tell(CUSTOMER, MessageKind.order_confirmation)
        self.set_status(OrderStatus.confirmed, "Order confirmed to the customer",
                        *([self.expected_date()] if self.lean else []))
        await self.save()

    # ---- 4. work orders ----

    async def send_work_orders(self) -> None:
        self.stop_if_cancelled()
        makers = sorted({line.fulfiller for line in self.view.lines if line.fulfiller != WAREHOUSE})
        self.view.work_orders = [WAREHOUSE, ACCOUNTS_RECEIVABLE, *makers]
        await self.tell_all(self.view.work_orders, MessageKind.work_order)
        self.work_orders_sent_at = workflow.now()
        self.start_background(self.remind_unacknowledged())
        await self.save()

    async def remind_unacknowledged(self) -> None:
        """No acknowledgement within the policy's time: remind the departments that have not acknowledged."""
        if await self.wait_until(self.acknowledged_or_moved_on, self.policy.acknowledgement_reminder,
                                 cancellable=False):
            return
        pending = [d for d in self.view.work_orders if d not in self.view.acknowledged]
        sent_ago = (workflow.now() - self.work_orders_sent_at).total_seconds()
        await self.tell_all(pending, MessageKind.work_order_reminder, sent_ago=sent_ago)
        await self.save()

    # ---- 5. fulfilment, with honest delays ----

    async def until_shipped(self) -> None:
        while True:
            if await self.wait_until(self.shipped_or_new_date, self.lateness_check_at() - workflow.now()):
                if self.view.shipment is not None:
                    return
                self.date_changed = False
                continue
            await self.tell_lateness()

    def lateness_check_at(self):
        """The end of the expected fulfillment date (plus grace), or the next re-check of an order already late."""
        due = self.view.expected_fulfillment_date
        if self.late_for == due:
            return self.last_late_alert_at + self.policy.delay_recheck
        return self.end_of(due) + self.policy.delay_grace

    async def tell_lateness(self) -> None:
        """The promised date passed with nothing shipped: tell the customer (once per date) and alert staff."""
        due = self.view.expected_fulfillment_date
        if self.late_for != due:
            self.late_for, self.late_alerts = due, 0
            self.set_status(OrderStatus.delayed, f"Late: expected by {due} and not shipped")
            await self.tell(CUSTOMER, MessageKind.late_notice, revision=due.isoformat(), date=due.isoformat())
        self.late_alerts += 1
        self.last_late_alert_at = workflow.now()
        alert = "first alert" if self.late_alerts == 1 else f"still not shipped, alert {self.late_alerts}"
        await self.tell(STAFF, MessageKind.late_alert, revision=f"{due.isoformat()}.{self.late_alerts}",
                        date=due.isoformat(), alert=alert,
                        acknowledged=", ".join(sorted(self.view.acknowledged)))
        await self.save()

    async def tell_customer_shipped(self) -> None:
        await self.tell(CUSTOMER, MessageKind.shipping_notice)
        await self.save()

    async def until_delivered(self) -> None:
        await self.wait_until(lambda: self.view.delivered_at is not None)

    # ---- 6. feedback ----

    async def ask_for_feedback(self) -> None:
        has_feedback = self.has_feedback
        if not await self.wait_until(has_feedback, self.policy.feedback_delay):
            by_call = self.view.total >= self.policy.feedback_call_threshold
            ask = self.ask_by_call if by_call else self.ask_by_survey
            await ask(reminder=False)
            await self.save()
            if not await self.wait_until(has_feedback, self.policy.feedback_reminder):
                await ask(reminder=True)
                await self.save()
                await self.wait_until(has_feedback, self.policy.feedback_reminder)
        outcome = "Order completed with the customer's feedback" if has_feedback() else "Order completed without feedback"
        self.set_status(OrderStatus.completed, outcome)
        await self.save()

    async def ask_by_survey(self, reminder: bool) -> None:
        kind = MessageKind.feedback_reminder if reminder else MessageKind.feedback_request
        await self.tell(CUSTOMER, kind)

    async def ask_by_call(self, reminder: bool) -> None:
        await self.tell(CUSTOMER_SERVICE, MessageKind.feedback_call, revision="2" if reminder else "1",
                        reminder=reminder)

    # ---- the ways out ----

    async def close_expired(self) -> None:
        self.set_status(OrderStatus.expired, "Closed: the form was not completed in time")
        await self.tell_submitter(MessageKind.form_expired)
        await self.save()

    async def close_cancelled(self) -> None:
        self.set_status(OrderStatus.cancelled, f"Cancelled: {self.view.cancel_reason}")
        await self.tell_submitter(MessageKind.cancellation_notice)
        await self.tell_all(self.view.work_orders, MessageKind.work_order_cancelled)
        await self.save()

