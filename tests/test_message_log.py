"""Staff's view of the message log: `orderly outbox` shows each message's delivery status, `orderly resend` sends
a failed one again under the same key (logged, once), and the functions the staff console calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from store.database import make_engine
from channels.mailer import build_mailer
from channels.resend import ResendRefused, resend
from store.message_log import attempts_of, list_messages, status_counts
from activities.notice_sending import NoticeSender
from models.catalog import load_catalog
from models.messages import CUSTOMER, MessageKind
from tests.channel_servers import RecordingHTTPServer
from tests.mail_notices import alert_staff_as_the_workflow_does, notice_for
from tests.test_mail_sendgrid import run

BIN = Path(sys.executable).parent


def orderly(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "orderly"), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def failed_confirmation(settings):
    """An order confirmation SendGrid refused (400), and the SendGrid stand-in, now accepting again."""
    with RecordingHTTPServer(default=(202, "", {"X-Message-Id": "sg-2"})) as api:
        api.script.append((400, '{"errors":[{"message":"invalid to address"}]}', {}))
        config = settings.model_copy(update={"email_backend": "sendgrid", "sendgrid_host": api.url,
                                             "sendgrid_api_key": SecretStr("SG.log")})
        acts = NoticeSender(config, make_engine(config.db_url), build_mailer(config),
                            load_catalog(config.catalog_path))
        notice = notice_for(MessageKind.order_confirmation, CUSTOMER, "LOG-1")
        receipt = run(acts, notice)
        assert receipt.status == "failed"
        alert_staff_as_the_workflow_does(lambda n: run(acts, n), notice, receipt)
        yield config, api


def test_the_console_functions_list_statuses_and_resend_once(failed_confirmation, engine):
    config, api = failed_confirmation
    key = "LOG-1/order_confirmation/customer/1"
    assert status_counts(engine) == {"failed": 1, "sent": 1}  # the confirmation, and the staff alert about it
    [failed] = list_messages(engine, status="failed")
    assert failed.key == key and "invalid to address" in failed.last_error

    delivery = resend(engine, config, key, by="Grace")
    assert delivery.status == "sent" and delivery.provider_id == "sg-2"
    assert api.requests[-1].json()["custom_args"]["orderly_key"] == key  # the same key at the provider
    assert [(a.outcome, a.by) for a in attempts_of(engine, key)] == [("permanent", "worker"), ("sent", "staff:Grace")]
    # (a `[:1]` slice here would hide a duplicate row for the key: take every sent row of this key)
    [row] = [r for r in list_messages(engine, order_id="LOG-1", channel="email", status="sent") if r.key == key]
    assert row.attempts == 2
    assert [r.key for r in list_messages(engine, order_id="LOG-1")].count(key) == 1, "one log row per key"
    with pytest.raises(ResendRefused, match="already sent"):
        resend(engine, config, key, by="Grace")
    assert len(api.requests) == 3  # refused, original + alert + one resend


def test_orderly_outbox_and_resend(failed_confirmation, settings):
    config, api = failed_confirmation
    env = {**os.environ, "ORDERLY_VAR_DIR": str(config.var_dir), "ORDERLY_EMAIL_BACKEND": "sendgrid",
           "ORDERLY_SENDGRID_HOST": api.url, "SENDGRID_API_KEY": "SG.log"}
    key = "LOG-1/order_confirmation/customer/1"

    listed = orderly("outbox", "--order", "LOG-1", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {r["kind"]: r for r in json.loads(listed.stdout)}
    assert rows["order_confirmation"]["status"] == "failed" and rows["delivery_failed"]["status"] == "sent"
    assert "SendGrid answered 400" in rows["order_confirmation"]["last_error"]
    table = orderly("outbox", "--status", "failed", env=env)
    assert "failed" in table.stdout and "LOG-1/order_confirmation/customer/1" in table.stdout

    bad = orderly("outbox", "--status", "lost", env=env)
    assert bad.returncode == 1 and "--status must be one of sent, retrying, failed, resending" in bad.stderr

    resent = orderly("resend", key, "--by", "Grace", env=env)
    assert resent.returncode == 0, resent.stderr
    assert f"{key} resent to ada@example.com" in resent.stdout

    again = orderly("resend", key, "--by", "Grace", "--json", env=env)
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"]["kind"] == "refused"
    assert "a sent message is not sent again" in json.loads(again.stdout)["error"]["message"]
    unknown = orderly("resend", "LOG-1/nothing/x/1", "--by", "Grace", env=env)
    assert unknown.returncode == 1 and "No message with key 'LOG-1/nothing/x/1'" in unknown.stderr
    assert len(api.requests) == 3
