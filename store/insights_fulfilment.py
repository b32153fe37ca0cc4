"""The insights page's fulfilment figures, by SQL on the facts `insight_rows.py` writes: promises kept, delays and
their reasons, lead times by product type. Each takes the period (`Period`) and the fulfiller it is scoped to
(`party`: a manufacturer sees its own parts only; None: every fulfiller)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from models.tables import InsightDelay, InsightLine, InsightPart

PARTS, LINES, DELAYS = InsightPart.__table__, InsightLine.__table__, InsightDelay.__table__
BUCKETS = ((0, 7), (8, 14), (15, 21), (22, 30), (31, 45), (46, 60), (61, None))  # lead-time days, inclusive
REASONS, ORDERS_PER_REASON = 20, 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    today: date
    party: str | None = None


def count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def promises(conn: Connection, p: Period) -> dict[str, Any]:
    """Parts due in the period (by the date first promised) that shipped, or are still open past it: the share
    shipped by that date, the average days late of those shipped after it, and how the customer heard of a miss."""
    t = PARTS
    late = or_(t.c.kept == False, and_(t.c.kept.is_(None), t.c.open == True))  # noqa: E712
    decided = or_(t.c.kept.is_not(None), and_(t.c.open == True, t.c.promised < p.today))  # noqa: E712
    where = [t.c.promised >= p.start, t.c.promised <= p.end, decided]
    if p.party is not None:
        where.append(t.c.fulfiller == p.party)
    figures = (func.count(), count_if(t.c.kept == True), count_if(t.c.kept == False),  # noqa: E712
               func.coalesce(func.sum(case((t.c.kept == False, t.c.days_late), else_=0)), 0),  # noqa: E712
               count_if(and_(late, t.c.told_before == True)), count_if(and_(late, t.c.told_by_timer == True)))  # noqa: E712

    query = select(t.c.fulfiller, t.c.month, *figures).where(*where).group_by(t.c.fulfiller, t.c.month)
    cells = [(fulfiller, month, [int(n or 0) for n in numbers]) for fulfiller, month, *numbers in conn.execute(query)]

    def summed(index: int) -> list[dict[str, Any]]:  # one scan of the period, summed by fulfiller or by month
        sums: dict[str, list[int]] = {}
        for cell in cells:
            sums[cell[index]] = [a + b for a, b in zip(sums.get(cell[index], [0] * 6), cell[2])]
        return [kept_row(key, *numbers) for key, numbers in sorted(sums.items())]

    by_fulfiller, by_month = summed(0), summed(1)
    total = kept_row("", *(sum(r[k] for r in by_fulfiller) for k in ("parts", "kept", "shipped_late",
                                                                      "days_late_total", "told_before",
                                                                      "told_by_timer_only")))
    return {"total": total, "by_fulfiller": by_fulfiller, "by_month": by_month}


def kept_row(key: str, parts: int, kept: int, shipped_late: int, days_late: int, told_before: int,
             by_timer: int) -> dict[str, Any]:
    parts, kept, shipped_late, days_late = int(parts or 0), int(kept or 0), int(shipped_late or 0), int(days_late or 0)
    return {"key": key, "parts": parts, "kept": kept, "late": parts - kept, "share_kept": share(kept, parts),
            "shipped_late": shipped_late, "days_late_total": days_late,
            "average_days_late": round(days_late / shipped_late, 2) if shipped_late else None,
            "told_before": int(told_before or 0), "told_by_timer_only": int(by_timer or 0)}


def delays(conn: Connection, p: Period) -> dict[str, Any]:
    """Delays staff reported in the period, by fulfiller and by month, and their reasons as typed, most frequent
    first, each with the orders it was given for (the latest first)."""
    t = DELAYS
    where = [t.c.day >= p.start, t.c.day <= p.end] + ([t.c.fulfiller == p.party] if p.party is not None else [])
    counted = func.count().label("n")
    by_fulfiller = [{"key": k, "delays": n} for k, n in conn.execute(
        select(t.c.fulfiller, counted).where(*where).group_by(t.c.fulfiller).order_by(t.c.fulfiller))]
    by_month = [{"key": k, "delays": n} for k, n in conn.execute(
        select(t.c.month, counted).where(*where).group_by(t.c.month).order_by(t.c.month))]
    top = list(conn.execute(select(t.c.reason, counted).where(*where).group_by(t.c.reason)
                            .order_by(counted.desc(), t.c.reason).limit(REASONS)))
    orders: dict[str, list[str]] = defaultdict(list)
    if top:
        latest = func.max(t.c.day).label("latest")
        query = (select(t.c.reason, t.c.order_id, latest).where(*where, t.c.reason.in_([r for r, _ in top]))
                 .group_by(t.c.reason, t.c.order_id).order_by(t.c.reason, latest.desc(), t.c.order_id))
        for reason, order_id, _ in conn.execute(query):
            if len(orders[reason]) < ORDERS_PER_REASON:
                orders[reason].append(order_id)
    return {"total": sum(r["delays"] for r in by_fulfiller), "by_fulfiller": by_fulfiller, "by_month": by_month,
            "reasons": [{"reason": r, "delays": n, "orders": orders[r]} for r, n in top]}


def lead_times(conn: Connection, p: Period) -> list[dict[str, Any]]:
    """Days from acceptance to the date promised and to shipment, by product type, of the lines accepted in the
    period: count, mean, median, 90th percentile and the distribution in week-sized buckets."""
    t = LINES
    where = [t.c.accepted_on >= p.start, t.c.accepted_on <= p.end]
    if p.party is not None:
        where.append(t.c.fulfiller == p.party)
    found: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: {"promised": {}, "actual": {}})
    query = (select(t.c.product_type, t.c.promised_days, t.c.actual_days, func.count()).where(*where)
             .group_by(t.c.product_type, t.c.promised_days, t.c.actual_days))  # one scan of the period
    for product_type, promised, actual, n in conn.execute(query):
        days = found[product_type]
        days["promised"][int(promised)] = days["promised"].get(int(promised), 0) + int(n)
        if actual is not None:
            days["actual"][int(actual)] = days["actual"].get(int(actual), 0) + int(n)
    return [{"product_type": product_type, "promised": distribution(days["promised"]),
             "actual": distribution(days["actual"])} for product_type, days in sorted(found.items())]


def distribution(counts: dict[int, int]) -> dict[str, Any]:
    n = sum(counts.values())
    if not n:
        return {"count": 0, "mean": None, "median": None, "p90": None, "buckets": bucketed(counts)}
    ordered = sorted(counts.items())

    def quantile(q: float) -> int:
        seen, wanted = 0, q * n
        for days, k in ordered:
            seen += k
            if seen >= wanted:
                return days
        return ordered[-1][0]

    return {"count": n, "mean": round(sum(d * k for d, k in ordered) / n, 2), "median": quantile(0.5),
            "p90": quantile(0.9), "buckets": bucketed(counts)}


def bucketed(counts: dict[int, int]) -> list[dict[str, Any]]:
    return [{"label": f"{low}-{high}" if high is not None else f"{low}+",
             "count": sum(k for d, k in counts.items() if d >= low and (high is None or d <= high))}
            for low, high in BUCKETS]

