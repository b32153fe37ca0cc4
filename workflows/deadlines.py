"""The order's deadlines, a part of the order workflow, watched by one timer while anything is still to ship:

- **Acknowledgement reminder**: the departments that have not acknowledged their work order within the policy's
  time are reminded, once.
- **At risk**: `at_risk_days` business days before a part's date its department has not acknowledged, or, after
  its hand-over date, its manufacturer has not reported it ready. Staff are alerted once per part and date, so the
  business can act before the customer is let down.
- **Late**: a part's date passed (plus grace) with its lines not shipped. The customer hears once per missed date
  (an honest "running late" notice naming the late items when the order has several parts); staff are alerted,
  and again every `delay_recheck` until the part ships or a delay gives it a new date.

The fulfilment loop sleeps until the nearest of these moments (`next_deadline`) and `on_deadline` handles whatever
is due then. The moments themselves are pure functions of the state, the policy and the company's calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import business_days_before
    from models.messages import CUSTOMER, STAFF, MessageKind
    from models.order import OrderStatus
    from models.parts import Part

FAR_AWAY = timedelta(days=3650)


class Deadlines:
    """Deadlines of `OrderWorkflow` (its state, policy, clock, holidays and notifier are the workflow's)."""

    def next_deadline(self) -> datetime:
        """The nearest deadline: the acknowledgement reminder, and each part not yet shipped's."""
        moments = [self.late_check(p) for p in self.state.dated_parts()]
        moments += [m for p in self.state.dated_parts() for m in self.at_risk_checks(p)]
        for reminder in (self.reminder_due(), self.deposit_reminder_due()):
            if reminder is not None:
                moments.append(reminder)
        return min(moments, default=workflow.now() + FAR_AWAY)

    def reminder_due(self) -> datetime | None:
        state = self.state
        if state.acknowledgement_reminded or not state.pending_acknowledgements or state.work_orders_sent_at is None:
            return None
        return state.work_orders_sent_at + self.policy.acknowledgement_reminder

    def late_check(self, part: Part) -> datetime:
        """The end of the part's date (plus grace), or the next re-check of a part already late."""
        due = part.expected_fulfillment_date
        if part.late_for == due:
            return part.last_late_alert_at + self.policy.delay_recheck
        return self.clock.end_of(due) + self.policy.delay_grace

    def at_risk_checks(self, part: Part) -> list[datetime]:
        """The moments still to check whether the part is at risk: `at_risk_days` business days before its date (but
        not before the acknowledgement reminder's time has passed), and the end of its hand-over date (a
        manufacturer's part)."""
        due = part.expected_fulfillment_date
        if part.at_risk_for == due:
            return []
        warning = business_days_before(due, self.policy.at_risk_days, self.holidays)
        moments = [self.clock.end_of(warning - timedelta(days=1))]  # the start of that day
        if (sent := self.state.work_orders_sent_at) is not None:  # never before a department had time to answer
            moments[0] = max(moments[0], sent + self.policy.acknowledgement_reminder)
        if part.handover_date is not None and part.ready_at is None:
            moments.append(self.clock.end_of(part.handover_date))
        checked = part.at_risk_checked_at
        return [m for m in moments if checked is None or m > checked]

    def handover_before(self, due: date) -> date:
        """When a manufacturer's part must be at the warehouse for the customer's date `due`."""
        return business_days_before(due, self.policy.warehouse_handling_days, self.holidays)

    async def on_deadline(self) -> None:
        now = workflow.now()
        if (reminder := self.reminder_due()) is not None and reminder <= now:
            await self.remind_unacknowledged()
        if (deposit := self.deposit_reminder_due()) is not None and deposit <= now:
            await self.remind_deposit()  # deposit.py
        parts = self.state.dated_parts()
        for part in parts:
            if any(moment <= now for moment in self.at_risk_checks(part)):
                await self.check_at_risk(part, now)
        late = [p for p in parts if self.late_check(p) <= now]
        if late:
            await self.tell_late(late)

    async def remind_unacknowledged(self) -> None:
        """No acknowledgement within the policy's time: remind the departments that have not acknowledged."""
        state = self.state
        state.acknowledgement_reminded = True
        sent_ago = (workflow.now() - state.work_orders_sent_at).total_seconds()
        await self.notifier.tell_all(state.pending_acknowledgements, MessageKind.work_order_reminder,
                                     sent_ago=sent_ago)

    async def check_at_risk(self, part: Part, now: datetime) -> None:
        part.at_risk_checked_at = now
        reasons = {}  # code -> in words, for the timeline (the alert's template says them in its language)
        if part.department not in self.state.view.acknowledged:
            reasons["not_acknowledged"] = "its work order has not been acknowledged"
        if part.handover_date is not None and part.ready_at is None and self.clock.today() > part.handover_date:
            reasons["not_ready"] = f"it was due at the warehouse on {part.handover_date} and is not reported ready"
        if not reasons:
            return
        due = part.expected_fulfillment_date
        part.at_risk_for = due
        because = " and ".join(reasons.values())
        self.state.record("at_risk", f"At risk: {self.state.part_label(part)}, due {due}: {because}",
                          department=part.department, date=due.isoformat())
        await self.notifier.tell(STAFF, MessageKind.at_risk_alert, revision=f"{part.department}.{due.isoformat()}",
                                 date=due.isoformat(), department=part.department, reasons=list(reasons),
                                 departments=[part.department],
                                 handover_date=part.handover_date.isoformat() if part.handover_date else None)

    async def tell_late(self, parts: list[Part]) -> None:
        """Promised dates passed with nothing shipped: tell the customer (once per part and date), alert staff."""
        state = self.state
        newly_late = [p for p in parts if p.late_for != p.expected_fulfillment_date]
        for part in newly_late:
            part.late_for, part.late_alerts = part.expected_fulfillment_date, 0
        state.refresh()
        if newly_late:
            due = newly_late[0].expected_fulfillment_date
            text = f"Late: expected by {due} and not shipped"
            if state.in_one_part:
                self.set_status_unless_shipped(OrderStatus.delayed, text)
                await self.notifier.tell(CUSTOMER, MessageKind.late_notice, revision=due.isoformat(),
                                         date=due.isoformat())
            else:
                self.set_status_unless_shipped(OrderStatus.delayed, f"{text} ({state.parts_label(newly_late)})")
                await self.notifier.tell(CUSTOMER, MessageKind.late_notice, revision="+".join(
                    f"{p.department}.{p.expected_fulfillment_date.isoformat()}" for p in newly_late),
                    date=due.isoformat(), departments=[p.department for p in newly_late])
        for part in parts:
            await self.alert_late(part)

    async def alert_late(self, part: Part) -> None:
        part.late_alerts += 1
        part.last_late_alert_at = workflow.now()
        due = part.expected_fulfillment_date
        alert = "first alert" if part.late_alerts == 1 else f"still not shipped, alert {part.late_alerts}"
        revision = f"{due.isoformat()}.{part.late_alerts}"
        extra = {}
        if not self.state.in_one_part:
            revision, extra = f"{part.department}.{revision}", {"departments": [part.department]}
        await self.notifier.tell(STAFF, MessageKind.late_alert, revision=revision, date=due.isoformat(), alert=alert,
                                 acknowledged=", ".join(sorted(self.state.view.acknowledged)), **extra)
