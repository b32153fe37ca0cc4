"""One provider call for one delivery, logged: what the worker's delivery and the staff resend both do.

`Channels` are the providers one process delivers through (the configured mailer and the webhook sender);
`attempt` calls the right one once and writes the outcome to the send log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy.engine import Engine

from models.messages import CUSTOMER, EMAIL, Delivery, Outgoing, OutgoingEmail, recipient_of
from models.settings import Settings
from store.send_log import as_delivery, record, record_patiently

from .fault_injection import crash_point
from .mailer import Mailer, PermanentDeliveryError, TransientDeliveryError, build_mailer
from .webhooks import WebhookSender


class Channels:
    """The providers one process delivers through: the configured mailer and the webhook sender."""

    def __init__(self, settings: Settings, mailer: Mailer | None = None) -> None:
        self.settings = settings
        self.mailer = mailer or build_mailer(settings)
        self.webhooks = WebhookSender(settings.webhook_secret.get_secret_value(), settings.webhook_timeout)

    def call(self, out: Outgoing) -> str:
        if out.channel == EMAIL:  # a customer's reply reaches the business (a resend's too: the key says who)
            reply_to = self.settings.reply_to if recipient_of(out.message_key) == CUSTOMER else ""
            return self.mailer.send(OutgoingEmail(key=out.message_key, kind=out.kind, order_id=out.order_id,
                                                  to=out.recipient, sender=self.settings.mail_from,
                                                  subject=out.subject, text=out.text, html=out.html,
                                                  reply_to=reply_to))
        return self.webhooks.post(out.recipient, out.text.encode(), out.message_key)


def no_guard(_key: str, _provider_id: str) -> AbstractContextManager[None]:
    return nullcontext()


def attempt(engine: Engine, channels: Channels, out: Outgoing, *, by: str, last_try: bool,
            guard: Callable[[str, str], AbstractContextManager[None]] = no_guard) -> Delivery:
    """Call the provider once and log what happened. A transient failure raises (to be retried) unless this is the
    last try, when it is logged as failed like a permanent one. `guard(key, provider_id)` wraps the log write after
    the provider accepted (the worker remembers the send in a heartbeat there when the write is in trouble)."""
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
    with guard(out.key, provider_id):
        row = record_patiently(engine, channels.settings.send_log_patience, out, "sent", outcome="sent", by=by,
                               provider_id=provider_id)
    crash_point("after_log", out.kind, out.channel)
    return as_delivery(row, duplicate=False)
