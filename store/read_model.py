"""Reads and idempotent writes of the read model: orders, their timeline, and the message log."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import bindparam, func, literal, select as sa_select, tuple_, union_all
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.order import OrderStatus, OrderView, TimelineEvent
from models.tables import MessageRecord, OrderParty, OrderRecord, TimelineRecord, utcnow

from .insight_rows import write_insight_rows
from .queue_rows import write_rows

from .search import write_terms
from .upsert import insert_new, upsert


def save_order(engine: Engine, view: OrderView, events: list[TimelineEvent]) -> None:
    """Upsert the order's row, its search terms, who may see it and its queue entries (`queue_rows.py`), add the
    timeline events not stored yet (by sequence number), and rewrite the insights page's facts (`insight_rows.py`),
    in one transaction.

    Safe to run twice with the same input: a retried activity never duplicates a row or a timeline entry.
    """
    order = {"order_id": view.order_id, "received_at": view.received_at, "status": view.status.value,
             "channel": view.channel.value, "customer_name": view.customer.name,
             "customer_email": view.customer.email, "total": str(view.total), "currency": view.currency,
             "expected_fulfillment_date": view.expected_fulfillment_date, "shipped": bool(view.shipments),
             "feedback_rating": view.feedback.rating if view.feedback else None,
             "view": view.model_dump(mode="json", exclude={"timeline"}), "updated_at": utcnow()}
    with engine.begin() as conn:
        conn.execute(upsert(engine, OrderRecord.__table__, tuple(order), keep=("received_at",)), order)
        write_terms(conn, engine, view.order_id, order["view"])
        write_rows(conn, view)
        if events:
            conn.execute(insert_new(engine, TimelineRecord.__table__, ("order_id", "seq")),
                         [{"order_id": view.order_id, "seq": e.seq, "at": e.at, "kind": e.kind, "text": e.text,
                           "data": e.data} for e in events])
        write_insight_rows(conn, engine, view)  # after the events: its facts read the stored timeline


Key = tuple[datetime, str]  # a keyset position: (received_at, order_id) of the last row of the page before


def list_orders(engine: Engine, status: str | None = None, limit: int = 50, offset: int = 0,
                party: str | None = None, order_ids: Collection[str] | None = None,
                where: Callable[[Any], Any] | None = None, after: Key | None = None) -> list[OrderRecord]:
    """Orders newest first (by `received_at`, then order number): with `party`, only the orders it may see
    (`order_parties`); with `after`, those after that position (keyset paging: no rows skipped over), else from
    `offset`; with `where`, those whose order number it accepts (a condition on the order-number column).

    The page's order numbers are found first, from an index alone — `orders` for staff, `order_parties` for a
    party (an offset steps over index entries, never over orders with their views) — and then only those orders are
    read. With `order_ids` (a few hundred at most: a search's matches) the page is made from those orders alone."""
    table = OrderRecord.__table__ if party is None or order_ids is not None else OrderParty.__table__
    at, number = table.c.received_at, table.c.order_id
    page = sa_select(number)
    if party is not None:
        parties = OrderParty.__table__
        page = page.where(parties.c.party == party if table is parties else sa_select(parties.c.order_id).where(
            parties.c.order_id == number, parties.c.party == party).exists())
    if order_ids is not None:
        page = page.where(number.in_(list(order_ids)))
    if where is not None:
        page = page.where(where(number))
    if status:
        page = page.where(table.c.status == status)
    if after is not None:
        page = page.where(tuple_(at, number) < tuple_(*after))
    page = page.order_by(at.desc(), number.desc()).offset(0 if after else offset).limit(limit)
    with Session(engine) as session:
        ids = list(session.connection().execute(page).scalars())
        found = session.exec(select(OrderRecord).where(col(OrderRecord.order_id).in_(ids))) if ids else []
        rows = {row.order_id: row for row in found}
    return [rows[i] for i in ids if i in rows]


def key_of(row: OrderRecord) -> Key:
    return row.received_at, row.order_id


def timeline(engine: Engine, order_id: str) -> list[TimelineRecord]:
    with Session(engine) as session:
        return list(session.exec(select(TimelineRecord).where(TimelineRecord.order_id == order_id)
                                 .order_by(col(TimelineRecord.seq))))


def log_message(engine: Engine, record: MessageRecord) -> None:
    with Session(engine) as session:
        session.merge(record)
        session.commit()


def count_by_status(engine: Engine, party: str | None = None, cap: int | None = None) -> dict[str, int]:
    """How many orders are in each status (for the staff console); with `party`, of the orders it may see. With
    `cap`, each status is counted up to `cap + 1` only (an index range of at most that many entries, whatever the
    size of the history): a count above `cap` means "more than `cap`"."""
    with engine.connect() as conn:
        return {status: n for status, n in conn.execute(_counting(party is not None, cap), {"party": party}) if n}


@lru_cache(maxsize=None)
def _counting(by_party: bool, cap: int | None):  # noqa: ANN202  (built once: the capped form is eleven subqueries)
    table = OrderParty.__table__ if by_party else OrderRecord.__table__
    scoped = (table.c.party == bindparam("party"),) if by_party else ()
    if cap is None:
        return sa_select(table.c.status, func.count()).where(*scoped).group_by(table.c.status)
    return union_all(*(sa_select(literal(s.value).label("status"), func.count().label("n")).select_from(
        sa_select(literal(1)).select_from(table).where(*scoped, table.c.status == s.value).limit(cap + 1).subquery())
        for s in OrderStatus))
