"""Renders each kind of message from its Jinja2 templates (plain text and autoescaped HTML)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from models import i18n
from models.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from models.messages import MessageKind



SUBJECTS: dict[MessageKind, str] = {
    MessageKind.form_incomplete: N_("Order {id}: we need a few more details"),
    MessageKind.form_reminder: N_("Reminder: order {id} is waiting for a few details"),
    MessageKind.form_expired: N_("Order {id} was closed because details were missing"),
    MessageKind.order_confirmation: N_("Order {id} confirmed: expected ready by {date}"),
    MessageKind.work_order: N_("Work order {id}: due {date}"),
    MessageKind.work_order_reminder: N_("Please acknowledge work order {id}"),
    MessageKind.work_order_change: N_("Work order {id}: new date {date}"),
    MessageKind.work_order_cancelled: N_("Work order {id} cancelled"),
    MessageKind.delay_notice: N_("Order {id} is delayed: new date {date}"),
    MessageKind.late_notice: N_("Order {id} is running late"),
    MessageKind.late_alert: N_("LATE: order {id} was due {date} and has not shipped"),
    MessageKind.at_risk_alert: N_("AT RISK: part of order {id} is due {date}"),
    MessageKind.order_updated: N_("Order {id} updated: your corrected order"),
    MessageKind.customer_request: N_("Order {id}: the customer tells us something is wrong"),
    MessageKind.shipping_notice: N_("Order {id} has shipped"),
    MessageKind.feedback_request: N_("How did we do with order {id}?"),
    MessageKind.feedback_reminder: N_("A last word about order {id}?"),
    MessageKind.feedback_call: N_("Call task: ask for feedback on order {id}"),
    MessageKind.cancellation_notice: N_("Order {id} is cancelled"),
    MessageKind.delivery_failed: N_("UNDELIVERED: a message about order {id} could not be sent"),
    MessageKind.order_terminated: N_("STOPPED: order {id} was closed in Temporal without finishing"),
    MessageKind.cancel_refused_alert: N_("NOT CANCELLED: a cancellation of order {id} from Temporal was refused"),
    MessageKind.message_dropped_alert: N_("DROPPED: order {id} got a message it could not read"),
    MessageKind.deposit_received: N_("Order {id}: deposit received, your made-to-order items are being made"),
    MessageKind.deposit_reminder: N_("Order {id}: we are waiting for your deposit"),
    MessageKind.deposit_overdue_alert: N_("DEPOSIT OVERDUE: order {id} is waiting for its deposit"),
}

# A later revision of a notice that says what changed (`extra["changes"]`) has its own subject.
CORRECTION_SUBJECTS: dict[MessageKind, str] = {
    MessageKind.shipping_notice: N_("Order {id}: your shipping details have changed"),
    MessageKind.work_order_change: N_("Work order {id} corrected"),
}

# A confirmation whose made-to-order part waits for the deposit: its date is not promised yet, the deposit's is.
DEPOSIT_SUBJECTS: dict[MessageKind, str] = {
    MessageKind.order_confirmation: N_("Order {id} confirmed: your deposit is due by {date}"),
}

# A shipment that carries part of the order.
PARCEL_SUBJECTS: dict[MessageKind, str] = {
    MessageKind.shipping_notice: N_("Part of order {id} has shipped"),
}


def long_date(value: date | str | None, language: str = DEFAULT_LANGUAGE) -> str:
    return i18n.long_date(value, language)


def timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()


def money(value: Decimal | float | str, currency: str = "USD", language: str = DEFAULT_LANGUAGE) -> str:
    return i18n.money(value, currency, language)


def option_value(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    if isinstance(value, bool):
        return i18n.yes_no(value, language)
    return str(value)


def change_value(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """A shipping detail as the workflow described it (`models.order.described_changes`: dates in English words,
    a missing link as "none"), in `language`."""
    if language == DEFAULT_LANGUAGE or not isinstance(value, str):
        return str(value)
    if value == "none":
        return i18n.translate(language, "none")
    try:
        return long_date(datetime.strptime(value, "%A, %d %B %Y").date(), language)
    except ValueError:
        return value


@lru_cache(maxsize=len(LANGUAGES))
def environment(language: str) -> Environment:
    """The templates as `language` reads them: Jinja2's i18n extension with that language's gettext catalog, and
    the date, money and yes/no filters in that language. One environment a language, so messages rendered at once
    in different languages (activities run in threads) never share a translation."""
    env = Environment(loader=PackageLoader("activities", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"],
                      auto_reload=False)  # templates ship with the package: no stat() of every file on each render
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.filters.update(long_date=lambda v: long_date(v, language),
                       money=lambda v, currency="USD": money(v, currency, language),
                       option_value=lambda v: option_value(v, language), timestamp=timestamp,
                       change_label=lambda v: i18n.translate(language, v),
                       change_value=lambda v: change_value(v, language))
    env.globals["language"] = language
    return env


def render(kind: MessageKind, context: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a message, in `language`."""
    order = context["order"]
    subjects = CORRECTION_SUBJECTS if context["extra"].get("changes") and kind in CORRECTION_SUBJECTS else SUBJECTS
    if kind is MessageKind.shipping_notice and (context.get("to_come") or context.get("several_shipments")) and \
            subjects is SUBJECTS:
        subjects = PARCEL_SUBJECTS
    if kind in DEPOSIT_SUBJECTS and (deposit := context.get("deposit")) and deposit["held"]:
        subjects, context = DEPOSIT_SUBJECTS, {**context, "subject_date": deposit["by"]}
    subject = i18n.translate(language, subjects[kind]).format(id=order.order_id,
                                                             date=long_date(context.get("subject_date",
                                                                                        context.get("date")), language))
    env = environment(language)
    text = env.get_template(f"{kind.value}.txt.j2").render(context)
    html = env.get_template(f"{kind.value}.html.j2").render(context)
    return subject, text, html
