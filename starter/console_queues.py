"""The staff console's work queues, per role: what each person there has to do next, with a count and pages.

Every queue is a query on `queue_entries`, rows the read model writes with each order by the pure predicates of
`models/work_queues.py` (`store/queue_rows.py`), so a queue cannot disagree with the order page: a shipped order
whose work orders wait for accounts receivable is still in accounts receivable's queue. A count is a `COUNT`, a page
an index range; only the page's orders' views are loaded.

- `wo-<department>`: the work orders that department has not acknowledged (oldest first);
- `incomplete`: orders whose form waits for missing details (what is missing, when the reminder and the expiry
  come, the soonest to expire first): "Complete the form" on the order's page;
- `calls`: customer service's feedback calls to make (customer, phone, order, when due), with the outcome form;
- `deposit`, `balance`, `refunds`: accounts receivable's orders awaiting a deposit, with a balance due (oldest first,
  with how long) or a refund due, whatever their status: an order leaves only once settled;
- `late`: orders past their expected fulfillment date, or due within `ORDERLY_AT_RISK_DAYS`, not shipped.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
from models.order import OrderView
from models.settings import Settings
from models.work_queues import call_due_from
from store import queues

from .auth import Caller
from .read_scopes import restricted, scope

ROLE_QUEUES = {  # which queues each role works from; "wo" is the role's own departments' work orders
    "admin": ("wo", "arrived", "incomplete", "requests", "calls", "late", "deposit", "balance", "refunds"),
    "warehouse": ("wo", "arrived", "late"),
    "accounts": ("wo", "deposit", "balance", "refunds"),
    "manufacturer": ("wo", "late"),
    "customer-service": ("incomplete", "requests", "calls", "late"),
}
OWN_DEPARTMENTS = {"warehouse": (WAREHOUSE,), "accounts": (ACCOUNTS_RECEIVABLE,)}
TITLES = {"arrived": ("Arrived from manufacturers, ready to ship", "Nothing from a manufacturer is waiting to ship."),
          "requests": ("Customers' requests to answer", "No customer is waiting for an answer."),
          "incomplete": ("Incomplete orders to complete", "No order is waiting for missing details."),
          "calls": ("Feedback calls to make", "No feedback calls to make."),
          "balance": ("Balances due (oldest first)", "No customer owes anything."),
          "refunds": ("Refunds due", "No refund is due."),
          "deposit": ("Deposits awaited (oldest first)", "No deposit is awaited.")}


@dataclass
class Entry:
    view: OrderView
    due: date | None = None
    note: str = ""


@dataclass
class Queue:
    """One page of a queue (`entries`), and how many entries it has in all (`count`)."""

    key: str
    title: str
    count: int
    entries: list[Entry] = field(default_factory=list)
    page: int = 1
    size: int = 20
    empty: str = "Nothing waiting."
    department: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def shown(self) -> list[Entry]:
        return self.entries


def queues_for(engine: Engine, settings: Settings, caller: Caller, today: date,
               pages: dict[str, int]) -> list[Queue]:
    size, party = settings.console_page_size, scope(caller)
    found: list[Queue] = []
    for kind in ROLE_QUEUES.get(caller.role, ()):
        if kind == "wo":
            found += work_order_queues(engine, caller, size, pages)
        elif kind == "calls":
            found.append(calls_queue(engine, settings, party, size, pages.get(kind, 1)))
        elif kind == "late":
            until = today + timedelta(days=settings.at_risk_days)
            queue = Queue("late", f"Late or at risk (due within {settings.at_risk_days} days, not shipped)",
                          queues.count(engine, "late", party=party, due_until=until), size=size,
                          empty="Nothing is late or at risk.")
            fill(engine, queue, pages, lambda row: "late" if row.due < today else "at risk", party=party,
                 due_until=until, first_due_before=today)
            found.append(queue)
        else:
            queue = Queue(kind, TITLES[kind][0], queues.count(engine, kind, party=party), size=size,
                          empty=TITLES[kind][1])
            fill(engine, queue, pages, party=party)
            found.append(queue)
    return found


def fill(engine: Engine, queue: Queue, pages: dict[str, int], note=None, **where: Any) -> None:  # noqa: ANN001
    """The queue's page (clamped to its pages): its entries, with their orders' views."""
    queue.page = min(max(1, pages.get(queue.key, 1)), queue.pages)
    kind = queue.key.partition("-")[0]
    rows = queues.page(engine, kind, queue.size, (queue.page - 1) * queue.size, **where)
    views = queues.views(engine, [row.order_id for row in rows])
    queue.entries = [Entry(views[row.order_id], row.shown_due if kind == "late" else row.due,
                           note(row) if note else row.note) for row in rows]


def work_order_queues(engine: Engine, caller: Caller, size: int, pages: dict[str, int]) -> list[Queue]:
    party = scope(caller)
    wanted = (caller.party,) if restricted(caller) else OWN_DEPARTMENTS.get(caller.role)  # admin: every department
    departments = list(wanted) if wanted is not None else queues.departments(engine)  # with something waiting
    if not departments:
        return [Queue("wo", "Work orders waiting for acknowledgement", 0, size=size,
                      empty="Every work order has been acknowledged.")]
    found = []
    for d in departments:
        queue = Queue(f"wo-{d}", f"Work orders waiting for acknowledgement: {d}",
                      queues.count(engine, "wo", department=d, party=party), size=size, department=d,
                      empty=f"Every {d} work order has been acknowledged.")
        fill(engine, queue, pages, department=d, party=party)
        found.append(queue)
    return found


def calls_queue(engine: Engine, settings: Settings, party: str | None, size: int, page: int) -> Queue:
    """Few at a time: each call's due day is decided here, in the company's calendar, then sorted and paged."""
    due = [(call_due_from(at, retried, settings.company_timezone, settings.company_holidays_country), order_id, note)
           for order_id, at, retried, note in queues.calls(engine, party)]
    due.sort(key=lambda e: (e[0], e[1]))
    queue = Queue("calls", TITLES["calls"][0], len(due), size=size, empty=TITLES["calls"][1])
    queue.page = min(max(1, page), queue.pages)
    shown = due[(queue.page - 1) * size:queue.page * size]
    views = queues.views(engine, [order_id for _, order_id, _ in shown])
    queue.entries = [Entry(views[order_id], day, note) for day, order_id, note in shown]
    return queue


def overdue(engine: Engine, caller: Caller, today: date, limit: int) -> tuple[list[Entry], int]:
    """A page of the open orders past their expected fulfillment date (earliest first), and how many there are."""
    party = scope(caller)
    rows = queues.page(engine, "overdue", limit, party=party, due_before=today)
    views = queues.views(engine, [row.order_id for row in rows])
    return ([Entry(views[row.order_id], row.due) for row in rows],
            queues.count(engine, "overdue", party=party, due_before=today))
