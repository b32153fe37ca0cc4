"""Renders each kind of message from its Jinja2 templates (plain text and autoescaped HTML)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from models.messages import MessageKind

SUBJECTS: dict[MessageKind, str] = {
    MessageKind.form_incomplete: "Order {id}: we need a few more details",
    MessageKind.form_reminder: "Reminder: order {id} is waiting for a few details",
    MessageKind.form_expired: "Order {id} was closed because details were missing",
    MessageKind.order_confirmation: "Order {id} confirmed: expected ready by {date}",
    MessageKind.work_order: "Work order {id}: due {date}",
    MessageKind.work_order_reminder: "Please acknowledge work order {id}",
    MessageKind.work_order_change: "Work order {id}: new date {date}",
    MessageKind.work_order_cancelled: "Work order {id} cancelled",
    MessageKind.delay_notice: "Order {id} is delayed: new date {date}",
    MessageKind.late_notice: "Order {id} is running late",
    MessageKind.late_alert: "LATE: order {id} was due {date} and has not shipped",
    MessageKind.shipping_notice: "Order {id} has shipped",
    MessageKind.feedback_request: "How did we do with order {id}?",
    MessageKind.feedback_reminder: "A last word about order {id}?",
    MessageKind.feedback_call: "Call task: ask for feedback on order {id}",
    MessageKind.cancellation_notice: "Order {id} is cancelled",
    MessageKind.delivery_failed: "UNDELIVERED: a message about order {id} could not be sent",
    MessageKind.order_terminated: "STOPPED: order {id} was closed in Temporal without finishing",
}


def long_date(value: date | str | None) -> str:
    if value is None:
        return "to be confirmed"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%A}, {value.day} {value:%B %Y}"


def timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()


def money(value: Decimal | float | str, currency: str = "USD") -> str:
    return f"{Decimal(str(value)):,.2f} {currency}"


def option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_env = Environment(loader=PackageLoader("activities", "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                   auto_reload=False)  # templates ship with the package: no stat() of every file on each render
_env.filters.update(long_date=long_date, money=money, option_value=option_value, timestamp=timestamp)


# A later revision of a notice that says what changed (`extra["changes"]`) has its own subject.
CORRECTION_SUBJECTS: dict[MessageKind, str] = {
    MessageKind.shipping_notice: "Order {id}: your shipping details have changed",
}


def render(kind: MessageKind, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a message."""
    order = context["order"]
    subjects = CORRECTION_SUBJECTS if context["extra"].get("changes") and kind in CORRECTION_SUBJECTS else SUBJECTS
    subject = subjects[kind].format(id=order.order_id, date=long_date(context.get("date")))
    text = _env.get_template(f"{kind.value}.txt.j2").render(context)
    html = _env.get_template(f"{kind.value}.html.j2").render(context)
    return subject, text, html
