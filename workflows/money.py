"""Accounts receivable's part of the order workflow: payments received, refunds made, and the order held open until
its money is settled.

- `take_payment` / `take_refund`: the entry on the order (its number, the order's currency, the day it was received,
  who recorded it), in the timeline with what is still due.
- `until_settled`: once the order's course is over (completed, or cancelled), the workflow waits for accounts
  receivable before it closes: a cancelled order until every refund due has been made; a completed one (under the
  policy's `settle_before_closing`) until nothing is due either way and accounts receivable has acknowledged its
  work order. Meanwhile the order stays in accounts receivable's queue, and payments and refunds can still be
  recorded. (Behind the `money-settled-before-close` patch in `run`: orders of 1.0 closed without waiting.)
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.catalog import ACCOUNTS_RECEIVABLE
    from models.money import METHOD_LABELS, MoneyIn, MoneyRecord, amount_text
    from models.order import OrderStatus

SETTLED_PATCH = "money-settled-before-close"


class Money:
    """Payments, refunds and settling of `OrderWorkflow` (its state, clock and policy are the workflow's)."""

    def take_payment(self, payment: MoneyIn, actor: Actor) -> str:
        view = self.state.view
        record = self._entry(payment, actor, len(view.payments) + 1)
        view.payments.append(record)
        left = (f"{amount_text(view.balance_due, view.currency)} still due" if view.balance_due > 0
                else "paid in full")
        self.state.record("payment", f"Payment {record.number} of {amount_text(record.amount, record.currency)} "
                          f"received {record.received} by {METHOD_LABELS[record.method]} (reference "
                          f"{record.reference}), recorded by {actor}: {left}", **self._data(record))
        return (f"Payment of {amount_text(record.amount, record.currency)} recorded on order {view.order_id}: "
                f"paid {amount_text(view.paid, view.currency)} of {amount_text(view.owed, view.currency)}, {left}")

    def take_refund(self, refund: MoneyIn, actor: Actor) -> str:
        view = self.state.view
        record = self._entry(refund, actor, len(view.refunds) + 1)
        view.refunds.append(record)
        left = (f"{amount_text(view.refund_due, view.currency)} still to refund" if view.refund_due > 0
                else "nothing more to refund")
        self.state.record("refund", f"Refund {record.number} of {amount_text(record.amount, record.currency)} paid "
                          f"{record.received} by {METHOD_LABELS[record.method]} (reference {record.reference}), "
                          f"recorded by {actor}: {left}", **self._data(record))
        return f"Refund of {amount_text(record.amount, record.currency)} recorded on order {view.order_id}: {left}"

    def _entry(self, entry: MoneyIn, actor: Actor, number: int) -> MoneyRecord:
        return MoneyRecord(number=number, amount=entry.amount, currency=self.state.view.currency,
                           method=entry.method, reference=entry.reference, received=entry.received or self.clock.today(),
                           recorded_by=str(actor), recorded_at=workflow.now())

    @staticmethod
    def _data(record: MoneyRecord) -> dict[str, str]:
        return {"amount": str(record.amount), "currency": record.currency, "method": record.method.value,
                "reference": record.reference, "received": record.received.isoformat(), "by": record.recorded_by}

    def settled(self) -> bool:
        view = self.state.view
        if view.status is OrderStatus.cancelled:
            return view.refund_due <= 0
        if view.status is not OrderStatus.completed or not self.policy.settle_before_closing:
            return True
        return view.balance_due <= 0 and view.refund_due <= 0 and (
            ACCOUNTS_RECEIVABLE not in view.work_orders or ACCOUNTS_RECEIVABLE in view.acknowledged)

    async def until_settled(self) -> None:
        view = self.state.view
        if view.status is OrderStatus.completed and not self.policy.settle_before_closing:
            view.money_outside = True  # nothing for accounts receivable's queue: settled outside Orderly
            self.state.record("settled", "Closed without waiting for accounts receivable (policy): its money is "
                              "settled outside Orderly")
            return
        if self.settled():
            return
        self.state.settling = True
        owed = [f"{amount_text(view.balance_due, view.currency)} due" if view.balance_due > 0 else "",
                f"a refund of {amount_text(view.refund_due, view.currency)} due" if view.refund_due > 0 else "",
                "its work order not acknowledged" if not view.balance_due and not view.refund_due else ""]
        self.state.record("awaiting_settlement", f"The order stays open for accounts receivable: "
                          f"{'; '.join(o for o in owed if o)}")
        workflow.set_current_details(f"**{view.status.value}**, waiting for accounts receivable")
        await self.wait_until(self.settled, cancellable=False)
        self.state.settling = False
        self.state.record("settled", "Accounts receivable is done: nothing is due either way")
