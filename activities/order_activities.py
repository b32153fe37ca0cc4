"""Every side effect of an order: checking the form, saving the read model, sending notices.

Activities do what the workflow decides; they decide nothing about the process themselves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from channels.mailer import Mailer, TransientDeliveryError
from channels.sending import Channels
from channels.webhooks import work_order_body
from models.links import PURPOSES, customer_url
from models.catalog import ACCOUNTS_RECEIVABLE, CUSTOMER_SERVICE, WAREHOUSE, Catalog
from models.messages import (CUSTOMER, EMAIL, STAFF, WEBHOOK, Delivery, MessageKind, Notice, Outgoing,
                             Receipt,
                             delivery_key)
from models.order import FormCheck, FormCheckRequest, OrderSnapshot
from models.settings import Settings
from models.form_check import check_form

from store import read_model

from .delivery import deliver_once
from .metrics import count_message
from .rendering import render

DEPARTMENT_LABELS = {WAREHOUSE: "Warehouse", ACCOUNTS_RECEIVABLE: "Accounts receivable",
                     CUSTOMER_SERVICE: "Customer service"}


class OrderActivities:
    def __init__(self, settings: Settings, engine: Engine, mailer: Mailer, catalog: Catalog) -> None:
        self.settings = settings
        self.engine = engine
        self.mailer = mailer
        self.channels = Channels(settings, mailer)
        self.catalog = catalog

    @activity.defn
    def check_order_form(self, request: FormCheckRequest) -> FormCheck:
        """Validate the form against the catalog; for a complete form, price it and promise a date."""
        return check_form(request.form, self.catalog, request.as_of, self.settings.company_timezone,
                          self.settings.company_holidays_country)

    @activity.defn
    def save_order(self, snapshot: OrderSnapshot) -> None:
        read_model.save_order(self.engine, snapshot.view, snapshot.events)

    @activity.defn
    def send_notice(self, notice: Notice) -> Receipt:
        """Send a notice at most once per key, by email and/or (to a department) by webhook.

        The send log is checked before and written after each provider call (`message_delivery.deliver_once`).
        A transient failure raises a retryable error (the activity's retry policy backs off); a permanent one, or
        the last retry's, is logged, alerts staff and comes back as a receipt with status `failed`: a message that
        cannot be delivered never fails the order.
        """
        info = activity.info()
        last_try = bool(info.retry_policy and info.retry_policy.maximum_attempts
                        and info.attempt >= info.retry_policy.maximum_attempts)
        try:
            deliveries = self.deliveries_of(notice)
        except ValueError as e:  # a recipient with no address and no webhook: a settings problem, not the order's
            nowhere = Delivery(key=notice.key, channel="none", recipient=notice.to, status="failed", error=str(e))
            activity.logger.error("message %s has no channel: %s", notice.key, e)
            if notice.alert_on_failure:
                self.alert_staff(notice, nowhere)
            return Receipt(key=notice.key, recipient=notice.to, status="failed", error=str(e), deliveries=[nowhere])
        results, transient = [], None
        for out in deliveries:  # every channel gets its try even when another one fails now
            try:
                results.append(deliver_once(self.engine, self.channels, out, last_try=last_try))
            except TransientDeliveryError as e:
                transient = transient or e
        if transient is not None:
            delay = timedelta(seconds=min(transient.retry_after, 300)) if transient.retry_after else None
            raise ApplicationError(str(transient), type="TransientDeliveryError", next_retry_delay=delay)
        for failed in (r for r in results if r.status == "failed" and not r.duplicate):
            activity.logger.error("message %s could not be delivered: %s", failed.key, failed.error)
            if notice.alert_on_failure:
                self.alert_staff(notice, failed)
        status = "sent" if all(r.status == "sent" for r in results) else "failed"
        if not all(r.duplicate for r in results):
            count_message(notice.kind.value, status)  # worker metrics: messages sent/failed by kind
        return Receipt(key=notice.key, recipient=", ".join(r.recipient for r in results), status=status,
                       provider_id=", ".join(r.provider_id for r in results if r.provider_id),
                       duplicate=all(r.duplicate for r in results),
                       error="; ".join(r.error for r in results if r.status == "failed"), deliveries=results)

    def deliveries_of(self, notice: Notice) -> list[Outgoing]:
        """The message rendered once, and one delivery per channel its recipient has (email, webhook)."""
        address = self.address_of(notice.to, notice)
        webhook = self.settings.department_webhooks.get(notice.to) if notice.to != CUSTOMER else None
        if not address and not webhook:
            raise ValueError(f"{notice.to!r} has neither an email address nor a webhook: set "
                             "ORDERLY_DEPARTMENT_EMAILS or ORDERLY_DEPARTMENT_WEBHOOKS")
        context = self.context(notice)
        subject, text, html = render(notice.kind, context)
        common = dict(message_key=notice.key, order_id=notice.order.order_id, kind=notice.kind.value,
                      subject=subject)
        found = []
        if address:
            found.append(Outgoing(key=notice.key, channel=EMAIL, recipient=address, text=text, html=html, **common))
        if webhook:
            body = work_order_body(self.webhook_payload(notice, context, subject, text))
            found.append(Outgoing(key=delivery_key(notice.key, WEBHOOK), channel=WEBHOOK, recipient=webhook,
                                  text=body.decode(), **common))
        return found

    def webhook_payload(self, notice: Notice, context: dict[str, Any], subject: str, text: str) -> dict[str, Any]:
        """The JSON work order a department's system receives: the same facts as its email, as data."""
        order = notice.order
        return {
            "idempotency_key": notice.key, "kind": notice.kind.value, "revision": notice.revision,
            "department": notice.to, "order_id": order.order_id, "status": order.status.value,
            "expected_fulfillment_date": context["date"].isoformat() if hasattr(context["date"], "isoformat")
            else context["date"],
            "lines": [line.model_dump(mode="json", exclude={"unit_price"} if context["role"] == "manufacturer"
                                      else set()) for line in context["lines"]],
            "shipping_address": order.shipping_address.model_dump(mode="json"),
            "customer": order.customer.model_dump(mode="json") if context["role"] != "manufacturer" else None,
            "total": None if context["role"] == "manufacturer" else str(order.total),
            "currency": order.currency, "notes": order.notes, "details": notice.extra,
            "subject": subject, "text": text, "console_url": context["console_url"],
        }

    def alert_staff(self, notice: Notice, failed: Delivery) -> None:
        """Tell staff (by the same channels) that a message could not be delivered; never raises."""
        if notice.to == STAFF or notice.kind is MessageKind.delivery_failed:
            activity.logger.error("no alert for the failed staff message %s (staff are who would be told)", failed.key)
            return
        revision = failed.key.replace("/", ".")
        alert = Notice(kind=MessageKind.delivery_failed, to=STAFF, order=notice.order, revision=revision,
                       extra={"failed_key": failed.key, "failed_kind": notice.kind.value, "channel": failed.channel,
                              "failed_to": notice.to, "recipient": failed.recipient, "error": failed.error})
        try:
            for out in self.deliveries_of(alert):
                deliver_once(self.engine, self.channels, out, last_try=True)
        except Exception as e:  # noqa: BLE001 (an alert that cannot go out is logged; the order goes on)
            activity.logger.error("could not alert staff about %s: %s", failed.key, e)

    # ---- helpers ----

    def address_of(self, to: str, notice: Notice) -> str:
        if to == CUSTOMER:
            return notice.order.customer.email
        if to == STAFF:
            return self.settings.staff_alert_email
        if to in self.settings.department_emails:
            return self.settings.department_emails[to]  # "" means: no email, webhook only
        maker = self.catalog.manufacturer(to)
        if maker is None:
            if to in self.settings.department_webhooks:
                return ""
            raise ValueError(f"no address for department {to!r}")
        return maker.email

    def label_of(self, to: str) -> str:
        if to in DEPARTMENT_LABELS:
            return DEPARTMENT_LABELS[to]
        maker = self.catalog.manufacturer(to)
        return maker.name if maker else to

    def context(self, notice: Notice) -> dict[str, Any]:
        order = notice.order
        secret, base = self.settings.secret_key.get_secret_value(), self.settings.public_url
        links = {f"{purpose}_url": customer_url(base, secret, order.order_id, purpose) for purpose in PURPOSES}
        role = {WAREHOUSE: "warehouse", ACCOUNTS_RECEIVABLE: "accounts"}.get(notice.to, "manufacturer")
        lines = [l for l in order.lines if role != "manufacturer" or l.fulfiller == notice.to]
        s = self.settings
        extra = dict(notice.extra)
        if "sent_ago" in extra:
            extra["sent_ago"] = _human(timedelta(seconds=float(extra["sent_ago"])))
        return {
            "order": order, "extra": extra, "problems": order.problems, "lines": lines, "role": role,
            "department": notice.to, "recipient_label": self.label_of(notice.to),
            "date": extra.get("date", order.expected_fulfillment_date),
            "company": {"name": s.company_name, "email": s.company_email, "phone": s.company_phone,
                        "address": s.company_address, "hours": s.company_hours},
            "console_url": f"{base.rstrip('/')}/staff/orders/{order.order_id}", **links,
        }


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"
