"""Department webhooks: signed JSON work orders to a real local receiver that verifies them with Orderly's helper;
retries on transient answers, a permanent refusal logged with staff alerted, and a staff resend."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlmodel import Session, select

from channels.resend import ResendRefused, resend_message
from channels.sending import Channels
from models.order import OrderStatus
from models.settings import Settings
from models.tables import MessageAttempt
from models.webhook_signature import InvalidSignature, sign, signed_headers, verify, verify_request
from starter import orders
from tests.channel_servers import WebhookReceiver
from tests.conftest import messages_of, running_worker, sofa_form, wait_for

SECRET = "whsec-test-0123456789"
BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "walnut", "height_cm": 200, "width_cm": 90}}


# ---- the receivers' helper ----

def test_a_signed_body_verifies_and_yields_its_idempotency_key():
    body = b'{"kind":"work_order"}'
    headers = signed_headers(SECRET, body, "ORD-1/work_order/warehouse/1", now=1_700_000_000)
    assert headers["X-Orderly-Signature"] == sign(SECRET, "1700000000", body)
    assert headers["X-Orderly-Signature"].startswith("sha256=")
    lower = {k.lower(): v for k, v in headers.items()}  # header names arrive in any case
    assert verify_request(SECRET, body, lower, now=1_700_000_100) == "ORD-1/work_order/warehouse/1"


@pytest.mark.parametrize("change, reason", [
    (dict(secret="another-secret"), "signature does not match"),
    (dict(body=b'{"kind":"work_order","total":"0"}'), "signature does not match"),
    (dict(now=1_700_000_000 + 301), "stale timestamp: signed 301 s old"),
    (dict(now=1_700_000_000 - 301), "stale timestamp: signed 301 s in the future"),
    (dict(timestamp="yesterday"), "must be Unix seconds"),
    (dict(timestamp=""), "missing X-Orderly-Timestamp"),
    (dict(signature=""), "missing X-Orderly-Signature"),
])
def test_a_wrong_signature_or_stale_timestamp_is_rejected_with_the_reason(change, reason):
    body = b'{"kind":"work_order"}'
    good = dict(secret=SECRET, body=body, signature=sign(SECRET, "1700000000", body), timestamp="1700000000",
                now=1_700_000_000)
    args = {**good, **change}
    if "secret" in change or "body" in change:  # the signature was made with the original secret and body
        args["signature"] = good["signature"]
    with pytest.raises(InvalidSignature, match=reason):
        verify(args["secret"], args["body"], args["signature"], args["timestamp"], now=args["now"])


def test_webhook_urls_must_be_http_and_need_a_secret():
    with pytest.raises(ValidationError, match="must be an http"):
        Settings(department_webhooks={"warehouse": "ftp://x"}, _env_file=None)
    assert Settings(department_webhooks={"warehouse": "http://127.0.0.1:1/"}, _env_file=None).channel_problems() == [
        "ORDERLY_DEPARTMENT_WEBHOOKS needs ORDERLY_WEBHOOK_SECRET (it signs every webhook)"]


def test_the_receiver_rejects_forged_and_replayed_requests():
    with WebhookReceiver(SECRET) as receiver:
        body = b'{"kind":"work_order","order_id":"X"}'
        forged = httpx.post(receiver.url, content=body, headers=signed_headers("guess", body, "X/work_order/w/1"))
        old = httpx.post(receiver.url, content=body,
                         headers=signed_headers(SECRET, body, "X/work_order/w/1", now=time.time() - 3600))
        good = httpx.post(receiver.url, content=body, headers=signed_headers(SECRET, body, "X/work_order/w/1"))
        again = httpx.post(receiver.url, content=body, headers=signed_headers(SECRET, body, "X/work_order/w/1"))
    assert (forged.status_code, old.status_code, good.status_code, again.status_code) == (401, 401, 200, 200)
    assert again.text == "duplicate" and list(receiver.processed) == ["X/work_order/w/1"]


# ---- webhooks from real orders ----

def with_webhooks(settings: Settings, **webhooks: str) -> Settings:
    emails = {**settings.department_emails, "nordwood": ""}  # the manufacturer takes work orders by webhook only
    return settings.model_copy(update={"department_webhooks": webhooks, "webhook_secret": SecretStr(SECRET),
                                       "department_emails": emails})


async def test_work_orders_reach_department_webhooks_signed_with_the_message_key(client, settings, engine):
    with WebhookReceiver(SECRET) as receiver:
        config = with_webhooks(settings, warehouse=f"{receiver.url}/warehouse", nordwood=f"{receiver.url}/nordwood")
        async with running_worker(client, config):
            await orders.submit_order(client, config, sofa_form(order_id="WH-1", lines=[BOOKCASE]))
            view = await wait_for(client, "WH-1", lambda v: sum(e.kind == "message" for e in v.timeline) >= 4)

    assert receiver.rejected == []
    posts = {r.path: r for r in receiver.requests}
    assert set(posts) == {"/warehouse", "/nordwood"}
    for path, department in (("/warehouse", "warehouse"), ("/nordwood", "nordwood")):
        request = posts[path]
        key = f"WH-1/work_order/{department}/1"
        assert request.headers["Idempotency-Key"] == key
        assert request.headers["Content-Type"] == "application/json"
        assert verify_request(SECRET, request.body, request.headers) == key
        work_order = request.json()
        assert work_order["kind"] == "work_order" and work_order["order_id"] == "WH-1"
        assert work_order["idempotency_key"] == key and work_order["department"] == department
        assert work_order["expected_fulfillment_date"] == view.expected_fulfillment_date.isoformat()
        assert work_order["lines"][0]["sku"] == "BOOKCASE-MTM"
    maker = posts["/nordwood"].json()
    assert maker["total"] is None and maker["customer"] is None and "unit_price" not in maker["lines"][0]
    assert "Wood: walnut" in maker["text"]
    assert posts["/warehouse"].json()["shipping_address"]["line1"] == "12 Analytical Row"

    rows = {(m.recipient, m.channel): m for m in messages_of(engine, "WH-1", "work_order")}
    assert set(rows) == {("warehouse@orderly.example", "email"), (f"{receiver.url}/warehouse", "webhook"),
                         ("accounts@orderly.example", "email"), (f"{receiver.url}/nordwood", "webhook")}
    assert rows[(f"{receiver.url}/warehouse", "webhook")].key == "WH-1/work_order/warehouse/1#webhook"
    assert all(m.status == "sent" and m.attempts == 1 for m in rows.values())


async def test_transient_answers_are_retried_and_a_permanent_one_alerts_staff_without_failing_the_order(
        client, settings, engine):
    with WebhookReceiver(SECRET) as receiver:
        config = with_webhooks(settings, warehouse=f"{receiver.url}/warehouse", nordwood=f"{receiver.url}/nordwood")
        # the first two POSTs (the warehouse's and the manufacturer's, in either order) answer 503, then each
        # department's next attempt: the receiver refuses one with 422 and accepts the other
        receiver.script.extend([(503, "busy", {"Retry-After": "1"}), (503, "busy", {}),
                                (422, "unknown SKU BOOKCASE-MTM", {})])
        async with running_worker(client, config):
            await orders.submit_order(client, config, sofa_form(order_id="WH-2", lines=[BOOKCASE]))
            view = await wait_for(client, "WH-2", lambda v: v.status is OrderStatus.confirmed and any(
                e.kind == "message_failed" for e in v.timeline) and sum(e.kind == "message" for e in v.timeline) >= 3)
            statuses = [r.status for r in receiver.requests]
            assert sorted(statuses) == [200, 422, 503, 503]
            failed = next(m for m in messages_of(engine, "WH-2", "work_order") if m.status == "failed")
            accepted = next(m for m in messages_of(engine, "WH-2", "work_order")
                            if m.channel == "webhook" and m.status == "sent")
            assert failed.attempts == 2 and "answered 422: unknown SKU" in failed.last_error
            assert accepted.attempts == 2
            [alert] = messages_of(engine, "WH-2", "delivery_failed")
            assert alert.recipient == settings.staff_alert_email and alert.status == "sent"
            assert failed.key in alert.text and "unknown SKU" in alert.text and "orderly resend" in alert.text
            [event] = [e for e in view.timeline if e.kind == "message_failed"]
            assert "Could not deliver work order" in event.text

            # the order goes on: shipping still works
            assert view.status is OrderStatus.confirmed

            # staff fix the receiver (it now accepts) and resend: a new attempt under the same key
            delivery = resend_message(engine, Channels(config), failed.key, by="Grace")
            assert delivery.status == "sent" and not delivery.duplicate
            resent = receiver.requests[-1]
            assert resent.headers["Idempotency-Key"] == failed.key.removesuffix("#webhook")
            assert resent.body == next(r.body for r in receiver.requests if r.status == 422)  # the same work order
            with pytest.raises(ResendRefused, match="already sent"):
                resend_message(engine, Channels(config), failed.key, by="Grace")
            with pytest.raises(ResendRefused, match="No message with key"):
                resend_message(engine, Channels(config), "WH-2/nothing/none/1", by="Grace")
            with Session(engine) as session:
                attempts = session.exec(select(MessageAttempt).where(MessageAttempt.key == failed.key)
                                        .order_by(MessageAttempt.id)).all()
            assert [(a.outcome, a.by) for a in attempts] == [("transient", "worker"), ("permanent", "worker"),
                                                             ("sent", "staff:Grace")]


def test_a_department_with_neither_address_nor_webhook_alerts_staff_and_the_order_goes_on(settings, engine):
    from temporalio.testing import ActivityEnvironment

    from channels.mailer import build_mailer
    from activities.notice_sending import NoticeSender
    from models.catalog import load_catalog
    from models.messages import MessageKind
    from tests.mail_notices import notice_for

    config = settings.model_copy(update={"department_emails": {**settings.department_emails, "warehouse": ""}})
    acts = NoticeSender(config, engine, build_mailer(config), load_catalog(config.catalog_path))
    from tests.mail_notices import alert_staff_as_the_workflow_does
    notice = notice_for(MessageKind.work_order, "warehouse", "NOCH-1")
    receipt = ActivityEnvironment().run(acts.send_notice, notice)
    assert receipt.status == "failed"  # returned, not raised: the workflow records it and carries on
    alert_staff_as_the_workflow_does(lambda n: ActivityEnvironment().run(acts.send_notice, n), notice, receipt)
    assert receipt.error == ("'warehouse' has neither an email address nor a webhook: set ORDERLY_DEPARTMENT_EMAILS "
                             "or ORDERLY_DEPARTMENT_WEBHOOKS")
    [alert] = messages_of(engine, "NOCH-1", "delivery_failed")
    assert alert.status == "sent" and "neither an email address nor a webhook" in alert.text


def test_a_webhook_that_does_not_answer_in_time_or_at_all_is_transient():
    from channels.mailer import TransientDeliveryError
    from channels.webhooks import WebhookSender
    from tests.channel_servers import free_port

    class Slow(WebhookReceiver):
        def answer(self, request):
            time.sleep(1.5)
            return super().answer(request)

    with Slow(SECRET) as slow:
        with pytest.raises(TransientDeliveryError, match="not reachable: ReadTimeout"):
            WebhookSender(SECRET, timeout=0.3).post(slow.url, b"{}", "K/work_order/warehouse/1")
    with pytest.raises(TransientDeliveryError, match="not reachable: ConnectError"):
        WebhookSender(SECRET, timeout=0.3).post(f"http://127.0.0.1:{free_port()}/", b"{}", "K/work_order/warehouse/1")


# ---- what each answer means, and the activity's retry timing ----

@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_the_receivers_retry_after(status):
    from channels.mailer import TransientDeliveryError
    from channels.webhooks import WebhookSender

    with WebhookReceiver(SECRET) as receiver:
        receiver.script.extend([(status, "later", {"Retry-After": "7"}), (status, "later", {"Retry-After": "soon"}),
                                (status, "later", {})])
        sender = WebhookSender(SECRET, timeout=5)
        for expected in (7.0, None, None):  # seconds; an unreadable or missing Retry-After leaves it to the policy
            with pytest.raises(TransientDeliveryError, match=f"answered {status}: later") as e:
                sender.post(f"{receiver.url}/warehouse", b"{}", "K/work_order/warehouse/1")
            assert e.value.retry_after == expected
        assert sender.post(f"{receiver.url}/warehouse", b"{}", "K/work_order/warehouse/1") == "wh-1", "then accepted"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_refusals_are_permanent(status):
    from channels.mailer import PermanentDeliveryError
    from channels.webhooks import WebhookSender

    with WebhookReceiver(SECRET) as receiver:
        receiver.script.append((status, "no", {"Retry-After": "7"}))
        with pytest.raises(PermanentDeliveryError, match=f"answered {status}: no"):
            WebhookSender(SECRET).post(f"{receiver.url}/warehouse", b"{}", "K/work_order/warehouse/1")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed(status):
    """A webhook URL must answer itself: the work order is not posted to wherever a redirect points."""
    from channels.mailer import PermanentDeliveryError
    from channels.webhooks import WebhookSender

    with WebhookReceiver(SECRET) as receiver, WebhookReceiver(SECRET) as elsewhere:
        receiver.script.append((status, "", {"Location": f"{elsewhere.url}/stolen"}))
        with pytest.raises(PermanentDeliveryError, match=f"answered {status}"):
            WebhookSender(SECRET).post(f"{receiver.url}/warehouse", b'{"customer": "Ada"}', "K/work_order/warehouse/1")
        assert len(receiver.requests) == 1 and elsewhere.requests == []


def notice_sender():  # noqa: ANN201
    from activities.notice_sending import NoticeSender
    return NoticeSender


def send_options() -> dict:
    from workflows.activity_options import SEND_OPTIONS
    return SEND_OPTIONS


def send_work_order(config: Settings, engine, order_id: str, attempt: int = 1):  # noqa: ANN001, ANN201
    """Run the send activity once for the warehouse's work order, as attempt `attempt` of the workflow's policy."""
    import dataclasses

    from temporalio.testing import ActivityEnvironment

    from channels.mailer import build_mailer
    from models.catalog import load_catalog
    from models.messages import MessageKind
    from tests.mail_notices import notice_for

    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, retry_policy=send_options()["retry_policy"])
    acts = notice_sender()(config, engine, build_mailer(config), load_catalog(config.catalog_path))
    return env.run(acts.send_notice, notice_for(MessageKind.work_order, "warehouse", order_id))


@pytest.mark.parametrize("retry_after, delay", [("2", 2), ("3600", 300)], ids=["as-asked", "capped-at-5-minutes"])
def test_the_activity_retries_after_the_receivers_retry_after_capped(settings, engine, retry_after, delay):
    from datetime import timedelta

    from temporalio.exceptions import ApplicationError

    with WebhookReceiver(SECRET) as receiver:
        receiver.script.append((429, "slow down", {"Retry-After": retry_after}))
        config = with_webhooks(settings, warehouse=f"{receiver.url}/warehouse")
        with pytest.raises(ApplicationError) as raised:
            send_work_order(config, engine, f"RA-{delay}")
    assert raised.value.type == "TransientDeliveryError" and not raised.value.non_retryable
    assert raised.value.next_retry_delay == timedelta(seconds=delay)
    [row] = [m for m in messages_of(engine, f"RA-{delay}", "work_order") if m.channel == "webhook"]
    assert row.status == "retrying" and "answered 429" in row.last_error


def test_the_last_attempt_gives_up_logs_the_failure_and_alerts_staff(settings, engine):
    """On the policy's last attempt a transient answer is not raised (there is no retry to come): the message is
    logged failed, staff are alerted, and the receipt goes back to the workflow, which carries on."""
    last = send_options()["retry_policy"].maximum_attempts
    with WebhookReceiver(SECRET) as receiver:
        receiver.script.extend([(503, "down for maintenance", {})] * 2)
        config = with_webhooks(settings, warehouse=f"{receiver.url}/warehouse")
        from temporalio.exceptions import ApplicationError
        with pytest.raises(ApplicationError):  # an attempt before the last: raised, to be retried
            send_work_order(config, engine, "GIVE-UP", attempt=last - 1)
        receipt = send_work_order(config, engine, "GIVE-UP", attempt=last)
        from activities.notice_sending import NoticeSender
        from channels.mailer import build_mailer
        from models.catalog import load_catalog
        from models.messages import MessageKind
        from temporalio.testing import ActivityEnvironment
        from tests.mail_notices import alert_staff_as_the_workflow_does, notice_for
        acts = NoticeSender(config, engine, build_mailer(config), load_catalog(config.catalog_path))
        alert_staff_as_the_workflow_does(lambda n: ActivityEnvironment().run(acts.send_notice, n),
                                         notice_for(MessageKind.work_order, "warehouse", "GIVE-UP"), receipt)
    assert receipt.status == "failed" and "answered 503: down for maintenance" in receipt.error
    [row] = [m for m in messages_of(engine, "GIVE-UP", "work_order") if m.channel == "webhook"]
    assert row.status == "failed" and row.attempts == 2
    [alert] = messages_of(engine, "GIVE-UP", "delivery_failed")
    assert alert.status == "sent" and row.key in alert.text
    assert [r.status for r in receiver.requests] == [503, 503]
