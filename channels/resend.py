"""The staff resend of a failed message: a new attempt under the same key, logged with who asked.

It is a direct call from the CLI, the API or the staff console, not a workflow update: it works for orders that
have closed, runs in the caller's process with the same settings as the worker, and is at most once per click (the
row is claimed before the provider is called). It blocks for one provider call (at most `ORDERLY_MAIL_TIMEOUT` /
`ORDERLY_WEBHOOK_TIMEOUT` seconds): call it from a thread in async code.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.messages import Delivery, Outgoing
from models.settings import Settings
from models.tables import MessageRecord, utcnow
from store.send_log import find, record

from .sending import Channels, attempt

STALE_RESEND = timedelta(minutes=10)  # a resend claim older than this (its process died) can be taken again


class ResendRefused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # not_found or refused
        self.message = message


def resend(engine: Engine, settings: Settings, key: str, by: str) -> Delivery:
    """Resend with this process's channels (from settings). Raises `ResendRefused` (`kind` not_found or refused)
    with the reason; a failed new attempt is returned, not raised."""
    if problems := settings.channel_problems():
        raise ResendRefused("refused", "the message channels are not configured here: " + "; ".join(problems))
    return resend_message(engine, Channels(settings), key, by)


def resend_message(engine: Engine, channels: Channels, key: str, by: str) -> Delivery:
    """Refused for an unknown key, a message already sent, or one still being retried or resent."""
    row = find(engine, key)
    if row is None:
        raise ResendRefused("not_found", f"No message with key {key!r} in the send log")
    if row.status == "sent":
        raise ResendRefused("refused", f"{key} was already sent at {row.sent_at:%Y-%m-%d %H:%M:%S} UTC; "
                                       "a sent message is not sent again")
    now = utcnow()
    with Session(engine) as session:
        claimed = session.exec(update(MessageRecord).where(
            MessageRecord.key == key,
            or_(MessageRecord.status == "failed",
                (MessageRecord.status == "resending") & (MessageRecord.updated_at < now - STALE_RESEND)))
            .values(status="resending", updated_at=now))
        session.commit()
    if claimed.rowcount != 1:
        state = "being resent right now" if row.status == "resending" else (
            "still being retried automatically" if row.status == "retrying" else row.status)
        raise ResendRefused("refused", f"{key} is {state}; only a failed message can be resent")
    out = Outgoing(key=row.key, message_key=row.key.split("#", 1)[0], channel=row.channel, order_id=row.order_id,
                   kind=row.kind, recipient=row.recipient, subject=row.subject, text=row.text, html=row.html)
    try:
        return attempt(engine, channels, out, by=f"staff:{by}" if by else "staff", last_try=True)
    except BaseException:
        record(engine, out, "failed", outcome="transient", by=f"staff:{by}", error="the resend was interrupted")
        raise
