"""The rows the read side is queried by, written with the order (`read_model.save_order`) in the same transaction:

- `order_parties`: who besides Orderly's own staff may see the order — each fulfiller of its lines (a manufacturer
  sees the orders it makes a part of), with the order's `received_at` and `status`;
- `queue_entries`: what each staff queue holds of this order (an incomplete order: customer service's `incomplete`
  queue), by the pure predicates of `models/work_queues.py`, once for Orderly's staff (`party` '') and once more for
  each third party that may see the order (its queues are index ranges of their own, however many orders others have)
  (the order page asks the same questions of the same view, so a queue cannot contradict it). Whatever depends on
  the day it is read (late or at risk, overdue, a call's due day in the company's timezone) is kept as the date or
  time it counts from, and decided by the query.

Both are rewritten whole on every save: a retried write leaves exactly the same rows.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from models.order import OrderStatus, OrderView
from models.tables import OrderParty, QueueEntry
from models.catalog import ACCOUNTS_RECEIVABLE
from models.work_queues import arrived, call_start, money_due, next_due, promised, ready_to_ship, unacknowledged

ACTIVE = (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped, OrderStatus.shipped,
          OrderStatus.partially_delivered, OrderStatus.delivered)
OPEN = (OrderStatus.confirmed, OrderStatus.delayed)


def parties(view: OrderView) -> list[dict[str, Any]]:
    return [{"order_id": view.order_id, "party": party, "received_at": view.received_at, "status": view.status.value}
            for party in dict.fromkeys(line.fulfiller for line in view.lines if line.fulfiller)]


def utc(at: datetime) -> datetime:
    """In UTC, as both databases store it alike (their columns keep no offset)."""
    return at.astimezone(timezone.utc)


def queue_entries(view: OrderView) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(queue: str, due: Any, note: str = "", department: str = "", **more: Any) -> None:
        rows.append({"order_id": view.order_id, "queue": queue, "seq": len(rows), "party": "",
                     "department": department, "due": due, "shown_due": None, "note": note,
                     "received_at": view.received_at, "call_from": None, "call_retried": False} | more)

    if view.status is OrderStatus.incomplete:  # customer service completes it (what is missing; the view has
        #                                        when the reminder and the expiry come)
        add("incomplete", view.form_expires_at.date() if view.form_expires_at else None,
            "; ".join(f"{p.label}: {p.message}" if p.label else str(p) for p in view.problems))
        return rows
    for department in unacknowledged(view):  # a completed order's, for accounts receivable, too
        add("wo", view.expected_fulfillment_date, view.status.value, department)
    if view.status in ACTIVE:
        active_entries(view, add)
    copies = [row | {"seq": len(rows) * (i + 1) + row["seq"], "party": party["party"]}  # each third party's own
              for i, party in enumerate(parties(view)) for row in rows]                 # copy of the queues
    for queue, since, note in money_due(view):  # accounts receivable's (staff only), whatever the status
        add(queue, since, note, ACCOUNTS_RECEIVABLE)
    return rows + copies


def active_entries(view: OrderView, add: Any) -> None:
    """The queues of an order being fulfilled: arrived parts, requests, the feedback call, late, overdue."""
    for part in arrived(view):
        add("arrived", part.expected_fulfillment_date, f"from {part.department}: " + ", ".join(
            f"{r.quantity} x {r.sku}" for r in part.lines) + " arrived", part.department)
    if ready := ready_to_ship(view):  # the warehouse's pick list: what can go out today
        add("ready", view.next_fulfillment_date or view.expected_fulfillment_date,
            ", ".join(f"{r.quantity} x {r.sku}" for r in ready))
    for request in view.requests:
        if request.resolved_at is None:
            add("requests", request.received_at.date(), f"request {request.number}: {request.message[:120]}")
    if (start := call_start(view)) is not None:
        add("calls", None, f"try {view.feedback_call.unanswered + 1} of 2", call_from=utc(start[0]),
            call_retried=start[1])
    due = next_due(view)
    if due is not None and view.status.is_open_for_fulfillment:
        add("late", due, shown_due=view.expected_fulfillment_date)  # late before the day it is read, at risk
        #                                                             within `at_risk_days` of it
    if view.status in OPEN and (date := promised(view)):
        add("overdue", date)


def write_rows(conn: Connection, view: OrderView) -> None:
    """Make the order's party and queue rows exactly those of `view` (inside the read model's write transaction)."""
    for table, rows in ((OrderParty.__table__, parties(view)), (QueueEntry.__table__, queue_entries(view))):
        conn.execute(delete(table).where(table.c.order_id == view.order_id))
        if rows:
            conn.execute(table.insert(), rows)
