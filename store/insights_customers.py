"""The insights page's figures from the customer's side, by SQL on the facts `insight_rows.py` writes: the form
(arrived incomplete, fields most often missing by product type, time to completion, expired), feedback (ratings
over time, response rate by channel, latest comments, late against on-time orders) and customer requests. A
manufacturer (`Period.party`) counts the orders it has a part of (`order_parties`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from models.tables import InsightLine, InsightMissingField, InsightOrder, InsightRequest, OrderParty

from .insights_fulfilment import Period, count_if, share

ORDERS, MISSING, REQUESTS = InsightOrder.__table__, InsightMissingField.__table__, InsightRequest.__table__
LINES, PARTIES = InsightLine.__table__, OrderParty.__table__
COMMENTS, MISSING_ROWS = 10, 30
NOT_ACCEPTED = ""  # the product type of a field missing on an order never accepted (its lines never priced)


def scoped(column: Any, p: Period) -> list[Any]:
    """The orders a manufacturer has a part of, or every order."""
    if p.party is None:
        return []
    return [column.in_(select(PARTIES.c.order_id).where(PARTIES.c.party == p.party))]


def number(value: Any, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def form(conn: Connection, p: Period) -> dict[str, Any]:
    """Orders received in the period: the share whose form arrived incomplete, the days it took to complete, the
    share that expired; the fields most often missing, by product type (the first thing to fix in the form)."""
    t = ORDERS
    where = [t.c.received_on >= p.start, t.c.received_on <= p.end, *scoped(t.c.order_id, p)]
    orders, incomplete, expired, completed, days = conn.execute(select(
        func.count(), count_if(t.c.incomplete == True), count_if(t.c.expired == True),  # noqa: E712
        func.count(t.c.completion_days), func.avg(t.c.completion_days)).where(*where)).one()
    orders, incomplete, expired = int(orders or 0), int(incomplete or 0), int(expired or 0)
    m, line = MISSING, LINES
    product_type = func.coalesce(line.c.product_type, NOT_ACCEPTED)
    counted = func.count().label("n")
    query = (select(product_type, m.c.name, counted)
             .select_from(m.outerjoin(line, and_(line.c.order_id == m.c.order_id, line.c.line == m.c.line)))
             .where(m.c.received_on >= p.start, m.c.received_on <= p.end, *scoped(m.c.order_id, p))
             .group_by(product_type, m.c.name).order_by(counted.desc(), product_type, m.c.name).limit(MISSING_ROWS))
    return {"orders": orders, "incomplete": incomplete, "share_incomplete": share(incomplete, orders),
            "completed": int(completed or 0), "average_days_to_complete": number(days),
            "expired": expired, "share_expired": share(expired, orders),
            "missing_fields": [{"product_type": k, "field": name, "orders": n} for k, name, n in conn.execute(query)]}


def feedback(conn: Connection, p: Period, comments: bool = True) -> dict[str, Any]:
    """Ratings given in the period, by month (distribution and mean) and of late against on-time orders; the
    response rate by channel of the orders received in it; the latest comments with their orders."""
    t = ORDERS
    rated = [t.c.rated_on >= p.start, t.c.rated_on <= p.end, t.c.rating.is_not(None), *scoped(t.c.order_id, p)]
    months: dict[str, dict[int, int]] = defaultdict(dict)
    for key, rating, n in conn.execute(select(t.c.rated_month, t.c.rating, func.count()).where(*rated)
                                       .group_by(t.c.rated_month, t.c.rating)):
        months[key][int(rating)] = int(n)
    overall: dict[int, int] = defaultdict(int)
    for counts in months.values():
        for rating, n in counts.items():
            overall[rating] += n
    by_lateness = {"late" if late else "on_time": {"ratings": int(n), "mean": number(mean)}
                   for late, n, mean in conn.execute(select(t.c.late, func.count(), func.avg(t.c.rating))
                                                     .where(*rated).group_by(t.c.late))}
    received = [t.c.received_on >= p.start, t.c.received_on <= p.end, t.c.feedback_channel != "",
                *scoped(t.c.order_id, p)]
    channels = [{"channel": channel, "asked": int(asked), "answered": int(answered or 0),
                 "response_rate": share(int(answered or 0), int(asked))}
                for channel, asked, answered in conn.execute(
                    select(t.c.feedback_channel, func.count(), func.count(t.c.rating)).where(*received)
                    .group_by(t.c.feedback_channel).order_by(t.c.feedback_channel))]
    latest = []
    if comments:
        latest = [{"order_id": o, "rating": r, "comment": c, "on": d.isoformat()} for o, r, c, d in conn.execute(
            select(t.c.order_id, t.c.rating, t.c.comment, t.c.rated_on).where(*rated, t.c.comment != "")
            .order_by(t.c.rated_on.desc(), t.c.order_id.desc()).limit(COMMENTS))]
    return {"ratings": ratings(dict(overall)),
            "by_month": [{"key": k, **ratings(months[k])} for k in sorted(months)],
            "late": by_lateness.get("late", {"ratings": 0, "mean": None}),
            "on_time": by_lateness.get("on_time", {"ratings": 0, "mean": None}),
            "response_by_channel": channels, "latest_comments": latest}


def ratings(counts: dict[int, int]) -> dict[str, Any]:
    n = sum(counts.values())
    return {"count": n, "mean": round(sum(r * k for r, k in counts.items()) / n, 2) if n else None,
            "distribution": {str(r): counts.get(r, 0) for r in range(1, 6)}}


def requests(conn: Connection, p: Period) -> dict[str, Any]:
    """Customer requests received in the period, by month, and the days it took to resolve them."""
    t = REQUESTS
    where = [t.c.received_on >= p.start, t.c.received_on <= p.end, *scoped(t.c.order_id, p)]
    by_month = [{"key": k, "requests": int(n), "resolved": int(resolved or 0), "average_days_to_resolve": number(avg)}
                for k, n, resolved, avg in conn.execute(
                    select(t.c.month, func.count(), func.count(t.c.resolve_days), func.avg(t.c.resolve_days))
                    .where(*where).group_by(t.c.month).order_by(t.c.month))]
    total, resolved, average = conn.execute(select(func.count(), func.count(t.c.resolve_days),
                                                   func.avg(t.c.resolve_days)).where(*where)).one()
    return {"total": int(total or 0), "resolved": int(resolved or 0), "open": int(total or 0) - int(resolved or 0),
            "average_days_to_resolve": number(average), "by_month": by_month}
