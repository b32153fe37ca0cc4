"""Crash windows: a real worker process (`orderly worker`) is killed with SIGKILL at points of an order's lifecycle
and started again; every order finishes and every recipient has each message exactly once.

Four orders run side by side, each on its own worker process, task queue and database, all mailing one real SMTP
server and posting to one webhook receiver:

- `before_send`  — killed after the send log was checked, before the provider was called;
- `after_log`    — killed after the log was written, before the activity completed (the retry finds the key);
- `after_send` of a webhook — killed after a receiver accepted a work order, before the log write: the retry posts
  it again with the same Idempotency-Key, and the receiver processes it once;
- `after_send` of an email — the same window for email, the one no provider lets anyone close: the retry sends the
  confirmation again, with the same Message-ID (which mail systems use to drop the repeat).

Then every worker is killed while the orders wait for staff (nothing in flight), started again, and the orders are
shipped, delivered and given feedback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from store.database import make_engine
from models.order import Acknowledgement, FeedbackEntry, OrderStatus, Shipment
from starter import orders
from tests.channel_servers import SmtpSink, WebhookReceiver
from tests.conftest import FAST_POLICY, TEST_ENCRYPTION, messages_of, sofa_form, wait_for

BIN = Path(sys.executable).parent
SECRET = "crash-test-webhook-secret"
LANES = {  # order id -> where its worker kills itself the first time
    "CRASH-BEFORE-SEND": "before_send:order_confirmation",
    "CRASH-AFTER-LOG": "after_log:order_confirmation",
    "CRASH-WEBHOOK-WINDOW": "after_send:work_order:webhook",
    "CRASH-EMAIL-WINDOW": "after_send:order_confirmation",
}


class Lane:
    """One order with its own worker process, task queue and read-model database."""

    def __init__(self, order_id: str, crash_at: str, base: Path, address: str, smtp: SmtpSink,
                 receiver: WebhookReceiver) -> None:
        self.order_id, self.crash_at, self.dir = order_id, crash_at, base / order_id
        self.dir.mkdir(parents=True)
        webhooks = {"warehouse": f"{receiver.url}/{order_id}/warehouse"}
        emails = {"warehouse": "warehouse@orderly.example", "accounts-receivable": "accounts@orderly.example",
                  "customer-service": "customer-service@orderly.example"}
        if "webhook" in crash_at:  # accounts by webhook only: no other email is in flight when the worker dies
            webhooks["accounts-receivable"] = f"{receiver.url}/{order_id}/accounts"
            emails["accounts-receivable"] = ""
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ORDERLY_", "TEMPORAL_"))},
                    **FAST_POLICY, **TEST_ENCRYPTION,
                    "TEMPORAL_ADDRESS": address, "ORDERLY_TASK_QUEUE": f"crash-{order_id.lower()}",
                    "ORDERLY_VAR_DIR": str(self.dir / "var"), "ORDERLY_SECRET_KEY": "crash-test-secret",
                    "ORDERLY_EMAIL_BACKEND": "smtp", "ORDERLY_SMTP_HOST": "127.0.0.1",
                    "ORDERLY_SMTP_PORT": str(smtp.port), "ORDERLY_SMTP_STARTTLS": "false",
                    "ORDERLY_DEPARTMENT_EMAILS": json.dumps(emails),
                    "ORDERLY_DEPARTMENT_WEBHOOKS": json.dumps(webhooks), "ORDERLY_WEBHOOK_SECRET": SECRET}
        if os.environ.get("ORDERLY_DATABASE_URL"):  # the PostgreSQL run: every lane in the test's database
            self.env["ORDERLY_DATABASE_URL"] = os.environ["ORDERLY_DATABASE_URL"]
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, crash: bool) -> None:
        env = dict(self.env, ORDERLY_TEST_CRASH_AT=self.crash_at) if crash else self.env
        self.starts += 1
        log = open(self.dir / f"worker-{self.starts}.log", "wb")
        self.proc = await asyncio.create_subprocess_exec(str(BIN / "orderly"), "worker", env=env, cwd=self.dir,
                                                         stdout=log, stderr=log)
        log.close()

    async def died_by_itself(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout=90)

    async def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    @property
    def engine(self):
        return make_engine(self.env.get("ORDERLY_DATABASE_URL") or f"sqlite:///{self.dir / 'var' / 'orderly.db'}")


def confirmed_with_work_orders(view) -> bool:
    sent = {e.data.get("message_kind") for e in view.timeline if e.kind == "message"}
    return view.status is OrderStatus.confirmed and {"order_confirmation", "work_order"} <= sent and sum(
        e.data.get("message_kind") == "work_order" for e in view.timeline if e.kind == "message") >= 2


async def test_sigkilled_workers_finish_every_order_with_each_message_once(client, settings, dev_env, tmp_path):
    address = dev_env.client.service_client.config.target_host
    with SmtpSink() as smtp, WebhookReceiver(SECRET) as receiver:
        lanes = [Lane(order_id, crash_at, tmp_path, address, smtp, receiver) for order_id, crash_at in LANES.items()]
        try:
            # 1. each worker dies at its point of the first messages, and is started again without the fault
            for lane in lanes:
                await lane.start(crash=True)
            for lane in lanes:
                queue = settings.model_copy(update={"task_queue": lane.env["ORDERLY_TASK_QUEUE"]})
                await asyncio.wait_for(orders.submit_order(client, queue, sofa_form(order_id=lane.order_id)), 60)
            codes = await asyncio.gather(*(lane.died_by_itself() for lane in lanes))
            assert codes == [-signal.SIGKILL] * len(lanes)
            for lane in lanes:
                await lane.start(crash=False)
            views = await asyncio.gather(*(wait_for(client, lane.order_id, confirmed_with_work_orders, timeout=150)
                                           for lane in lanes))

            # 2. killed while the orders wait for staff (no activity in flight), started again
            for lane in lanes:
                await lane.kill()
                await lane.start(crash=False)

            # 3. staff carry on: acknowledge, ship, deliver, feedback; every order completes
            for lane, view in zip(lanes, views):
                await orders.act(client, lane.order_id, "acknowledge", Acknowledgement(department="warehouse"))
                await orders.act(client, lane.order_id, "ship", Shipment(
                    carrier="UPS", tracking_number=f"1Z-{lane.order_id}",
                    expected_delivery_date=view.expected_fulfillment_date + timedelta(days=2)))
                await wait_for(client, lane.order_id, lambda v: any(e.data.get("message_kind") == "shipping_notice"
                                                                    for e in v.timeline), timeout=60)
                await orders.act(client, lane.order_id, "deliver")
                await wait_for(client, lane.order_id, lambda v: any(e.data.get("message_kind") == "feedback_request"
                                                                    for e in v.timeline), timeout=60)
                await orders.act(client, lane.order_id, "feedback", FeedbackEntry(rating=5))
            finals = await asyncio.gather(*(orders.handle_for(client, lane.order_id).result() for lane in lanes))
        finally:
            for lane in lanes:
                await lane.kill()
        received = smtp.wait_for(0)

    assert [v.status for v in finals] == [OrderStatus.completed] * len(lanes)
    expected_kinds = {"order_confirmation", "work_order", "shipping_notice", "feedback_request"}
    by_message_id = Counter((m.recipients[0], m.message["Message-ID"]) for m in received)
    for lane in lanes:
        rows = messages_of(lane.engine, lane.order_id)
        assert {r.kind for r in rows} == expected_kinds, lane.order_id
        assert all(r.status == "sent" for r in rows), [(r.key, r.status) for r in rows]
        mails = [m for m in received if m.message["X-Orderly-Key"].startswith(f"{lane.order_id}/")]
        per_key = Counter(m.message["X-Orderly-Key"] for m in mails)
        emails = {r.key for r in rows if r.channel == "email"}
        assert set(per_key) == emails  # every logged email arrived ...
        window = f"{lane.order_id}/order_confirmation/customer/1"
        for key, count in per_key.items():  # ... once, but for the window no provider closes
            assert count == (2 if lane.crash_at == "after_send:order_confirmation" and key == window else 1), key
        # the repeat in that window carries the same Message-ID: one message per (recipient, Message-ID)
        ids = {(m.recipients[0], m.message["Message-ID"]) for m in mails}
        assert len(ids) == len(emails)
        # (`by_message_id[i] >= 1` was always true, the ids being taken from the same mails.) Each key's mails carry
        # one Message-ID, and a Message-ID arrived exactly as often as its key did: twice only in the window.
        for key, count in per_key.items():
            [(to, message_id)] = {(m.recipients[0], m.message["Message-ID"]) for m in mails
                                  if m.message["X-Orderly-Key"] == key}
            assert by_message_id[(to, message_id)] == count, (key, message_id)

    posts = Counter(r.headers["Idempotency-Key"] for r in receiver.requests)
    # the worker died right after a receiver accepted a work order (the warehouse's or the accounts', whichever was
    # first): that one was posted again after the restart with the same idempotency key ...
    in_window = {k: n for k, n in posts.items() if k.startswith("CRASH-WEBHOOK-WINDOW/work_order/")}
    assert set(in_window) == {"CRASH-WEBHOOK-WINDOW/work_order/warehouse/1",
                              "CRASH-WEBHOOK-WINDOW/work_order/accounts-receivable/1"}
    assert 2 in in_window.values() and all(n <= 2 for n in in_window.values()), in_window
    assert all(n == 1 for k, n in posts.items() if k not in in_window), posts
    assert set(receiver.processed) == set(posts)  # ... and the receiver processed each key once
    assert all(r.status == 200 for r in receiver.requests) and receiver.rejected == []
    assert {k for k in receiver.processed if k.endswith("/work_order/warehouse/1")} == {
        f"{order_id}/work_order/warehouse/1" for order_id in LANES}
