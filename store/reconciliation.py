"""The read model's side of the reconciliation: orders whose workflow closed in Temporal without finishing.

A workflow that is terminated (or times out) runs no more code, so it cannot tell the read model; the reconciliation
job finds such orders and marks them here. Every write is idempotent: a pass run twice changes nothing more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from models.order import OrderStatus
from models.tables import JobMark, OrderRecord, TimelineRecord

from .upsert import upsert

FINISHED = (OrderStatus.completed.value, OrderStatus.cancelled.value, OrderStatus.expired.value,
            OrderStatus.terminated.value)


def last_pass(engine: Engine, job: str) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(JobMark.at).where(JobMark.name == job)).scalar_one_or_none()


def record_pass(engine: Engine, job: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(upsert(engine, JobMark.__table__, ("name", "at")), {"name": job, "at": at})


def unfinished(engine: Engine, order_ids: list[str]) -> list[OrderRecord]:
    """Of these orders, the ones the read model still shows as open."""
    if not order_ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(select(OrderRecord.__table__).where(OrderRecord.order_id.in_(order_ids),
                                                                OrderRecord.status.not_in(FINISHED)))
        return [OrderRecord(**row._mapping) for row in rows]


def mark_terminated(engine: Engine, order_id: str, text: str, at: datetime) -> bool:
    """Mark the order `terminated` with a timeline entry saying why; False if it already was (or is finished)."""
    with engine.begin() as conn:
        changed = conn.execute(update(OrderRecord).where(OrderRecord.order_id == order_id,
                                                         OrderRecord.status.not_in(FINISHED))
                               .values(status=OrderStatus.terminated.value, updated_at=at)).rowcount
        if changed:
            seq = conn.execute(select(func.coalesce(func.max(TimelineRecord.seq), 0))
                               .where(TimelineRecord.order_id == order_id)).scalar_one() + 1
            conn.execute(TimelineRecord.__table__.insert(), {"order_id": order_id, "seq": seq, "at": at,
                                                             "kind": "status:terminated", "text": text, "data": {}})
    return bool(changed)
