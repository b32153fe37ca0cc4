"""Reads and idempotent writes of the read model: orders, their timeline, and the message log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.order import OrderView, TimelineEvent
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
                party: str | None = None, order_ids: Any = None, after: Key | None = None) -> list[OrderRecord]:
    """Orders newest first (by `received_at`, then order number), one index range each: with `party`, only the
    orders it may see (`order_parties`); with `order_ids` (ids, or a query giving them), only those orders; with
    `after`, those after that position (keyset paging: no rows skipped over), else from `offset`."""
    with Session(engine) as session:
        if party is None:
            at, number, state = OrderRecord.received_at, OrderRecord.order_id, OrderRecord.status
            query = select(OrderRecord)
        else:
            at, number, state = OrderParty.received_at, OrderParty.order_id, OrderParty.status
            query = (select(OrderRecord).join(OrderParty, col(OrderParty.order_id) == OrderRecord.order_id)
                     .where(OrderParty.party == party))
        if order_ids is not None:
            query = query.where(col(number).in_(order_ids))
        if status:
            query = query.where(state == status)
        if after is not None:
            query = query.where(tuple_(at, number) < tuple_(*after))
        query = query.order_by(col(at).desc(), col(number).desc())
        return list(session.exec(query.offset(0 if after else offset).limit(limit)))


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


def count_by_status(engine: Engine, party: str | None = None) -> dict[str, int]:
    """How many orders are in each status (for the staff console); with `party`, of the orders it may see."""
    table = OrderRecord if party is None else OrderParty
    with Session(engine) as session:
        query = select(table.status, func.count()).group_by(table.status)
        if party is not None:
            query = query.where(OrderParty.party == party)
        return {status: count for status, count in session.exec(query)}
