"""What each staff queue holds, as pure functions of the order's view: the console's queues and the order page ask
the same questions of the same view, so a queue cannot say what the order page contradicts.

- `unacknowledged`: the departments whose work order waits for its acknowledgement, as long as the order can still
  be acknowledged (the workflow's `acknowledge` rule: any order not closed — a shipped one too).
- `money_due`: accounts receivable's balance due or refund due, whatever the order's status, and the deposit
  awaited (the policy's `deposit_percent`) while the order is open.
- `call_due`: the day customer service should make the feedback call, while the call is open.
- `lateness`: `late` (the expected fulfillment date has passed, nothing shipped) or `at_risk` (due within a few
  days, nothing shipped).
- `survey_sent`: whether the customer was sent the online survey (the status page offers it only then).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from .calendar import is_business_day
from .catalog import ACCOUNTS_RECEIVABLE
from .money import amount_text
from .feedback_call import NO_ANSWER
from .order import OrderStatus, OrderView
from .parts import LineRef, Part, part_unshipped, unshipped

CLOSED = (OrderStatus.completed, OrderStatus.cancelled, OrderStatus.expired, OrderStatus.terminated)
LATE, AT_RISK = "late", "at_risk"


def unacknowledged(view: OrderView) -> list[str]:
    """A completed order's work order for accounts receivable stays until acknowledged (the order waits for it,
    `workflows/money.py`); a cancelled or expired order's work orders need none."""
    if view.status is OrderStatus.completed:
        if view.money_outside:
            return []
        return [d for d in view.work_orders if d == ACCOUNTS_RECEIVABLE and d not in view.acknowledged]
    if view.status in CLOSED:
        return []
    return [d for d in view.work_orders if d not in view.acknowledged]


# never accepted (no total the customer owes until the form is complete), or closed in Temporal
NOT_PAYABLE = frozenset({OrderStatus.received, OrderStatus.incomplete, OrderStatus.expired, OrderStatus.terminated})


def money_due(view: OrderView) -> list[tuple[str, date, str]]:
    """Accounts receivable's entries for the order, whatever its status: `deposit` (awaited, since the order was
    received; while the order is open), `balance` (the customer owes, since the
    order was received) or `refunds` (we owe: since it was cancelled, or since the last payment), with the day it
    counts from and a note. None for an order not yet accepted (an incomplete or expired form owes nothing), and
    for one whose money is settled outside Orderly (closed under the policy `settle_before_closing` off, or
    terminated in Temporal, which takes no more actions)."""
    if view.money_outside or view.status in NOT_PAYABLE:  # nothing can be recorded on it in Orderly
        return []
    found = []
    if view.deposit_status == "awaited" and view.status not in CLOSED:  # made-to-order parts wait for it
        found.append(("deposit", view.received_at.date(), f"deposit {amount_text(view.deposit_due, view.currency)} "
                      f"awaited (paid {amount_text(view.paid, view.currency)})"))
    return found + money_owed(view)


def money_owed(view: OrderView) -> list[tuple[str, date, str]]:
    if view.balance_due > 0:
        return [("balance", view.received_at.date(), f"{amount_text(view.balance_due, view.currency)} due of "
                 f"{amount_text(view.owed, view.currency)}")]
    if view.refund_due > 0:
        since = next((e.at for e in reversed(view.timeline) if e.kind == "status:cancelled"),
                     max((p.recorded_at for p in view.payments), default=view.received_at))
        return [("refunds", since.date(), f"refund {amount_text(view.refund_due, view.currency)} (paid "
                 f"{amount_text(view.paid, view.currency)}, refunded {amount_text(view.refunded, view.currency)})")]
    return []


def call_due(view: OrderView, timezone: str, holidays_country: str) -> date | None:
    """The first try is due the day the call was asked for; after a try with no answer, the next business day."""
    start = call_start(view)
    return None if start is None else call_due_from(*start, timezone, holidays_country)


def call_start(view: OrderView) -> tuple[datetime, bool] | None:
    """When the open call's next try counts from, and whether a try went unanswered (none: no call to make)."""
    call = view.feedback_call
    if call is None or call.closed or view.feedback is not None or view.status is not OrderStatus.delivered:
        return None
    unanswered = [t for t in call.tries if t.outcome == NO_ANSWER]
    return (unanswered[-1].at, True) if unanswered else (call.requested_at, False)


def call_due_from(at: datetime, retried: bool, timezone: str, holidays_country: str) -> date:
    """`at` naive is UTC (as the read model stores it)."""
    day = (at if at.tzinfo else at.replace(tzinfo=dt_timezone.utc)).astimezone(ZoneInfo(timezone)).date()
    return next_business_day(day, holidays_country) if retried else day


def next_business_day(day: date, holidays_country: str) -> date:
    day += timedelta(days=1)
    while not is_business_day(day, holidays_country):
        day += timedelta(days=1)
    return day


def lateness(view: OrderView, today: date, at_risk_days: int) -> str | None:
    """By the earliest date of a part not yet shipped (the order's date, for an order stored before parts)."""
    due = next_due(view)
    if due is None or not view.status.is_open_for_fulfillment:
        return None
    if due < today:
        return LATE
    return AT_RISK if due <= today + timedelta(days=at_risk_days) else None


def promised(view: OrderView) -> date | None:
    """The order's expected fulfillment date once every part has one: none while a part waits for its deposit (that
    part's date is counted from the deposit's day), so such an order is never overdue on account of it."""
    return None if any(p.awaiting_deposit for p in view.parts) else view.expected_fulfillment_date


def next_due(view: OrderView) -> date | None:
    """The earliest date of a part not yet shipped (the order's, for an order stored before parts); a part held for
    its deposit has none yet."""
    if view.next_fulfillment_date is not None or view.shipments or any(p.awaiting_deposit for p in view.parts):
        return view.next_fulfillment_date
    return view.expected_fulfillment_date


def ready_to_ship(view: OrderView) -> list[LineRef]:
    """What the warehouse can ship now: its own lines, and the manufacturers' parts handed over to it, not yet
    shipped (an order in one part: everything not yet shipped)."""
    if view.status in CLOSED or not view.status.is_open_for_fulfillment:
        return []
    ready = {ref.line for p in view.parts if p.handover_date is None or p.ready_at is not None for ref in p.lines}
    return [ref for ref in unshipped(view.lines, view.shipments) if ref.line in ready or not view.parts]


def arrived(view: OrderView) -> list[Part]:
    """The manufacturers' parts handed over to the warehouse and not yet shipped in full."""
    return [p for p in view.parts if p.ready_at is not None and part_unshipped(p, view.lines, view.shipments)]


def survey_sent(view: OrderView) -> bool:
    """Sent, or tried and failed: either way the order's feedback goes by the survey, not by a call."""
    return any(e.kind in ("message", "message_failed") and e.data.get("message_kind") == "feedback_request"
               for e in view.timeline)
