"""Delivering one message through one channel at most once per key, with the send log around the provider call.

The log (`messages` table) is checked before the provider is called and written after it answered: a retried or
re-run activity finds the key and does not call the provider again. Every provider call is also appended to
`message_attempts`. The one window nothing can close is between the provider accepting a message and the log
write: a crash there sends that message again on retry (with the same Message-ID, SendGrid `orderly_key` or webhook
`Idempotency-Key`, so the receiver can tell it is a repeat).

`resend_message` is the staff resend: a direct call (from the CLI or the staff console), not through the order's
workflow, so it also works for orders that have closed. It claims the failed row first, so two clicks send once.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from temporalio import activity

from models.messages import EMAIL, Delivery, OutgoingEmail
from models.settings import Settings
from models.tables import MessageAttempt, MessageRecord, utcnow

from .fault_injection import crash_point
from .mailer import Mailer, PermanentDeliveryError, TransientDeliveryError, build_mailer
from .upsert import upsert
from .webhooks import WebhookSender

FINAL = ("sent", "failed", "resending")
REMEMBER_AFTER = 1.0  # seconds a log write may take before the send is remembered in a heartbeat anyway
STALE_RESEND = timedelta(minutes=10)  # a resend claim older than this (its process died) can be taken again


@dataclass
class Outgoing:
    """One delivery: a message through one channel to one recipient (an address, or a webhook URL)."""

    key: str            # the send-log row: the message key, `#webhook` added for a webhook
    message_key: str    # order/kind/recipient/revision: the Idempotency-Key, the SendGrid custom argument
    channel: str
    order_id: str
    kind: str
    recipient: str
    subject: str
    text: str           # the plain-text part, or a webhook's JSON body
    html: str = ""


class Channels:
    """The providers one process delivers through: the configured mailer and the webhook sender."""

    def __init__(self, settings: Settings, mailer: Mailer | None = None) -> None:
        self.settings = settings
        self.mailer = mailer or build_mailer(settings)
        self.webhooks = WebhookSender(settings.webhook_secret.get_secret_value(), settings.webhook_timeout)

    def call(self, out: Outgoing) -> str:
        if out.channel == EMAIL:
            return self.mailer.send(OutgoingEmail(key=out.message_key, kind=out.kind, order_id=out.order_id,
                                                  to=out.recipient, sender=self.settings.mail_from,
                                                  subject=out.subject, text=out.text, html=out.html))
        return self.webhooks.post(out.recipient, out.text.encode(), out.message_key)


RECORD_ATTEMPT = insert(MessageAttempt.__table__)
FIND = select(MessageRecord.__table__).where(MessageRecord.__table__.c.key == bindparam("key"))


def find(engine: Engine, key: str) -> MessageRecord | None:
    with engine.connect() as conn:
        row = conn.execute(FIND, {"key": key}).one_or_none()
    return None if row is None else MessageRecord(**row._mapping)


def as_delivery(row: MessageRecord, duplicate: bool) -> Delivery:
    return Delivery(key=row.key, channel=row.channel, recipient=row.recipient, status=row.status,
                    provider_id=row.provider_id, duplicate=duplicate, error=row.last_error)


def record(engine: Engine, out: Outgoing, status: str, *, outcome: str, by: str, provider_id: str = "",
           error: str = "") -> MessageRecord:
    """Write the delivery's row (inserted, or updated with one more attempt) and its attempt in one transaction."""
    now = utcnow()
    values = {"key": out.key, "order_id": out.order_id, "kind": out.kind, "channel": out.channel,
              "recipient": out.recipient, "subject": out.subject, "text": out.text, "html": out.html,
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


def attempt(engine: Engine, channels: Channels, out: Outgoing, *, by: str, last_try: bool) -> Delivery:
    """Call the provider once and log what happened. A transient failure raises (to be retried) unless this is the
    last try, when it is logged as failed like a permanent one."""
    crash_point("before_send", out.kind, out.channel)
    try:
        provider_id = channels.call(out)
    except TransientDeliveryError as e:
        row = record(engine, out, "failed" if last_try else "retrying", outcome="transient", by=by, error=str(e))
        if last_try:
            return as_delivery(row, duplicate=False)
        raise
    except PermanentDeliveryError as e:
        return as_delivery(record(engine, out, "failed", outcome="permanent", by=by, error=str(e)), duplicate=False)
    crash_point("after_send", out.kind, out.channel)
    with remembered_if_slow(out.key, provider_id):
        row = record_patiently(engine, channels, out, "sent", outcome="sent", by=by, provider_id=provider_id)
    crash_point("after_log", out.kind, out.channel)
    return as_delivery(row, duplicate=False)


def deliver_once(engine: Engine, channels: Channels, out: Outgoing, *, last_try: bool = False) -> Delivery:
    """Deliver unless the log already has this key sent (or given up, or being resent by staff), or an earlier
    attempt of this activity saw the provider accept it before its log write failed (see `sent_before`)."""
    earlier = find(engine, out.key)
    if earlier is not None and earlier.status in FINAL:
        return as_delivery(earlier, duplicate=True)
    if (provider_id := sent_before(out.key)) is not None:
        row = record_patiently(engine, channels, out, "sent", outcome="sent", by="worker", provider_id=provider_id)
        return as_delivery(row, duplicate=True)
    return attempt(engine, channels, out, by="worker", last_try=last_try)


def sent_before(key: str) -> str | None:
    """The provider id an earlier attempt of this activity recorded (as heartbeat details) for `key`, if any."""
    if not activity.in_activity():
        return None
    details = activity.info().heartbeat_details
    sent = details[0] if details and isinstance(details[0], dict) else {}
    return sent.get(key)


def remember_sent(key: str, provider_id: str) -> None:
    """Record with the Temporal server that the provider accepted `key`: if the log write then fails for good (the
    database is down), the activity's retry finds it in its heartbeat details and does not send the message again."""
    if not activity.in_activity():
        return
    details = activity.info().heartbeat_details
    sent = dict(details[0]) if details and isinstance(details[0], dict) else {}
    sent[key] = provider_id  # an earlier delivery of this attempt (email before webhook) is already logged
    activity.heartbeat(sent)


@contextmanager
def remembered_if_slow(key: str, provider_id: str, after: float = REMEMBER_AFTER) -> Iterator[None]:
    """Around the log write after the provider accepted `key`: if the write fails, or has not finished within
    `after` seconds (a database that hangs rather than refuses), remember the send in a heartbeat first.

    A heartbeat is a write on the Temporal server, so it is spent only when the log write is in trouble: the
    common case, a log write that succeeds at once, costs the server nothing. Only a worker crash between the
    provider's answer and the log write (or, for a slow write, the first `after` seconds of it) remains open."""
    if not activity.in_activity():
        yield
        return
    context, fired = contextvars.copy_context(), threading.Event()

    def remember() -> None:
        context.run(remember_sent, key, provider_id)
        fired.set()
    watchdog = threading.Timer(after, remember)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    except BaseException:
        watchdog.cancel()
        if not fired.is_set():  # (a heartbeat sent twice in a race carries the same details)
            remember_sent(key, provider_id)
        raise
    finally:
        watchdog.cancel()


def record_patiently(engine: Engine, channels: Channels, out: Outgoing, status: str, **fields) -> MessageRecord:
    """`record`, retried for a while (ORDERLY_SEND_LOG_PATIENCE) when the database is unreachable: the provider has
    already accepted the message, so giving up now would mean sending it again on the activity's retry."""
    deadline = time.monotonic() + channels.settings.send_log_patience
    delay = 0.5
    while True:
        try:
            return record(engine, out, status, **fields)
        except OperationalError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


class ResendRefused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # not_found or refused
        self.message = message


def resend_message(engine: Engine, channels: Channels, key: str, by: str) -> Delivery:
    """Staff resend of a failed delivery: a new attempt under the same key, logged with who asked.

    Refused (ResendRefused) for an unknown key, a message already sent, or one still being retried or resent.
    A failure of the new attempt is logged and returned (status failed), not raised.
    """
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
