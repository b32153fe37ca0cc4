"""The send log: one row per delivery key (`messages`) and one per provider call (`message_attempts`).

It is read before a provider is called and written after it answered, so a retried activity finds the key and does
not send again (`activities/delivery.py`), and staff can see and resend what failed (`channels/resend.py`).

Each row keeps a hash of what it carried. A message whose key was used before for *other* content (a workflow reset
to before a shipment and shipped again with another carrier) is not the same message: it goes out as a new revision
of its key, `<key>~2` (then `~3`, ...), and the same content again is still skipped (`key_for`).
"""

from __future__ import annotations

import time

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from models.messages import Delivery, Outgoing, revision_of
from models.tables import MessageAttempt, MessageRecord, utcnow

from .upsert import upsert

FINAL = ("sent", "failed", "resending")  # a key in one of these is not delivered again by the worker

RECORD_ATTEMPT = insert(MessageAttempt.__table__)
FIND = select(MessageRecord.__table__).where(MessageRecord.__table__.c.key == bindparam("key"))


def find(engine: Engine, key: str) -> MessageRecord | None:
    with engine.connect() as conn:
        row = conn.execute(FIND, {"key": key}).one_or_none()
    return None if row is None else MessageRecord(**row._mapping)


def key_for(engine: Engine, out: Outgoing) -> tuple[Outgoing, MessageRecord | None]:
    """The delivery under the key its content goes out under, and that key's row if it has one: its own key, unless
    that key carried other content, then the first revision (`~2`, `~3`, ...) that is free or carries this very
    content. A row without a hash (logged before hashes were kept) counts as the same content."""
    found, number = find(engine, out.key), 1
    revised = out
    while found is not None and found.content_hash and out.content_hash and found.content_hash != out.content_hash:
        number += 1
        revised = revision_of(out, number)
        found = find(engine, revised.key)
    return revised, found


def as_delivery(row: MessageRecord, duplicate: bool) -> Delivery:
    return Delivery(key=row.key, channel=row.channel, recipient=row.recipient, status=row.status,
                    provider_id=row.provider_id, duplicate=duplicate, error=row.last_error)


def record(engine: Engine, out: Outgoing, status: str, *, outcome: str, by: str, provider_id: str = "",
           error: str = "") -> MessageRecord:
    """Write the delivery's row (inserted, or updated with one more attempt) and its attempt in one transaction."""
    now = utcnow()
    values = {"key": out.key, "order_id": out.order_id, "kind": out.kind, "channel": out.channel,
              "recipient": out.recipient, "subject": out.subject, "text": out.text, "html": out.html,
              "content_hash": out.content_hash,
              "created_at": now, "attempts": 1, "status": status, "last_error": error, "updated_at": now,
              "provider_id": provider_id if status == "sent" else "", "sent_at": now if status == "sent" else None}
    changed = {"status", "last_error", "updated_at", "attempts"} | ({"provider_id", "sent_at"} if status == "sent"
                                                                   else set())
    messages = MessageRecord.__table__
    with engine.begin() as conn:
        row = conn.execute(upsert(engine, messages, tuple(values), keep=tuple(sorted(set(values) - changed)),
                                  increment=("attempts",), returning=True), values).one()
        conn.execute(RECORD_ATTEMPT, {"key": out.key, "at": now, "outcome": outcome,
                                      "detail": provider_id or error, "by": by})
    return MessageRecord(**row._mapping)


def record_patiently(engine: Engine, patience: float, out: Outgoing, status: str, **fields) -> MessageRecord:
    """`record`, retried for `patience` seconds (ORDERLY_SEND_LOG_PATIENCE) when the database is unreachable: the
    provider has already accepted the message, so giving up now would mean sending it again on a retry."""
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return record(engine, out, status, **fields)
        except OperationalError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
