"""Composing a notice is a pure function (no database, no network, no Temporal), apart from delivering it; and a
the message activity alerts nobody itself: the workflow tells staff with its own `delivery_failed` notice."""

from __future__ import annotations

import json
import socket

import pytest

from activities.notice_sending import NoticeSender
from activities.notices import compose
from channels.mailer import build_mailer
from models.catalog import load_catalog
from models.messages import CUSTOMER, STAFF, Delivery, MessageKind, Notice, delivery_failed_notice
from models.settings import Settings
from models.validation import validate_form
from tests.channel_servers import RecordingHTTPServer
from tests.conftest import messages_of, sofa_form
from tests.mail_notices import notice_for
from tests.test_mail_sendgrid import run, sendgrid_settings
from tests.test_webhooks import BOOKCASE

LINKS = {"status_url": "https://shop.example/s", "form_url": "https://shop.example/f",
         "survey_url": "https://shop.example/v"}


def offline_settings() -> Settings:
    """Settings whose database cannot be reached: composing must not need it."""
    return Settings(_env_file=None, secret_key="k", db_url="postgresql+psycopg://nobody@127.0.0.1:1/nowhere",
                    webhook_secret="whsec-test-0123456789",
                    department_webhooks={"warehouse": "https://wh.example/hook", "nordwood": "https://nw.example/hook"})


def with_bookcase(notice: Notice) -> Notice:
    """The notice about an order of a sofa (the warehouse's) and a bookcase (made by the manufacturer nordwood)."""
    form = sofa_form(order_id=notice.order.order_id, lines=[sofa_form().lines[0].model_dump(), BOOKCASE])
    lines = validate_form(form, load_catalog(Settings(_env_file=None).catalog_path)).lines
    return notice.model_copy(update={"order": notice.order.model_copy(update={"lines": lines})})


