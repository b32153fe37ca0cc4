"""The read model's role-scoped lists, counts and queues as the console and the API answered them before issue 26:
filters over every order's stored view, in Python. Kept as the oracle the SQL queries must agree with (same rows,
same order) on a mixed data set; copied from `store/read_model.py`, `starter/console.py` and
`starter/console_queues.py` as they were at b6ffde7; with issue 27's accounts receivable queues (deposits awaited,
balances and refunds due, whatever the status, and a completed order's unacknowledged work order for accounts
receivable)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from models.order import OrderStatus, OrderView
from models.work_queues import LATE, arrived, call_due, lateness, money_due, promised, unacknowledged

ACTIVE = (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped, OrderStatus.shipped,
          OrderStatus.partially_delivered, OrderStatus.delivered)
OPEN = (OrderStatus.confirmed, OrderStatus.delayed)


def visible(party: str | None, view: OrderView) -> bool:
    return party is None or any(line.fulfiller == party for line in view.lines if party)


def listed(views: list[OrderView], party: str | None, status: str | None, limit: int, offset: int,
           ids: set[str] | None = None) -> list[str]:
    rows = sorted((v for v in views if (ids is None or v.order_id in ids) and (not status or v.status.value == status)
                   and visible(party, v)), key=lambda v: v.received_at, reverse=True)
    return [v.order_id for v in rows][offset:offset + limit]


def counts(views: list[OrderView], party: str | None) -> dict[str, int]:
    return dict(Counter(v.status.value for v in views if visible(party, v)))


def active(views: list[OrderView], party: str | None) -> list[OrderView]:
    return sorted((v for v in views if v.status in ACTIVE and visible(party, v)), key=lambda v: v.received_at)


def overdue(views: list[OrderView], party: str | None, today: date) -> list[str]:
    return [v.order_id for v in sorted((v for v in active(views, party) if v.status in OPEN
                                        and promised(v) and v.expected_fulfillment_date < today),
                                       key=lambda v: v.expected_fulfillment_date)]


def queues(views: list[OrderView], party: str | None, departments: list[str] | None, settings, today: date,
           kinds: tuple[str, ...]) -> dict[str, list[tuple[str, date | None, str]]]:
    """Queue key -> its entries (order id, due, note), in the order shown."""
    mine, found = active(views, party), {}
    for kind in kinds:
        if kind in ("deposit", "balance", "refunds"):  # issue 27: accounts receivable's, whatever the status
            entries = [(v.order_id, since, note) for v in views if visible(party, v)
                       for queue, since, note in money_due(v) if queue == kind]
            found[kind] = sorted(entries, key=lambda e: (e[1], e[0]))
        elif kind == "wo":
            by_department: dict[str, list] = {}
            completed = [v for v in views if v.status is OrderStatus.completed and visible(party, v)]  # issue 27
            for v in sorted(mine + completed, key=lambda v: v.received_at):
                for d in unacknowledged(v):
                    by_department.setdefault(d, []).append((v.order_id, v.expected_fulfillment_date, v.status.value))
            for d in (departments if departments is not None else sorted(by_department)):
                found[f"wo-{d}"] = by_department.get(d, [])
        elif kind == "calls":
            entries = [(v.order_id, due, f"try {v.feedback_call.unanswered + 1} of 2") for v in mine
                       if (due := call_due(v, settings.company_timezone, settings.company_holidays_country))]
            found["calls"] = sorted(entries, key=lambda e: (e[1], e[0]))
        elif kind == "arrived":
            entries = [(v.order_id, p.expected_fulfillment_date, f"from {p.department}: " + ", ".join(
                f"{r.quantity} x {r.sku}" for r in p.lines) + " arrived") for v in mine for p in arrived(v)]
            found["arrived"] = sorted(entries, key=lambda e: (e[1], e[0]))
        elif kind == "requests":
            entries = [(v.order_id, r.received_at.date(), f"request {r.number}: {r.message[:120]}") for v in mine
                       for r in v.requests if r.resolved_at is None]
            found["requests"] = sorted(entries, key=lambda e: (e[1], e[0]))
        elif kind == "incomplete":  # issue 28: customer service completes the form
            waiting = sorted((v for v in views if v.status is OrderStatus.incomplete and visible(party, v)),
                             key=lambda v: (v.form_expires_at is not None, v.form_expires_at, v.received_at,
                                            v.order_id))
            found["incomplete"] = [(v.order_id, v.form_expires_at.date() if v.form_expires_at else None, "; ".join(
                f"{p.label}: {p.message}" if p.label else str(p) for p in v.problems)) for v in waiting]
        else:
            entries = [(v.order_id, v.expected_fulfillment_date, "late" if state == LATE else "at risk") for v in mine
                       if (state := lateness(v, today, settings.at_risk_days)) is not None]
            found["late"] = sorted(entries, key=lambda e: (e[2] != "late", e[1], e[0]))
    return found
