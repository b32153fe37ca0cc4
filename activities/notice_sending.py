"""The message activity: a notice composed (`notices.compose`), then delivered at most once per channel.

The send log is checked before and written after each provider call (`delivery.deliver_once`). A transient failure
raises a retryable error (the activity's retry policy backs off); a permanent one, or the last retry's, is logged
and comes back as a receipt with status `failed`: a message that cannot be delivered never fails the order.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from channels.mailer import Mailer, TransientDeliveryError
from channels.sending import Channels
from models.catalog import Catalog
from models.messages import CUSTOMER, Delivery, Notice, NoticeBatch, Outgoing, Receipt
from models.settings import Settings

from .delivery import deliver_once, kept_alive
from .metrics import count_message
from .notices import compose, customer_links


class NoticeSender:
    def __init__(self, settings: Settings, engine: Engine, mailer: Mailer, catalog: Catalog) -> None:
        self.settings = settings
        self.engine = engine
        self.channels = Channels(settings, mailer)
        self.catalog = catalog

    @activity.defn
    def send_notice(self, notice: Notice) -> Receipt:
        """Send a notice at most once per key, by email and/or (to a department) by webhook.

        A delivery that failed for good, or a recipient with no channel at all, gives a receipt with status
        `failed`, the error and every channel's delivery (channel, recipient, error): what the workflow needs to
        tell staff itself. A transient failure raises, for the retry policy.
        """
        try:
            with kept_alive():
                return self.deliver(notice, last_try=self.last_try())
        except TransientDeliveryError as e:
            delay = timedelta(seconds=min(e.retry_after, 300)) if e.retry_after else None
            raise ApplicationError(str(e), type="TransientDeliveryError", next_retry_delay=delay) from e

    @activity.defn
    def send_notices(self, batch: NoticeBatch) -> list[Receipt]:
        """Send a step's notices in one activity (one round trip to the server instead of one per notice), each at
        most once per key. One try each: a notice whose provider fails for now comes back with status `retry`, and
        the workflow sends it again alone with `send_notice` and its retry policy, so the others are never held
        up by it. Anything else raises and the whole batch is retried: the send log skips what went out."""
        receipts = []
        with kept_alive():
            for notice in batch.each():
                try:
                    receipts.append(self.deliver(notice, last_try=False))
                except TransientDeliveryError as e:
                    receipts.append(Receipt(key=notice.key, recipient=notice.to, status="retry", error=str(e)))
        return receipts

    @staticmethod
    def last_try() -> bool:
        info = activity.info()
        return bool(info.retry_policy and info.retry_policy.maximum_attempts
                    and info.attempt >= info.retry_policy.maximum_attempts)

    def deliver(self, notice: Notice, last_try: bool) -> Receipt:
        try:
            deliveries = self.compose(notice)
        except ValueError as e:  # a recipient with no address and no webhook: a settings problem, not the order's
            nowhere = Delivery(key=notice.key, channel="none", recipient=notice.to, status="failed", error=str(e))
            activity.logger.error("message %s has no channel: %s", notice.key, e)
            return Receipt(key=notice.key, recipient=notice.to, status="failed", error=str(e), deliveries=[nowhere])
        results, transient = [], None
        for out in deliveries:  # every channel gets its try even when another one fails now
            try:
                results.append(deliver_once(self.engine, self.channels, out, last_try=last_try))
            except TransientDeliveryError as e:
                transient = transient or e
        if transient is not None:
            raise transient
        for failed in (r for r in results if r.status == "failed" and not r.duplicate):
            activity.logger.error("message %s could not be delivered: %s", failed.key, failed.error)
        status = "sent" if all(r.status == "sent" for r in results) else "failed"
        if not all(r.duplicate for r in results):
            count_message(notice.kind.value, status)  # worker metrics: messages sent/failed by kind
        receipt = Receipt(key=notice.key, recipient=", ".join(r.recipient for r in results), status=status)
        if provider_ids := ", ".join(r.provider_id for r in results if r.provider_id):
            receipt.provider_id = provider_ids
        if all(r.duplicate for r in results):
            receipt.duplicate = True
        if status != "sent":  # what the workflow needs to tell staff which channel failed
            receipt.error = "; ".join(r.error for r in results if r.status == "failed")
            receipt.deliveries = results
        return receipt

    def compose(self, notice: Notice) -> list[Outgoing]:
        """The notice's deliveries; the customer's links signed now (only the customer's messages carry them)."""
        links = customer_links(self.settings, notice.order.order_id) if notice.to == CUSTOMER else {}
        return compose(notice, self.settings, self.catalog, links)
