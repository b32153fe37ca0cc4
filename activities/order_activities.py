"""Every side effect of an order: checking the form, saving the read model, sending notices.

Activities do what the workflow decides; they decide nothing about the process themselves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from models.links import PURPOSES, customer_url
from models.catalog import ACCOUNTS_RECEIVABLE, CUSTOMER_SERVICE, WAREHOUSE, Catalog
from models.messages import CUSTOMER, STAFF, Notice, OutgoingEmail, Receipt
from models.order import FormCheck, FormCheckRequest, OrderSnapshot
from models.settings import Settings
from models.tables import MessageRecord, utcnow
from models.validation import validate_form

from . import read_model
from .calendar import add_business_days
from .mailer import Mailer
from .rendering import render

DEPARTMENT_LABELS = {WAREHOUSE: "Warehouse", ACCOUNTS_RECEIVABLE: "Accounts receivable",
                     CUSTOMER_SERVICE: "Customer service"}


class OrderActivities:
    def __init__(self, settings: Settings, engine: Engine, mailer: Mailer, catalog: Catalog) -> None:
        self.settings = settings
        self.engine = engine
        self.mailer = mailer
        self.catalog = catalog

    @activity.defn
    def check_order_form(self, request: FormCheckRequest) -> FormCheck:
        """Validate the form against the catalog; for a complete form, price it and promise a date."""
        check = validate_form(request.form, self.catalog)
        if check.complete:
            lead = max(line.lead_time_days for line in check.lines)
            check.expected_fulfillment_date = add_business_days(
                request.as_of, lead, self.settings.company_timezone, self.settings.company_holidays_country)
        return check

    @activity.defn
    def save_order(self, snapshot: OrderSnapshot) -> None:
        read_model.save_order(self.engine, snapshot.view, snapshot.events)

    @activity.defn
    def send_notice(self, notice: Notice) -> Receipt:
        """Send a notice at most once per key: the send log is checked before and written after the provider call."""
        recipient = self.address_of(notice.to, notice)
        earlier = read_model.find_message(self.engine, notice.key)
        if earlier is not None and earlier.status == "sent":
            activity.logger.info("message %s already sent; not sending again", notice.key)
            return Receipt(key=notice.key, recipient=earlier.recipient, status=earlier.status,
                           provider_id=earlier.provider_id, duplicate=True)
        subject, text, html = render(notice.kind, self.context(notice))
        email = OutgoingEmail(key=notice.key, kind=notice.kind.value, order_id=notice.order.order_id, to=recipient,
                              sender=self.settings.mail_from, subject=subject, text=text, html=html)
        provider_id = self.mailer.send(email)
        now = utcnow()
        read_model.log_message(self.engine, MessageRecord(
            key=notice.key, order_id=email.order_id, kind=email.kind, recipient=recipient, subject=subject,
            status="sent", provider_id=provider_id, attempts=activity.info().attempt, text=text, html=html,
            created_at=earlier.created_at if earlier else now, sent_at=now))
        return Receipt(key=notice.key, recipient=recipient, status="sent", provider_id=provider_id)

    # ---- helpers ----

    def address_of(self, to: str, notice: Notice) -> str:
        if to == CUSTOMER:
            return notice.order.customer.email
        if to == STAFF:
            return self.settings.staff_alert_email
        if to in self.settings.department_emails:
            return self.settings.department_emails[to]
        maker = self.catalog.manufacturer(to)
        if maker is None:
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
