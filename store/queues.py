"""Reading the staff work queues and the overdue list from `queue_entries` (written with each order,
`queue_rows.py`): a count is a `COUNT`, a page is an index range, and only the page's orders' views are loaded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from models.order import OrderView
from models.tables import OrderRecord, QueueEntry

ENTRIES = QueueEntry.__table__
ORDER_BY = {"wo": ("received_at", "order_id", "seq"), "arrived": ("due", "order_id", "seq"),
            "requests": ("due", "order_id", "seq"), "late": ("shown_due", "order_id", "seq"),
            "overdue": ("due", "received_at", "order_id"), "calls": ("order_id", "seq"),
            "balance": ("due", "order_id", "seq"), "refunds": ("due", "order_id", "seq"),  # oldest first
            "deposit": ("due", "order_id", "seq"),
            "incomplete": ("due", "received_at", "order_id"), "ready": ("due", "order_id", "seq")}


def _where(query: Select, queue: str, department: str | None, party: str | None, due_before: date | None,
           due_until: date | None) -> Select:
    query = query.where(ENTRIES.c.queue == queue, ENTRIES.c.party == (party or ""))
    if department is not None:
        query = query.where(ENTRIES.c.department == department)
    if due_before is not None:
        query = query.where(ENTRIES.c.due < due_before)
    if due_until is not None:
        query = query.where(ENTRIES.c.due <= due_until)
    return query


def count(engine: Engine, queue: str, department: str | None = None, party: str | None = None,
          due_before: date | None = None, due_until: date | None = None) -> int:
    with engine.connect() as conn:
        return conn.execute(_where(select(func.count()).select_from(ENTRIES), queue, department, party, due_before,
                                   due_until)).scalar_one()


def page(engine: Engine, queue: str, limit: int, offset: int = 0, department: str | None = None,
         party: str | None = None, due_before: date | None = None, due_until: date | None = None,
         first_due_before: date | None = None) -> list[Any]:
    """The queue's entries (rows of `queue_entries`) from `offset`, in the queue's order; with `first_due_before`,
    the entries due before that day first (the late before those at risk)."""
    query = _where(select(ENTRIES), queue, department, party, due_before, due_until)
    first = [case((ENTRIES.c.due < first_due_before, 0), else_=1)] if first_due_before else []
    query = query.order_by(*first, *(ENTRIES.c[name] for name in ORDER_BY[queue])).offset(offset).limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(query))


def calls(engine: Engine, party: str | None = None) -> list[tuple[str, datetime, bool, str]]:
    """Every open feedback call (order id, the time its next try counts from, retried, note): few at any time; the
    caller decides each one's due day in the company's calendar."""
    query = _where(select(ENTRIES.c.order_id, ENTRIES.c.call_from, ENTRIES.c.call_retried, ENTRIES.c.note),
                   "calls", None, party, None, None)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def departments(engine: Engine) -> list[str]:
    """The departments with a work order waiting for acknowledgement (admin's queues)."""
    with engine.connect() as conn:
        return list(conn.execute(select(ENTRIES.c.department).where(ENTRIES.c.queue == "wo", ENTRIES.c.party == "")
                                 .distinct().order_by(ENTRIES.c.department)).scalars())


def views(engine: Engine, order_ids: list[str]) -> dict[str, OrderView]:
    """The stored views of a page's orders."""
    if not order_ids:
        return {}
    orders = OrderRecord.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(orders.c.order_id, orders.c.view).where(orders.c.order_id.in_(set(order_ids))))
        return {order_id: OrderView.model_validate(view) for order_id, view in rows}
