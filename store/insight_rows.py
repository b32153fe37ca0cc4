"""The facts the insights page counts (`store/insights.py`), written with the order (`read_model.save_order`) in the
same transaction, from the order's view and the events of its stored timeline that say what the view forgets:

- `insight_parts`: each part against the date first promised (kept or how late; told of a delay before it, or only
  by the lateness timer);
- `insight_lines`: each line's lead time, promised and actual, by product type;
- `insight_delays`: each delay staff reported (its reason and the parts it moved), from the timeline;
- `insight_orders`: the form (arrived incomplete, days to complete it, expired), late or not, and the feedback;
- `insight_requests`: each customer request and the days it took to resolve;
- `insight_missing_fields`: each field the form arrived without. The form's problems leave the view once it is
  complete, so these rows are kept once seen (never rewritten); every other table is rewritten whole on every save,
  so a retried write leaves exactly the same rows.

Dates are UTC days; a month is its `YYYY-MM`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from models.order import OrderStatus, OrderView
from models.parts import Part
from models.tables import (InsightDelay, InsightLine, InsightMissingField, InsightOrder, InsightPart, InsightRequest,
                           TimelineRecord)

from .upsert import insert_new

OPEN = (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped, OrderStatus.partially_delivered)
DELAYS = ("status:delayed", "delayed")  # a delay staff reported carries its reason; the lateness timer's none
KINDS = (*DELAYS, "form_completed", "status:incomplete")
REWRITTEN = (InsightPart, InsightLine, InsightDelay, InsightOrder, InsightRequest)
LINE = re.compile(r"^lines\[(\d+)\]\.(?:options\.)?(.+)$")


class Event:
    """A timeline event the facts need: when, what, and its data."""

    def __init__(self, seq: int, at: datetime, kind: str, data: dict[str, Any] | None) -> None:
        self.seq, self.at, self.kind, self.data = seq, at, kind, data or {}

    @property
    def day(self) -> date:
        return utc(self.at).date()


def utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def month(day: date) -> str:
    return f"{day:%Y-%m}"


def days_between(start: datetime, end: datetime) -> float:
    return round((utc(end) - utc(start)).total_seconds() / 86400, 2)


def delays(view: OrderView, events: Iterable[Event]) -> list[dict[str, Any]]:
    """Each delay staff reported, a row for each part it moved (a delay of the whole order moved every part)."""
    everyone = [p.department for p in view.parts]
    return [{"order_id": view.order_id, "seq": e.seq, "fulfiller": department, "day": e.day, "month": month(e.day),
             "reason": str(e.data["reason"])[:500]}
            for e in events if e.kind in DELAYS and e.data.get("reason")
            for department in dict.fromkeys(e.data.get("departments") or everyone)]


def shipped_on(view: OrderView, part: Part) -> date | None:
    """The day the last of the part's lines left (none while any is still to ship)."""
    wanted = {ref.line: ref.quantity for ref in part.lines}
    for shipment in sorted(view.shipments, key=lambda s: s.number or 0):
        for ref in shipment.lines or []:
            if ref.line in wanted:
                wanted[ref.line] -= ref.quantity
        if all(left <= 0 for left in wanted.values()):
            return utc(shipment.shipped_at).date() if shipment.shipped_at else view.received_at.date()
    return None


