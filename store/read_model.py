"""Reads and idempotent writes of the read model: orders, their timeline, and the message log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.order import OrderView, TimelineEvent
from models.tables import MessageRecord, OrderRecord, TimelineRecord, utcnow

from .search import write_terms
from .upsert import insert_new, upsert


def save_order(engine: Engine, view: OrderView, events: list[TimelineEvent]) -> None:
    """Upsert the order's row and its search terms, and add the timeline events not stored yet (by sequence number),
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
        if events:
            conn.execute(insert_new(engine, TimelineRecord.__table__, ("order_id", "seq")),
                         [{"order_id": view.order_id, "seq": e.seq, "at": e.at, "kind": e.kind, "text": e.text,
                           "data": e.data} for e in events])


def list_orders(engine: Engine, status: str | None = None, limit: int = 50, offset: int = 0,
                visible: Callable[[dict], bool] | None = None, order_ids: Any = None) -> list[OrderRecord]:
    """Orders newest first; with `visible`, only the rows whose stored view it accepts (paged after filtering);
    with `order_ids` (ids, or a query giving them), only those orders."""
    with Session(engine) as session:
        query = select(OrderRecord)
        if order_ids is not None:
            query = query.where(col(OrderRecord.order_id).in_(order_ids))
        if status:
            query = query.where(OrderRecord.status == status)
        query = query.order_by(col(OrderRecord.received_at).desc())
        if visible is None:
            return list(session.exec(query.offset(offset).limit(limit)))
        return [row for row in session.exec(query) if visible(row.view)][offset:offset + limit]


def orders_in(engine: Engine, statuses: list[str]) -> list[OrderRecord]:
    """Every order in one of `statuses` (the staff queues' candidates), oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(OrderRecord).where(col(OrderRecord.status).in_(statuses))
                                 .order_by(col(OrderRecord.received_at))))


def timeline(engine: Engine, order_id: str) -> list[TimelineRecord]:
    with Session(engine) as session:
        return list(session.exec(select(TimelineRecord).where(TimelineRecord.order_id == order_id)
                                 .order_by(col(TimelineRecord.seq))))


def log_message(engine: Engine, record: MessageRecord) -> None:
    with Session(engine) as session:
        session.merge(record)
        session.commit()


def count_by_status(engine: Engine) -> dict[str, int]:
    """How many orders are in each status (for the staff console)."""
    with Session(engine) as session:
        rows = session.exec(select(OrderRecord.status, func.count()).group_by(OrderRecord.status))
        return {status: count for status, count in rows}
