"""When accounts receivable may record a payment or a refund, and why not: the rules of `record_payment` and
`record_refund` (in `rules.RULES` with the others, asked by the validator and again by the handler).

A payment needs an order whose total is known (accepted) and a balance due; a refund needs a refund due (a
cancellation after a payment, an overpayment after a correction). Either is refused in another currency than the
order's, for more than is due, dated in the future, or with a reference already recorded on the order.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import Actor
    from models.money import MoneyIn, Payment, Refund, amount_text
    from models.order import OrderStatus

from .state import OrderState


def record_payment(s: OrderState, today: date, actor: Actor, payment: Payment | None = None) -> str | None:
    view = s.view
    if reason := _over(s):
        return reason
    if not s.accepted:
        return (f"Order {s.order_id} is {view.status.value}: its total is not known until it is confirmed, so there "
                "is nothing to pay yet")
    if view.balance_due <= 0:
        return (f"Order {s.order_id} has no balance due (paid {amount_text(view.paid, view.currency)} of "
                f"{amount_text(view.owed, view.currency)})" + _refund_note(s))
    if payment is None:
        return None
    if reason := _money_problem(s, today, payment, "payment"):
        return reason
    if payment.amount > view.balance_due:
        return (f"The payment of {amount_text(payment.amount, view.currency)} is more than the balance due, "
                f"{amount_text(view.balance_due, view.currency)}: record the balance due, and refund the rest")
    return None


def record_refund(s: OrderState, today: date, actor: Actor, refund: Refund | None = None) -> str | None:
    view = s.view
    if reason := _over(s):
        return reason
    if view.refund_due <= 0:
        why = ("nothing has been paid" if view.paid <= 0 else
               f"paid {amount_text(view.paid, view.currency)}, refunded {amount_text(view.refunded, view.currency)}, "
               f"owed {amount_text(view.owed, view.currency)}")
        return f"Order {s.order_id} has no refund due ({why})"
    if refund is None:
        return None
    if reason := _money_problem(s, today, refund, "refund"):
        return reason
    if refund.amount > view.refund_due:
        return (f"The refund of {amount_text(refund.amount, view.currency)} is more than the refund due, "
                f"{amount_text(view.refund_due, view.currency)} (paid {amount_text(view.paid, view.currency)}, "
                f"already refunded {amount_text(view.refunded, view.currency)})")
    return None


def _money_problem(s: OrderState, today: date, entry: MoneyIn, what: str) -> str | None:
    view = s.view
    if entry.currency and entry.currency.upper() != view.currency.upper():
        return (f"Order {s.order_id} is in {view.currency}: a {what} in {entry.currency} cannot be recorded "
                f"(convert it to {view.currency} first)")
    if entry.received is not None and entry.received > today:
        return f"The date {entry.received} is in the future (today is {today})"
    for earlier in (*view.payments, *view.refunds):
        if earlier.reference.casefold() == entry.reference.casefold():
            kind = "payment" if earlier in view.payments else "refund"
            return (f"Reference {entry.reference} is already recorded on order {s.order_id}: {kind} "
                    f"{earlier.number}, {amount_text(earlier.amount, earlier.currency)} on {earlier.received}")
    return None


def _over(s: OrderState) -> str | None:
    """A completed order takes money only while it is held open for accounts receivable (policy
    `settle_before_closing`); a cancelled one while a refund is due (checked by each rule)."""
    if s.view.status is OrderStatus.completed and not s.settling:
        return f"Order {s.order_id} is completed and closed: its money is settled outside Orderly"
    return None


def _refund_note(s: OrderState) -> str:
    view = s.view
    if view.refund_due > 0:
        return f"; a refund of {amount_text(view.refund_due, view.currency)} is due"
    return "; it is cancelled" if view.status is OrderStatus.cancelled else ""
