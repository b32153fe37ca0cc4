"""The deposit, a part of the order workflow: when the policy asks for one (`deposit_percent`), the made-to-order
parts wait for it before their manufacturers hear of them.

- `ask_deposit` (at acceptance): the deposit is `deposit_percent` of the made-to-order lines' value, to the
  centavo; those parts are held (`Part.awaiting_deposit`): no work order, no lateness, their dates not yet counted.
  The confirmation says the deposit, by when, how to pay, and that those dates count from the deposit.
- `release_held_parts` (once the order's payments reach the deposit): each held part is dated from the deposit day
  with its lead time in business days (as at acceptance), its manufacturer gets the work order, and the customer
  is told the dates.
- `remind_deposit` (the policy's `deposit_deadline` after the confirmation, the deposit not in): the customer is
  reminded once and accounts receivable alerted.
- `reprice_deposit` (a correction while the deposit is awaited): the deposit of the corrected lines; a maker's part
  stays held.

Behind the `deposit-before-making` patch, asked only when a deposit is due: orders without one (every order started
before, whose policy has no deposit) make the same commands as ever.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import business_days_after
    from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
    from models.messages import CUSTOMER, MessageKind
    from models.money import amount_text
    from models.parts import Part

DEPOSIT_PATCH = "deposit-before-making"


class Deposit:
    """The deposit of `OrderWorkflow` (its state, policy, clock, holidays and notifier are the workflow's)."""

    def ask_deposit(self) -> None:
        """At acceptance: hold the made-to-order parts for the policy's deposit, if it asks for one."""
        state, view = self.state, self.state.view
        percent = self.policy.deposit_percent
        made = [p for p in view.parts if p.made_by_manufacturer]
        if percent <= 0 or not made or not workflow.patched(DEPOSIT_PATCH):
            return
        view.deposit_due = self.deposit_of_lines()
        if view.deposit_due <= 0:
            return
        for part in made:
            part.awaiting_deposit = True
        state.deposit_asked_at = workflow.now()
        state.record("deposit_due", f"Deposit of {amount_text(view.deposit_due, view.currency)} ({percent}% of the "
                     f"made-to-order lines) due by {self.deposit_deadline():%Y-%m-%d}: {state.parts_label(made)} "
                     "wait for it", amount=str(view.deposit_due))

    def deposit_of_lines(self) -> Decimal:
        """The policy's percent of the made-to-order lines' value, to the centavo (half up)."""
        view = self.state.view
        value = sum((line.total for line in view.lines if line.fulfiller != WAREHOUSE), Decimal("0"))
        return (value * self.policy.deposit_percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def reprice_deposit(self) -> None:
        """A correction while the deposit is awaited: the deposit of the corrected lines; a maker's part not yet sent
        its work order (a new one too) waits for it."""
        state, view = self.state, self.state.view
        if state.deposit_asked_at is None or view.deposit_received_at is not None:
            return
        for part in view.parts:
            part.awaiting_deposit = part.made_by_manufacturer and part.department not in view.work_orders
        before, view.deposit_due = view.deposit_due, self.deposit_of_lines()
        if view.deposit_due != before:
            state.record("deposit_due", f"Deposit now {amount_text(view.deposit_due, view.currency)} (was "
                         f"{amount_text(before, view.currency)}) for the corrected order", amount=str(view.deposit_due))

    def deposit_extra(self) -> dict[str, str]:
        """What the confirmation says of the deposit (nothing when none is due)."""
        if not self.state.held_parts():
            return {}
        return {"deposit_by": self.clock.local_date(self.deposit_deadline()).isoformat(),
                "deposit_percent": str(self.policy.deposit_percent)}

    def deposit_deadline(self) -> datetime:
        return self.state.deposit_asked_at + self.policy.deposit_deadline

    def deposit_reminder_due(self) -> datetime | None:
        """The deposit deadline, while the deposit is awaited and the customer not yet reminded."""
        state = self.state
        if not state.held_parts() or state.view.deposit_reminded_at is not None or state.deposit_asked_at is None:
            return None
        return self.deposit_deadline()

    async def release_held_parts(self) -> None:
        """The deposit is in: each held part dated from today, its maker's work order out, the customer told."""
        state, view = self.state, self.state.view
        view.deposit_received_at = workflow.now()
        held = state.held_parts()
        for part in held:
            self.date_from_deposit(part)
        state.refresh()  # the order's first promise is now made: its date with the held parts dated
        view.original_fulfillment_date = max(p.original_fulfillment_date for p in view.parts)
        makers = [p.department for p in held]
        view.work_orders = [*view.work_orders, *(m for m in makers if m not in view.work_orders)]
        state.ever_sent_work_order = list(dict.fromkeys([*state.ever_sent_work_order, *makers]))
        state.work_orders_sent_at, state.acknowledgement_reminded = workflow.now(), False  # the makers' turn
        dates = "; ".join(f"{state.part_label(p)} by {p.expected_fulfillment_date}" for p in held)
        state.record("deposit_received", f"Deposit received ({amount_text(view.paid, view.currency)} paid of "
                     f"{amount_text(view.deposit_due, view.currency)}): work order sent to {', '.join(makers)}; "
                     f"{dates}", departments=makers)
        workflow.upsert_search_attributes([self.expected_date()])
        await self.notifier.tell_together(
            [self.notifier.notice(CUSTOMER, MessageKind.deposit_received, departments=makers),
             *(self.notifier.notice(m, MessageKind.work_order) for m in makers)])

    def date_from_deposit(self, part: Part) -> None:
        """The part's date: its longest lead time in business days from the deposit day (never earlier than the
        date it was accepted with, which a deferring option may have set)."""
        view = self.state.view
        due = max(business_days_after(self.clock.today(), view.lead_days([part]), self.holidays),
                  part.expected_fulfillment_date)
        part.expected_fulfillment_date = part.original_fulfillment_date = due
        part.handover_date = self.handover_before(due)
        part.awaiting_deposit = False

    async def remind_deposit(self) -> None:
        """The deadline passed without the deposit: remind the customer once, alert accounts receivable."""
        state, view = self.state, self.state.view
        view.deposit_reminded_at = workflow.now()
        due = amount_text(view.deposit_due - min(view.paid, view.deposit_due), view.currency)
        state.record("deposit_overdue", f"Deposit not received by its deadline ({due} still to pay): the customer "
                     "is reminded, accounts receivable alerted", amount=due)
        await self.notifier.tell_together([self.notifier.notice(CUSTOMER, MessageKind.deposit_reminder,
                                                                **self.deposit_extra()),
                                           self.notifier.notice(ACCOUNTS_RECEIVABLE, MessageKind.deposit_overdue_alert,
                                                                **self.deposit_extra())])