def parts(view: OrderView, delay_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for part in view.parts:
        promised, shipped = part.original_fulfillment_date, shipped_on(view, part)
        told_before = any(d["fulfiller"] == part.department and d["day"] <= promised for d in delay_rows)
        late = shipped is not None and shipped > promised
        rows.append({"order_id": view.order_id, "fulfiller": part.department, "promised": promised,
                     "month": month(promised), "shipped_on": shipped, "kept": None if shipped is None else not late,
                     "days_late": None if shipped is None else max(0, (shipped - promised).days),
                     "open": shipped is None and view.status in OPEN, "told_before": told_before,
                     "told_by_timer": part.late_for is not None and not told_before})
    return rows


def accepted_on(view: OrderView, events: list[Event]) -> date:
    completed = [e for e in events if e.kind == "form_completed"]
    return completed[-1].day if completed else utc(view.received_at).date()


def lines(view: OrderView, events: list[Event], part_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not view.parts:
        return []
    accepted = accepted_on(view, events)
    by_department = {p.department: p for p in view.parts}
    shipped = {row["fulfiller"]: row["shipped_on"] for row in part_rows}
    rows = []
    for i, line in enumerate(view.lines):
        part = by_department.get(line.fulfiller)
        if part is None:
            continue
        done = shipped.get(line.fulfiller)
        rows.append({"order_id": view.order_id, "line": i, "fulfiller": line.fulfiller,
                     "product_type": (line.product_type or line.sku)[:64], "accepted_on": accepted,
                     "promised_days": (part.original_fulfillment_date - accepted).days,
                     "actual_days": None if done is None else (done - accepted).days})
    return rows


def order(view: OrderView, events: list[Event], part_rows: list[dict[str, Any]]) -> dict[str, Any]:
    received = utc(view.received_at).date()
    incomplete = bool(view.problems) or any(e.kind == "status:incomplete" for e in events)
    completed = [e for e in events if e.kind == "form_completed"]
    feedback, call = view.feedback, view.feedback_call
    asked = call is not None or feedback is not None or view.status is OrderStatus.completed
    rated = utc(feedback.received_at).date() if feedback and feedback.received_at else (
        received if feedback else None)
    return {"order_id": view.order_id, "received_on": received, "month": month(received), "incomplete": incomplete,
            "completion_days": days_between(view.received_at, completed[-1].at) if incomplete and completed else None,
            "expired": view.status is OrderStatus.expired,
            "late": any(r["kept"] is False or r["told_by_timer"] for r in part_rows),
            "feedback_channel": ("call" if call is not None else "survey") if asked else "",
            "rating": feedback.rating if feedback else None, "comment": feedback.comment[:2000] if feedback else "",
            "rated_on": rated, "rated_month": month(rated) if rated else None}


def requests(view: OrderView) -> list[dict[str, Any]]:
    return [{"order_id": view.order_id, "number": r.number, "received_on": utc(r.received_at).date(),
             "month": month(utc(r.received_at).date()),
             "resolve_days": days_between(r.received_at, r.resolved_at) if r.resolved_at else None}
            for r in view.requests]


def missing_fields(view: OrderView) -> list[dict[str, Any]]:
    rows = {}
    for problem in view.problems:
        if problem.kind != "missing":
            continue
        found = LINE.match(problem.field)
        rows[problem.field] = {"order_id": view.order_id, "field": problem.field[:200],
                               "name": (found.group(2) if found else problem.field)[:200],
                               "line": int(found.group(1)) if found else -1,
                               "received_on": utc(view.received_at).date()}
    return list(rows.values())


def facts(view: OrderView, events: list[Event]) -> dict[type, list[dict[str, Any]]]:
    """Every rewritten table's rows for the order, from its view and its timeline's events (`KINDS`)."""
    delay_rows = delays(view, events)
    part_rows = parts(view, delay_rows)
    return {InsightPart: part_rows, InsightLine: lines(view, events, part_rows), InsightDelay: delay_rows,
            InsightOrder: [order(view, events, part_rows)], InsightRequest: requests(view)}


def stored_events(conn: Connection, order_id: str) -> list[Event]:
    t = TimelineRecord.__table__
    query = (select(t.c.seq, t.c.at, t.c.kind, t.c.data).where(t.c.order_id == order_id, t.c.kind.in_(KINDS))
             .order_by(t.c.seq))
    return [Event(*row) for row in conn.execute(query)]


def write_insight_rows(conn: Connection, engine: Engine | Connection, view: OrderView) -> None:
    """Make the order's insight rows those of `view` and its stored timeline (inside the read model's write
    transaction, after the new timeline events are in); add the fields its form is missing now."""
    for table, rows in facts(view, stored_events(conn, view.order_id)).items():
        conn.execute(delete(table.__table__).where(table.__table__.c.order_id == view.order_id))
        if rows:
            conn.execute(table.__table__.insert(), rows)
    if missing := missing_fields(view):
        conn.execute(insert_new(engine, InsightMissingField.__table__, ("order_id", "field")), missing)
