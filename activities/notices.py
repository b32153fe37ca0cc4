"""Composing a notice: who gets it by which channel, and what each channel carries. Pure functions of their inputs.

`compose` routes a notice (the recipient's email address and, for a department, its webhook), renders it once
from its templates and shapes the webhook's JSON work order for the recipient's role (a manufacturer sees no
prices and no customer data). It touches no database, no network and no Temporal API: the activity that delivers
(`notice_sending.NoticeSender`) calls it, and tests call it with nothing else running.

The one thing that depends on the moment of sending is the customer's signed links (their expiry counts from when
they were signed): `customer_links` signs them, and `compose` takes them as an input.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from channels.webhooks import work_order_body
from models.catalog import ACCOUNTS_RECEIVABLE, CUSTOMER_SERVICE, WAREHOUSE, Catalog
from models.links import PURPOSES, customer_url
from models.i18n import DEFAULT_LANGUAGE, N_, language_of, translate, translate_plural
from models.messages import (BY_TEMPORAL, CANCELLED_BY, CUSTOMER, EMAIL, STAFF, WEBHOOK, Notice, Outgoing, content_hash,
                             delivery_key)
from models.settings import Settings

from .part_views import deposit_context, localized_changes, parts_context, shipment_context
from .rendering import render

DEPARTMENT_LABELS = {WAREHOUSE: N_("Warehouse"), ACCOUNTS_RECEIVABLE: N_("Accounts receivable"),
                     CUSTOMER_SERVICE: N_("Customer service")}


def customer_links(settings: Settings, order_id: str) -> dict[str, str]:
    """The customer's signed links to one order (`status_url`, `form_url`, `survey_url`), signed now."""
    secret, base = settings.secret_key.get_secret_value(), settings.public_url
    return {f"{purpose}_url": customer_url(base, secret, order_id, purpose) for purpose in PURPOSES}


def compose(notice: Notice, settings: Settings, catalog: Catalog, links: dict[str, str]) -> list[Outgoing]:
    """The message rendered once, and one delivery per channel its recipient has (email, webhook).

    `links` are the customer's signed links (`customer_links`). Raises ValueError when the recipient has neither
    an email address nor a webhook (a settings problem, not the order's).
    """
    address = address_of(notice, settings, catalog)
    webhook = settings.department_webhooks.get(notice.to) if notice.to != CUSTOMER else None
    if not address and not webhook:
        raise ValueError(f"{notice.to!r} has neither an email address nor a webhook: set "
                         "ORDERLY_DEPARTMENT_EMAILS or ORDERLY_DEPARTMENT_WEBHOOKS")
    language = language_for(notice, settings)
    context = template_context(notice, settings, catalog, links, language)
    subject, text, html = render(notice.kind, context, language)
    common = dict(message_key=notice.key, order_id=notice.order.order_id, kind=notice.kind.value, subject=subject)
    found = []
    if address:
        found.append(Outgoing(key=notice.key, channel=EMAIL, recipient=address, text=text, html=html,
                              content_hash=content_hash(subject, text, links.values()), **common))
    if webhook:
        body = work_order_body(webhook_payload(notice, context, subject, text)).decode()
        found.append(Outgoing(key=delivery_key(notice.key, WEBHOOK), channel=WEBHOOK, recipient=webhook,
                              text=body, content_hash=content_hash(subject, body, links.values()), **common))
    return found


def webhook_payload(notice: Notice, context: dict[str, Any], subject: str, text: str) -> dict[str, Any]:
    """The JSON work order a department's system receives: the same facts as its email, as data."""
    order = notice.order
    maker = context["role"] == "manufacturer"
    return {
        "idempotency_key": notice.key, "kind": notice.kind.value, "revision": notice.revision,
        "department": notice.to, "order_id": order.order_id, "status": order.status.value,
        "expected_fulfillment_date": context["date"].isoformat() if hasattr(context["date"], "isoformat")
        else context["date"],
        "lines": [line.model_dump(mode="json", exclude={"unit_price"} if maker else set())
                  for line in context["lines"]],
        "shipping_address": order.shipping_address.model_dump(mode="json"),
        "customer": None if maker else order.customer.model_dump(mode="json"),
        "total": None if maker else str(order.total),
        "currency": order.currency, "notes": order.notes, "details": notice.extra,
        "subject": subject, "text": text, "console_url": context["console_url"],
    }