@pytest.fixture
def offline(monkeypatch):
    """No network: any connection attempt fails the test."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("compose opened a connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_compose_gives_the_same_deliveries_for_the_same_input_with_no_database_network_or_temporal(offline):
    config = offline_settings()
    catalog = load_catalog(config.catalog_path)
    for kind, to in ((MessageKind.order_confirmation, CUSTOMER), (MessageKind.work_order, "warehouse"),
                     (MessageKind.work_order, "nordwood")):
        notice = with_bookcase(notice_for(kind, to, "PURE-1"))
        first, second = compose(notice, config, catalog, LINKS), compose(notice, config, catalog, LINKS)
        assert first and first == second
        assert all(out.message_key == notice.key for out in first)
    confirmation = compose(notice_for(MessageKind.order_confirmation, CUSTOMER, "PURE-1"), config, catalog, LINKS)
    assert [out.channel for out in confirmation] == ["email"] and LINKS["status_url"] in confirmation[0].text


def test_the_manufacturers_webhook_body_has_its_lines_only_and_no_prices_or_customer(offline):
    config = offline_settings()
    catalog = load_catalog(config.catalog_path)
    notice = with_bookcase(notice_for(MessageKind.work_order, "nordwood", "PURE-2"))
    [email, hook] = compose(notice, config, catalog, LINKS)
    assert (email.channel, email.recipient) == ("email", "orders@nordwood.example")
    assert (hook.channel, hook.recipient, hook.key) == ("webhook", "https://nw.example/hook",
                                                        "PURE-2/work_order/nordwood/1#webhook")
    body = json.loads(hook.text)
    assert body["customer"] is None and body["total"] is None
    assert [line["sku"] for line in body["lines"]] == ["BOOKCASE-MTM"] and "unit_price" not in body["lines"][0]
    order = notice.order
    for secret in (str(order.total), *(str(line.unit_price) for line in order.lines), order.customer.name,
                   order.customer.email, order.customer.phone):
        assert secret not in hook.text and secret not in email.text, secret
    [_, warehouse] = compose(notice.model_copy(update={"to": "warehouse"}), config, catalog, LINKS)
    shown = json.loads(warehouse.text)  # the warehouse's own body does carry them
    assert shown["total"] == str(order.total) and shown["customer"]["email"] == order.customer.email
    assert [line["sku"] for line in shown["lines"]] == ["SOFA-3S", "BOOKCASE-MTM"]


def test_compose_refuses_a_recipient_with_neither_address_nor_webhook(offline):
    config = offline_settings().model_copy(update={"department_emails": {"warehouse": ""},
                                                   "department_webhooks": {}})
    with pytest.raises(ValueError, match="'warehouse' has neither an email address nor a webhook"):
        compose(notice_for(MessageKind.work_order, "warehouse", "PURE-3"), config,
                load_catalog(config.catalog_path), LINKS)


def test_the_alert_about_a_failed_delivery_names_it_and_staff_failures_alert_nobody():
    notice = notice_for(MessageKind.shipping_notice, CUSTOMER, "AL-1")
    failed = Delivery(key=notice.key, recipient="ada@example.com", status="failed", error="550 no such user")
    alert = delivery_failed_notice(notice, failed)
    assert (alert.kind, alert.to, alert.order) == (MessageKind.delivery_failed, STAFF, notice.order)
    assert alert.key == "AL-1/delivery_failed/staff/AL-1.shipping_notice.customer.1"
    assert alert.extra == {"failed_key": notice.key, "failed_kind": "shipping_notice", "channel": "email",
                           "failed_to": CUSTOMER, "recipient": "ada@example.com", "error": "550 no such user"}
    assert delivery_failed_notice(notice.model_copy(update={"to": STAFF}), failed) is None
    assert delivery_failed_notice(alert, failed) is None


@pytest.fixture
def refusing(settings, engine):
    """The message activity with SendGrid (a local stand-in) refusing every message for good (400)."""
    with RecordingHTTPServer(default=(400, '{"errors":[{"message":"invalid to address"}]}', {})) as api:
        config = sendgrid_settings(settings, api.url)
        yield NoticeSender(config, engine, build_mailer(config), load_catalog(config.catalog_path)), api


def test_a_permanent_failure_comes_back_failed_and_alerts_nobody(refusing, engine):
    acts, api = refusing
    notice = notice_for(MessageKind.order_confirmation, CUSTOMER, "NA-1")
    receipt = run(acts, notice)
    assert receipt.status == "failed" and "invalid to address" in receipt.error
    [failed] = receipt.deliveries  # what the workflow needs for its own alert
    assert (failed.channel, failed.recipient, failed.status) == ("email", "ada@example.com", "failed")
    assert "invalid to address" in failed.error and not failed.duplicate
    assert len(api.requests) == 1  # the confirmation only: no alert went to staff
    assert {m.kind: m.status for m in messages_of(engine, "NA-1")} == {"order_confirmation": "failed"}
    assert delivery_failed_notice(notice, failed).extra["error"] == failed.error


def test_the_last_attempts_transient_failure_alerts_nobody(settings, engine):
    with RecordingHTTPServer(default=(503, "", {})) as api:
        config = sendgrid_settings(settings, api.url)
        acts = NoticeSender(config, engine, build_mailer(config), load_catalog(config.catalog_path))
        notice = notice_for(MessageKind.shipping_notice, CUSTOMER, "NA-2")
        receipt = run(acts, notice, attempt=30, max_attempts=30)
    assert receipt.status == "failed" and "503" in receipt.error
    assert {m.kind: m.status for m in messages_of(engine, "NA-2")} == {"shipping_notice": "failed"}


def test_a_recipient_with_no_channel_alerts_nobody(settings, engine):
    config = settings.model_copy(update={"department_emails": {**settings.department_emails, "warehouse": ""}})
    acts = NoticeSender(config, engine, build_mailer(config), load_catalog(config.catalog_path))
    notice = notice_for(MessageKind.work_order, "warehouse", "NA-3")
    receipt = run(acts, notice)
    assert receipt.status == "failed" and "neither an email address nor a webhook" in receipt.error
    [nowhere] = receipt.deliveries
    assert (nowhere.channel, nowhere.recipient, nowhere.status) == ("none", "warehouse", "failed")
    assert messages_of(engine, "NA-3") == []
