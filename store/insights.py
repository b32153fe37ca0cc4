"""What the orders say about the process (the insights page, `GET /api/insights`, `orderly insights`): every figure
for a period, by SQL on the facts written with each order (`insight_rows.py`), in one read transaction.

A period is `from` to `to`, both days included (UTC days); without them, the twelve months up to today. `party`
scopes the figures to one manufacturer: its own parts, delays and lines, and the orders it has a part of.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from . import insights_customers as customers
from . import insights_fulfilment as fulfilment
from .insights_fulfilment import Period

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS = 3 * 366 + 1  # the longest period one page counts over


class PeriodError(ValueError):
    """A period that cannot be read: a malformed date, or `from` after `to`, or longer than `MAX_DAYS`."""


def period(start: str | None, end: str | None, today: date, party: str | None = None) -> Period:
    """The period `start`..`end` (YYYY-MM-DD, either may be omitted), or why it cannot be one."""
    def day(text: str | None, name: str) -> date | None:
        if text is None or not text.strip():
            return None
        try:
            if DAY.fullmatch(text.strip()):
                return date.fromisoformat(text.strip())
        except ValueError:
            pass
        raise PeriodError(f"{name}: {text[:40]!r} is not a date; use YYYY-MM-DD, e.g. {today.isoformat()}")

    last = day(end, "to") or today
    first = day(start, "from") or (last.replace(day=1) - timedelta(days=334)).replace(day=1)
    if first > last:
        raise PeriodError(f"from ({first}) is after to ({last})")
    if (last - first).days > MAX_DAYS:
        raise PeriodError(f"the period is longer than {MAX_DAYS} days; choose a shorter one")
    return Period(first, last, today, party)


def insights(engine: Engine, p: Period) -> dict[str, Any]:
    """Every figure of the period; a manufacturer's (`p.party`) without the customers' comments."""
    with engine.connect() as conn:
        return {"period": {"from": p.start.isoformat(), "to": p.end.isoformat(), "today": p.today.isoformat(),
                           "fulfiller": p.party},
                "promises": fulfilment.promises(conn, p), "delays": fulfilment.delays(conn, p),
                "lead_times": fulfilment.lead_times(conn, p), "form": customers.form(conn, p),
                "feedback": customers.feedback(conn, p, comments=p.party is None),
                "requests": customers.requests(conn, p)}
