"""The message log as staff see it (the CLI's `orderly outbox` and `orderly resend`, the staff console).

- `list_messages(engine, order_id=, status=, channel=, limit=, offset=)`: every delivery with its status
  (`sent`, `retrying`, `failed`, `resending`), attempts, last error and provider id, oldest first;
- `status_counts(engine)`: how many deliveries are in each status (e.g. a "3 failed" badge);
- `attempts_of(engine, key)`: every provider call for one delivery key, who asked and what happened;
- `resend(engine, settings, key, by)`: a staff resend of a failed delivery. It is a direct call, not a workflow
  update: it works for orders that have closed, runs in the caller's process with the same settings as the worker,
  and is at most once per click (the row is claimed before the provider is called). It blocks for one provider
  call (at most `ORDERLY_MAIL_TIMEOUT` / `ORDERLY_WEBHOOK_TIMEOUT` seconds): call it from a thread in async code.
  Raises `ResendRefused` (`kind` not_found or refused) with the reason; a failed new attempt is returned, not raised.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.messages import Delivery
from models.settings import Settings
from models.tables import MessageAttempt, MessageRecord

from .message_delivery import Channels, ResendRefused, resend_message

STATUSES = ("sent", "retrying", "failed", "resending")

__all__ = ["STATUSES", "ResendRefused", "attempts_of", "list_messages", "resend", "status_counts"]


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


def resend(engine: Engine, settings: Settings, key: str, by: str) -> Delivery:
    if problems := settings.channel_problems():
        raise ResendRefused("refused", "the message channels are not configured here: " + "; ".join(problems))
    return resend_message(engine, Channels(settings), key, by)
