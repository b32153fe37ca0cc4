"""The staff console's work queues, per role: what each person there has to do next, with a count and pages.

Every queue is computed from the read model's stored views (the same view the order page shows, written by the
workflow's activities) by the pure predicates of `models/work_queues.py`, so a queue cannot disagree with the order
page: a shipped order whose work orders wait for accounts receivable is still in accounts receivable's queue.

- `wo-<department>`: the work orders that department has not acknowledged (oldest first);
- `calls`: customer service's feedback calls to make (customer, phone, order, when due), with the outcome form;
- `late`: orders past their expected fulfillment date, or due within `ORDERLY_AT_RISK_DAYS`, not shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
from models.order import OrderStatus, OrderView
from models.settings import Settings
from models.work_queues import LATE, arrived, call_due, lateness, unacknowledged
from store import read_model

from .auth import Caller
from .read_scopes import restricted, row_visible

ACTIVE = (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped, OrderStatus.shipped,
          OrderStatus.partially_delivered, OrderStatus.delivered)
ROLE_QUEUES = {  # which queues each role works from; "wo" is the role's own departments' work orders
    "admin": ("wo", "arrived", "requests", "calls", "late"),
    "warehouse": ("wo", "arrived", "late"),
    "accounts": ("wo",),
    "manufacturer": ("wo", "late"),
    "customer-service": ("requests", "calls", "late"),
}
OWN_DEPARTMENTS = {"warehouse": (WAREHOUSE,), "accounts": (ACCOUNTS_RECEIVABLE,)}


@dataclass
class Entry:
    view: OrderView
    due: date | None = None
    note: str = ""


@dataclass
class Queue:
    key: str
    title: str
    entries: list[Entry]
    page: int = 1
    size: int = 20
    empty: str = "Nothing waiting."
    department: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def shown(self) -> list[Entry]:
        start = (self.page - 1) * self.size
        return self.entries[start:start + self.size]


def active_views(engine: Engine, caller: Caller) -> list[OrderView]:
    rows = read_model.orders_in(engine, [s.value for s in ACTIVE])
    return [OrderView.model_validate(r.view) for r in rows if row_visible(caller, r.view)]


def queues_for(engine: Engine, settings: Settings, caller: Caller, today: date,
               pages: dict[str, int]) -> list[Queue]:
    views = sorted(active_views(engine, caller), key=lambda v: v.received_at)
    size = settings.console_page_size
    found: list[Queue] = []
    for kind in ROLE_QUEUES.get(caller.role, ()):
        if kind == "wo":
            found += work_order_queues(views, caller, size)
        elif kind == "calls":
            found.append(calls_queue(views, settings, size))
        elif kind == "arrived":
            found.append(arrived_queue(views, size))
        elif kind == "requests":
            found.append(requests_queue(views, size))
        else:
            found.append(late_queue(views, today, settings.at_risk_days, size))
    for queue in found:
        queue.page = min(max(1, pages.get(queue.key, 1)), queue.pages)
    return found


def work_order_queues(views: list[OrderView], caller: Caller, size: int) -> list[Queue]:
    by_department: dict[str, list[Entry]] = {}
    for view in views:
        for department in unacknowledged(view):
            by_department.setdefault(department, []).append(Entry(view, view.expected_fulfillment_date,
                                                                  view.status.value))
    if restricted(caller):
        wanted: tuple[str, ...] | None = (caller.party,)
    else:
        wanted = OWN_DEPARTMENTS.get(caller.role)  # admin: every department that has something waiting
    departments = list(wanted) if wanted is not None else sorted(by_department)
    if not departments:
        return [Queue("wo", "Work orders waiting for acknowledgement", [], size=size,
                      empty="Every work order has been acknowledged.")]
    return [Queue(f"wo-{d}", f"Work orders waiting for acknowledgement: {d}", by_department.get(d, []), size=size,
                  department=d, empty=f"Every {d} work order has been acknowledged.") for d in departments]


def calls_queue(views: list[OrderView], settings: Settings, size: int) -> Queue:
    entries = [Entry(v, due, f"try {v.feedback_call.unanswered + 1} of 2") for v in views
               if (due := call_due(v, settings.company_timezone, settings.company_holidays_country)) is not None]
    entries.sort(key=lambda e: (e.due, e.view.order_id))
    return Queue("calls", "Feedback calls to make", entries, size=size, empty="No feedback calls to make.")


def arrived_queue(views: list[OrderView], size: int) -> Queue:
    """Manufacturers' parts handed over to the warehouse and not yet shipped: what can go out."""
    entries = [Entry(v, p.expected_fulfillment_date, f"from {p.department}: " + ", ".join(
        f"{r.quantity} x {r.sku}" for r in p.lines) + " arrived") for v in views for p in arrived(v)]
    entries.sort(key=lambda e: (e.due, e.view.order_id))
    return Queue("arrived", "Arrived from manufacturers, ready to ship", entries, size=size,
                 empty="Nothing from a manufacturer is waiting to ship.")


def requests_queue(views: list[OrderView], size: int) -> Queue:
    """What customers told us ("Tell us" on the status page), oldest first, until customer service resolves it."""
    entries = [Entry(v, r.received_at.date(), f"request {r.number}: {r.message[:120]}") for v in views
               for r in v.requests if r.resolved_at is None]
    entries.sort(key=lambda e: (e.due, e.view.order_id))
    return Queue("requests", "Customers' requests to answer", entries, size=size,
                 empty="No customer is waiting for an answer.")


def late_queue(views: list[OrderView], today: date, at_risk_days: int, size: int) -> Queue:
    entries = [Entry(v, v.expected_fulfillment_date, "late" if state == LATE else "at risk") for v in views
               if (state := lateness(v, today, at_risk_days)) is not None]
    entries.sort(key=lambda e: (e.note != "late", e.due, e.view.order_id))
    return Queue("late", f"Late or at risk (due within {at_risk_days} days, not shipped)", entries, size=size,
                 empty="Nothing is late or at risk.")
