"""The message log as staff see it (the CLI's `orderly outbox` and `orderly resend`, the staff console).

- `list_messages(engine, order_id=, status=, channel=, limit=, offset=)`: every delivery with its status
  (`sent`, `retrying`, `failed`, `resending`), attempts, last error and provider id, oldest first;
- `status_counts(engine)`: how many deliveries are in each status (e.g. a "3 failed" badge);
- `attempts_of(engine, key)`: every provider call for one delivery key, who asked and what happened;

The staff resend of a failed delivery is `channels.resend.resend` (it calls a provider; this module only reads).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.tables import MessageAttempt, MessageRecord

STATUSES = ("sent", "retrying", "failed", "resending")

__all__ = ["STATUSES", "attempts_of", "list_messages", "status_counts"]


def list_messages(engine: Engine, order_id: str | None = None, status: str | None = None,
                  channel: str | None = None, limit: int = 500, offset: int = 0) -> list[MessageRecord]:
    with Session(engine) as session:
        query = select(MessageRecord)
        if order_id:
            query = query.where(MessageRecord.order_id == order_id)
        if status:
            query = query.where(MessageRecord.status == status)
        if channel:
            query = query.where(MessageRecord.channel == channel)
        query = query.order_by(col(MessageRecord.created_at), col(MessageRecord.key)).offset(offset).limit(limit)
        return list(session.exec(query))


def status_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(MessageRecord.status, func.count()).group_by(MessageRecord.status))
        return {status: count for status, count in rows}


def attempts_of(engine: Engine, key: str) -> list[MessageAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(MessageAttempt).where(MessageAttempt.key == key)
                                 .order_by(col(MessageAttempt.id))))