def address_of(notice: Notice, settings: Settings, catalog: Catalog) -> str:
    """The recipient's email address; "" for a department that has a webhook only."""
    to = notice.to
    if to == CUSTOMER:
        return notice.order.customer.email
    if to == STAFF:
        return settings.staff_alert_email
    if to in settings.department_emails:
        return settings.department_emails[to]  # "" means: no email, webhook only
    maker = catalog.manufacturer(to)
    if maker is None:
        if to in settings.department_webhooks:
            return ""
        raise ValueError(f"no address for department {to!r}")
    return maker.email


def label_of(to: str, catalog: Catalog, language: str = DEFAULT_LANGUAGE) -> str:
    if to in DEPARTMENT_LABELS:
        return translate(language, DEPARTMENT_LABELS[to])
    maker = catalog.manufacturer(to)
    return maker.name if maker else to


def language_for(notice: Notice, settings: Settings) -> str:
    """The customer reads the order's language; staff and departments the company's."""
    if notice.to == CUSTOMER:
        return language_of(notice.order.language, settings.company_language)
    return language_of(settings.company_language)


def template_context(notice: Notice, settings: Settings, catalog: Catalog, links: dict[str, str],
                     language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """What the templates see: the order, the lines this recipient acts on (in its language), its role, the
    company, the links."""
    order = notice.order
    role = {WAREHOUSE: "warehouse", ACCOUNTS_RECEIVABLE: "accounts"}.get(notice.to, "manufacturer")
    lines = [catalog.localized_line(line, language) for line in order.lines
             if role != "manufacturer" or line.fulfiller == notice.to]
    s = settings
    extra = dict(notice.extra)
    if "sent_ago" in extra:
        extra["sent_ago"] = _human(timedelta(seconds=float(extra["sent_ago"])), language)
    if extra.get("changes") and language != DEFAULT_LANGUAGE:  # a correction's changes in the reader's words
        extra["changes"] = localized_changes(extra["changes"], catalog, language)
    parts = parts_context(order, extra, notice.to, catalog, language)
    own_date = parts["part"]["date"] if parts["part"] and role == "manufacturer" else order.expected_fulfillment_date
    subject_date = parts["part"]["date"] if parts["part"] else own_date  # a work order's subject: its own part's
    return {
        **parts, **shipment_context(order, extra, settings, catalog, language),
        "order": order.model_copy(update={"lines": [catalog.localized_line(li, language) for li in order.lines]}),
        "extra": extra, "problems": order.problems, "lines": lines, "role": role,
        "department": notice.to, "recipient_label": label_of(notice.to, catalog, language),
        "cancelled_from_temporal": notice.extra.get(CANCELLED_BY) == BY_TEMPORAL,
        "date": extra.get("date", own_date), "subject_date": extra.get("date", subject_date),
        "company": {"name": s.company_name, "email": s.company_email, "phone": s.company_phone,
                    "address": s.company_address, "hours": s.company_hours_in.get(language) or s.company_hours},
        "deposit": deposit_context(order, extra, settings, catalog, language),
        "refund_text": translate(language, s.cancellation_refund_text),  # the default has its translations
        "console_url": f"{s.public_url.rstrip('/')}/staff/orders/{order.order_id}", **links,
    }


def _human(delta: timedelta, language: str = DEFAULT_LANGUAGE) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return translate_plural(language, "%(num)s day", "%(num)s days", seconds // 86400)
    if seconds >= 3600:
        return translate_plural(language, "%(num)s hour", "%(num)s hours", seconds // 3600)
    if seconds >= 60:
        return translate_plural(language, "%(num)s minute", "%(num)s minutes", seconds // 60)
    return translate(language, "%(num)s seconds", num=seconds)
