"""A full lifecycle with each email backend (outbox, SMTP, SendGrid) produces the same messages: kinds, recipients
and keys, in the send log and at the provider."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

from pydantic import SecretStr

from store.database import make_engine
from models.order import Readiness, Acknowledgement, DelayReport, FeedbackEntry, OrderStatus, Shipment
from models.settings import Settings
from starter import orders
from tests.channel_servers import RecordingHTTPServer, SmtpSink
from tests.conftest import messages_of, running_worker, sofa_form, wait_for

LINES = [{"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}},
         {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "walnut", "height_cm": 200, "width_cm": 90}}]


async def lifecycle(client, config: Settings, order_id: str) -> None:
    await orders.submit_order(client, config, sofa_form(order_id=order_id, lines=LINES))
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and sum(
        e.kind == "message" for e in v.timeline) >= 4)
    await orders.act(client, order_id, "acknowledge", Acknowledgement(department="nordwood"))
    new_date = view.expected_fulfillment_date + timedelta(days=5)
    await orders.act(client, order_id, "delay", DelayReport(new_date=new_date, reason="Walnut arrives late"))
    await orders.act(client, order_id, "ready", Readiness(department="nordwood"))
    await orders.act(client, order_id, "ship", Shipment(carrier="DHL", tracking_number="JD0001",
                                                         expected_delivery_date=new_date + timedelta(days=2)))
    await wait_for(client, order_id, lambda v: any(e.data.get("message_kind") == "shipping_notice"
                                                   for e in v.timeline))
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: any(e.data.get("message_kind") == "feedback_call"
                                                   for e in v.timeline))  # worth 3,990: a call task
    await orders.act(client, order_id, "feedback", FeedbackEntry(rating=4))
    final = await orders.handle_for(client, order_id).result()
    assert final.status is OrderStatus.completed


def shape(rows, order_id: str) -> set[tuple[str, str, str]]:
    """(key without the order id, kind, recipient): what must not depend on the backend."""
    return {(r.key.removeprefix(order_id), r.kind, r.recipient) for r in rows}


async def test_each_backend_sends_the_same_messages(client, settings):
    with SmtpSink() as smtp, RecordingHTTPServer(default=(202, "", {"X-Message-Id": "sg"})) as sendgrid:
        configs = {
            "outbox": {},
            "smtp": {"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                     "smtp_starttls": False},
            "sendgrid": {"email_backend": "sendgrid", "sendgrid_host": sendgrid.url,
                         "sendgrid_api_key": SecretStr("SG.same")},
        }
        runs = {}
        for backend, changes in configs.items():
            runs[backend] = settings.model_copy(update={
                **changes, "var_dir": settings.var_dir.parent / backend,
                "task_queue": f"backend-{backend}-{uuid.uuid4().hex[:6]}"})

        async def one(backend: str) -> None:
            async with running_worker(client, runs[backend]):
                await lifecycle(client, runs[backend], f"SAME-{backend.upper()}")

        await asyncio.gather(*(one(backend) for backend in runs))

    logs = {b: messages_of(make_engine(c.db_url), f"SAME-{b.upper()}") for b, c in runs.items()}
    shapes = {b: shape(rows, f"SAME-{b.upper()}") for b, rows in logs.items()}
    assert shapes["outbox"] == shapes["smtp"] == shapes["sendgrid"]
    assert {kind for _, kind, _ in shapes["outbox"]} == {
        "order_confirmation", "work_order", "delay_notice", "work_order_change", "shipping_notice",
        "feedback_call"}
    assert len(shapes["outbox"]) == 10  # 1 + 3 work orders + 1 + 3 changes + 1 + 1
    assert all(r.status == "sent" and r.attempts == 1 for rows in logs.values() for r in rows)

    # and each provider got exactly the logged messages, once each
    eml = sorted(runs["outbox"].outbox_dir.glob("SAME-OUTBOX/*.eml"))
    outbox_keys = [message_from_bytes(p.read_bytes(), policy=policy.default)["X-Orderly-Key"] for p in eml]
    smtp_keys = [m.message["X-Orderly-Key"] for m in smtp.messages]
    sendgrid_keys = [r.json()["custom_args"]["orderly_key"] for r in sendgrid.requests]
    for backend, keys in (("outbox", outbox_keys), ("smtp", smtp_keys), ("sendgrid", sendgrid_keys)):
        assert sorted(keys) == sorted(r.key for r in logs[backend]), backend
