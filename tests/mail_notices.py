"""Notices about a real, checked order (priced lines, a promised date), for tests that call the message activity."""

from __future__ import annotations

from datetime import datetime, timezone

from models.catalog import load_catalog
from models.messages import MessageKind, Notice
from models.order import Channel, OrderStatus, OrderView, Shipment
from models.settings import Settings
from models.validation import validate_form
from tests.conftest import sofa_form


def notice_for(kind: MessageKind, to: str, order_id: str, email: str = "ada@example.com", **extra) -> Notice:
    form = sofa_form(order_id=order_id)
    check = validate_form(form, load_catalog(Settings(_env_file=None).catalog_path))
    view = OrderView(order_id=order_id, status=OrderStatus.confirmed, channel=Channel.web,
                     customer=form.customer.model_copy(update={"email": email}),
                     shipping_address=form.shipping_address, notes=form.notes, lines=check.lines,
                     received_at=datetime(2026, 11, 30, 15, tzinfo=timezone.utc),
                     expected_fulfillment_date=datetime(2026, 12, 14).date(), work_orders=["warehouse"],
                     shipment=Shipment(carrier="UPS", tracking_number="1Z999", expected_delivery_date="2026-12-18"))
    return Notice(kind=kind, to=to, order=view, extra=extra)


def alert_staff_as_the_workflow_does(send, notice: Notice, receipt) -> list:
    """The workflow's part after a failed receipt (`workflows/notifier.py`): one `delivery_failed` notice to staff
    per failed delivery, sent with `send` (the message activity). Returns the alerts' receipts."""
    from models.messages import delivery_failed_notice
    alerts = [delivery_failed_notice(notice, d) for d in receipt.deliveries if d.status == "failed"]
    return [send(alert) for alert in alerts if alert is not None]
