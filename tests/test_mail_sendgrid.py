"""The SendGrid backend: the real `sendgrid` client against a local HTTP server standing in for the v3 API.

The message activity runs as it does in the worker (ActivityEnvironment gives it its attempt number), so these
tests see what the client sends and how each answer is handled; one test runs a whole order through Temporal's
retries; one sends a real message when SENDGRID_API_KEY is set.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta

import pytest
from pydantic import SecretStr
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from store.database import make_engine
from channels.mailer import build_mailer
from channels.mail_sendgrid import SendGridMailer
from activities.notice_sending import NoticeSender
from models.catalog import load_catalog
from models.messages import CUSTOMER, MessageKind, Notice
from models.order import OrderStatus
from models.settings import Settings
from starter import orders
from tests.channel_servers import RecordingHTTPServer, free_port
from tests.conftest import messages_of, running_worker, sofa_form, wait_for
from tests.mail_notices import alert_staff_as_the_workflow_does, notice_for

API_KEY = "SG.test-key"


def sendgrid_settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"email_backend": "sendgrid", "sendgrid_api_key": SecretStr(API_KEY),
                                       "sendgrid_host": url, "mail_timeout": 5.0})


def run(acts: NoticeSender, notice: Notice, attempt: int = 1, max_attempts: int = 30):
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt,
                                   retry_policy=RetryPolicy(maximum_attempts=max_attempts))
    return env.run(acts.send_notice, notice)


@pytest.fixture
def api():
    with RecordingHTTPServer(default=(202, "", {"X-Message-Id": "sg-msg-1"})) as server:
        yield server


@pytest.fixture
def acts(settings, api):
    config = sendgrid_settings(settings, api.url)
    return NoticeSender(config, make_engine(config.db_url), build_mailer(config), load_catalog(config.catalog_path))


def test_the_backend_is_chosen_by_settings(settings, api):
    assert isinstance(build_mailer(sendgrid_settings(settings, api.url)), SendGridMailer)
    assert settings.model_copy(update={"email_backend": "sendgrid"}).channel_problems() == [
        "ORDERLY_EMAIL_BACKEND=sendgrid needs SENDGRID_API_KEY"]


def test_202_sends_both_parts_the_key_as_custom_arg_and_the_kind_as_category(acts, api, engine):
    notice = notice_for(MessageKind.order_confirmation, CUSTOMER, "SG-1")
    receipt = run(acts, notice)

    assert receipt.status == "sent" and receipt.provider_id == "sg-msg-1" and not receipt.duplicate
    [request] = api.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    sent = request.json()
    assert sent["personalizations"] == [{"to": [{"email": "ada@example.com"}]}]
    assert sent["from"] == {"name": "Orderly Furniture Co.", "email": "orders@orderly.example"}
    assert sent["subject"].startswith("Order SG-1 confirmed: expected ready by ")
    [text, html] = sent["content"]
    assert text["type"] == "text/plain" and "Three-seat sofa" in text["value"] and "<" not in text["value"]
    assert html["type"] == "text/html" and html["value"].startswith("<!doctype html>")
    assert sent["custom_args"] == {"orderly_key": "SG-1/order_confirmation/customer/1", "orderly_order": "SG-1"}
    assert sent["categories"] == ["order_confirmation"]

    [row] = messages_of(engine, "SG-1")
    assert (row.status, row.provider_id, row.attempts, row.channel) == ("sent", "sg-msg-1", 1, "email")

    again = run(acts, notice, attempt=2)  # a retried activity finds the key and does not call SendGrid again
    assert again.duplicate and again.status == "sent" and len(api.requests) == 1


@pytest.mark.parametrize("status, headers, delay", [(429, {"Retry-After": "7"}, timedelta(seconds=7)),
                                                    (500, {}, None), (503, {}, None)])
def test_429_and_5xx_are_retried_and_then_sent_once(acts, api, engine, status, headers, delay):
    api.script.append((status, '{"errors":[{"message":"try later"}]}', headers))
    notice = notice_for(MessageKind.order_confirmation, CUSTOMER, f"SG-{status}")

    with pytest.raises(ApplicationError) as raised:
        run(acts, notice, attempt=1)
    assert raised.value.type == "TransientDeliveryError" and not raised.value.non_retryable
    assert raised.value.next_retry_delay == delay
    assert f"SendGrid answered {status}" in str(raised.value)
    [row] = messages_of(engine, f"SG-{status}")
    assert row.status == "retrying" and row.attempts == 1

    receipt = run(acts, notice, attempt=2)
    assert receipt.status == "sent"
    assert [r.status for r in api.requests] == [status, 202]
    [row] = messages_of(engine, f"SG-{status}")
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""


def test_400_is_permanent_logged_and_alerts_staff_without_raising(acts, api, engine, settings):
    api.script.append((400, '{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}', {}))
    notice = notice_for(MessageKind.order_confirmation, CUSTOMER, "SG-400")

    receipt = run(acts, notice)
    alert_staff_as_the_workflow_does(lambda n: run(acts, n), notice, receipt)
    assert receipt.status == "failed" and "SendGrid answered 400" in receipt.error
    assert "Does not contain a valid address" in receipt.error
    rows = {m.kind: m for m in messages_of(engine, "SG-400")}
    assert rows["order_confirmation"].status == "failed" and rows["order_confirmation"].attempts == 1
    alert = rows["delivery_failed"]
    assert alert.status == "sent" and alert.recipient == settings.staff_alert_email
    [_, alert_request] = api.requests
    assert alert_request.json()["categories"] == ["delivery_failed"]
    assert alert_request.json()["personalizations"] == [{"to": [{"email": settings.staff_alert_email}]}]
    assert "SG-400/order_confirmation/customer/1" in alert.text

    again = run(acts, notice, attempt=2)  # failed is final for the automatic path: no second call, no second alert
    assert again.status == "failed" and again.duplicate and len(api.requests) == 2


def test_transient_failures_on_the_last_attempt_give_up_like_a_permanent_one(acts, api, engine):
    api.script.extend([(503, "", {})])
    notice = notice_for(MessageKind.shipping_notice, CUSTOMER, "SG-LAST")
    receipt = run(acts, notice, attempt=30, max_attempts=30)
    alert_staff_as_the_workflow_does(lambda n: run(acts, n), notice, receipt)
    assert receipt.status == "failed" and "503" in receipt.error
    assert {m.kind: m.status for m in messages_of(engine, "SG-LAST")} == {"shipping_notice": "failed",
                                                                          "delivery_failed": "sent"}


def test_an_unreachable_api_is_transient(settings):
    config = sendgrid_settings(settings, f"http://127.0.0.1:{free_port()}")
    acts = NoticeSender(config, make_engine(config.db_url), build_mailer(config), load_catalog(config.catalog_path))
    with pytest.raises(ApplicationError, match="SendGrid not reachable") as raised:
        run(acts, notice_for(MessageKind.order_confirmation, CUSTOMER, "SG-DOWN"))
    assert not raised.value.non_retryable


async def test_a_whole_order_through_temporal_retries_a_500_and_sends_each_message_once(client, settings, api):
    api.script.append((500, "internal error", {}))
    config = sendgrid_settings(settings, api.url)
    engine = make_engine(config.db_url)
    async with running_worker(client, config):
        await orders.submit_order(client, config, sofa_form(order_id="SG-FLOW"))
        await wait_for(client, "SG-FLOW", lambda v: v.status is OrderStatus.confirmed and sum(
            e.kind == "message" for e in v.timeline) >= 3)
    keys = [r.json()["custom_args"]["orderly_key"] for r in api.requests]
    accepted = [k for k, r in zip(keys, api.requests) if r.status == 202]
    assert sorted(accepted) == ["SG-FLOW/order_confirmation/customer/1", "SG-FLOW/work_order/accounts-receivable/1",
                                "SG-FLOW/work_order/warehouse/1"]
    assert keys[0] == "SG-FLOW/order_confirmation/customer/1" and api.requests[0].status == 500
    [confirmation] = messages_of(engine, "SG-FLOW", "order_confirmation")
    assert confirmation.attempts == 2 and confirmation.status == "sent"


@pytest.mark.skipif(not os.environ.get("SENDGRID_API_KEY"), reason="sends a real email: needs SENDGRID_API_KEY "
                    "(and SENDGRID_TEST_TO, ORDERLY_MAIL_FROM a verified sender)")
def test_real_sendgrid_accepts_one_message(settings):
    config = settings.model_copy(update={"email_backend": "sendgrid", "sendgrid_host": "https://api.sendgrid.com",
                                         "sendgrid_api_key": SecretStr(os.environ["SENDGRID_API_KEY"]),
                                         "mail_from": os.environ.get("ORDERLY_MAIL_FROM", settings.mail_from)})
    acts = NoticeSender(config, make_engine(config.db_url), build_mailer(config), load_catalog(config.catalog_path))
    to = os.environ.get("SENDGRID_TEST_TO", "test@example.com")
    receipt = run(acts, notice_for(MessageKind.order_confirmation, CUSTOMER, "SG-REAL", email=to))
    assert receipt.status == "sent", receipt.error
    assert receipt.provider_id and not receipt.provider_id.startswith("sendgrid:")


class SlowAPI(RecordingHTTPServer):
    def answer(self, request):
        import time
        time.sleep(1.5)
        return super().answer(request)


def test_a_timeout_is_transient(settings):
    with SlowAPI() as slow:
        config = sendgrid_settings(settings, slow.url).model_copy(update={"mail_timeout": 0.3})
        acts = NoticeSender(config, make_engine(config.db_url), build_mailer(config),
                            load_catalog(config.catalog_path))
        with pytest.raises(ApplicationError, match="SendGrid not reachable") as raised:
            run(acts, notice_for(MessageKind.order_confirmation, CUSTOMER, "SG-SLOW"))
    assert raised.value.type == "TransientDeliveryError" and not raised.value.non_retryable
