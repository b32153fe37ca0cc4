"""Long timers (days) on the time-skipping test server: nobody waits, the server skips ahead."""

from __future__ import annotations

from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from models.order import Acknowledgement, DelayReport, OrderStatus, Shipment
from models.settings import Settings
from starter import orders
from plumbing.payload_encryption import data_converter_for
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES
from tests.conftest import binary, messages_of, running_worker, sofa_form, wait_for

BUSINESS_POLICY = [f"ORDERLY_{n}" for n in ("COMPLETION_REMINDER", "COMPLETION_EXPIRY", "ACKNOWLEDGEMENT_REMINDER",
                                            "DELAY_GRACE", "DELAY_RECHECK", "FEEDBACK_DELAY", "FEEDBACK_REMINDER")]


@pytest_asyncio.fixture
async def skipping_env():
    """A fresh time-skipping server per test: time is shared by everything on one server, so tests stay apart."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=binary("temporal-test-server"),
                                                       data_converter=data_converter_for(Settings(_env_file=None)))
    await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=env.client.namespace,
        search_attributes={key.name: key.indexed_value_type.value for key in SEARCH_ATTRIBUTES}))
    yield env
    await env.shutdown()


@pytest.fixture
def business_settings(settings, monkeypatch):
    """The real business policy: reminders and delays measured in days."""
    for name in BUSINESS_POLICY:
        monkeypatch.delenv(name, raising=False)
    return settings


async def test_lateness_timer_tells_customer_and_staff_without_anyone_asking(skipping_env, business_settings, engine):
    client = skipping_env.client
    async with running_worker(client, business_settings):
        await orders.submit_order(client, business_settings, sofa_form(order_id="LATE-1"))
        view = await wait_for(client, "LATE-1", lambda v: v.status is OrderStatus.confirmed and v.work_orders)
        due = view.expected_fulfillment_date
        assert not messages_of(engine, "LATE-1", "late_notice")

        await skipping_env.sleep(timedelta(days=25))
        view = await wait_for(client, "LATE-1", lambda v: any(e.kind == "message" and "late alert" in e.text
                                                                 for e in v.timeline))
        assert view.status is OrderStatus.delayed
        [notice] = messages_of(engine, "LATE-1", "late_notice")
        assert notice.recipient == "ada@example.com"
        assert f"{due.day} {due:%B %Y}" in notice.text and "has not shipped yet" in notice.text
        alerts = messages_of(engine, "LATE-1", "late_alert")
        assert alerts and all(a.recipient == "operations@orderly.example" for a in alerts)
        # the acknowledgement reminder went out on the way (policy: one day)
        assert {m.recipient for m in messages_of(engine, "LATE-1", "work_order_reminder")} == {
            "warehouse@orderly.example", "accounts@orderly.example"}

        # a day later, still nothing: staff are alerted again, the customer is not sent the same notice twice
        before = len(alerts)
        await skipping_env.sleep(timedelta(days=1, hours=1))
        await wait_for(client, "LATE-1", lambda v: len(messages_of(engine, "LATE-1", "late_alert")) > before)
        assert len(messages_of(engine, "LATE-1", "late_notice")) == 1

        # staff give a new date: the customer hears the reason; then it ships
        today = (await orders.order_status(client, "LATE-1")).timeline[-1].at.date()
        await orders.act(client, "LATE-1", "delay", DelayReport(new_date=today + timedelta(days=7),
                                                                 reason="The fabric mill shipped the wrong velvet"))
        [delay] = messages_of(engine, "LATE-1", "delay_notice")
        assert "The fabric mill shipped the wrong velvet" in delay.text
        await orders.act(client, "LATE-1", "ship", Shipment(carrier="DHL", tracking_number="JD0001",
                                                              expected_delivery_date=today + timedelta(days=9)))
        await wait_for(client, "LATE-1", lambda v: bool(messages_of(engine, "LATE-1", "shipping_notice")))


async def test_feedback_asked_days_after_delivery_with_one_reminder(skipping_env, business_settings, engine):
    client = skipping_env.client
    async with running_worker(client, business_settings):
        await orders.submit_order(client, business_settings, sofa_form(order_id="FB-1"))
        view = await wait_for(client, "FB-1", lambda v: v.status is OrderStatus.confirmed and v.work_orders)
        await orders.act(client, "FB-1", "ship", Shipment(carrier="UPS", tracking_number="1Z1",
                                                            expected_delivery_date=view.expected_fulfillment_date))
        await orders.act(client, "FB-1", "deliver")
        await skipping_env.sleep(timedelta(days=2))
        assert not messages_of(engine, "FB-1", "feedback_request")
        await skipping_env.sleep(timedelta(days=1, hours=1))
        await wait_for(client, "FB-1", lambda v: bool(messages_of(engine, "FB-1", "feedback_request")))
        await skipping_env.sleep(timedelta(days=5, hours=1))
        await wait_for(client, "FB-1", lambda v: bool(messages_of(engine, "FB-1", "feedback_reminder")))
        await skipping_env.sleep(timedelta(days=5, hours=1))
        view = await wait_for(client, "FB-1", lambda v: v.status is OrderStatus.completed)
        [done] = [e for e in view.timeline if e.kind == "status:completed"]  # (then `settled`: money, issue 27)
        assert view.feedback is None and done.text == "Order completed without feedback"
        assert len(messages_of(engine, "FB-1", "feedback_reminder")) == 1


async def test_incomplete_form_reminded_after_two_days_and_expired_after_seven(skipping_env, business_settings,
                                                                               engine):
    client = skipping_env.client
    form = sofa_form(order_id="EXP-1", lines=[{"sku": "TABLE-OAK", "quantity": 1, "options": {"length_cm": 200}}])
    async with running_worker(client, business_settings):
        result = await orders.submit_order(client, business_settings, form)
        assert result.status is OrderStatus.incomplete
        assert [p.field for p in result.problems] == ["lines[0].options.finish"]
        await skipping_env.sleep(timedelta(days=2, hours=1))
        await wait_for(client, "EXP-1", lambda v: bool(messages_of(engine, "EXP-1", "form_reminder")))
        await skipping_env.sleep(timedelta(days=5))
        assert (await orders.handle_for(client, "EXP-1").result()).status is OrderStatus.expired
        view = await orders.order_status(client, "EXP-1")
        [expired] = messages_of(engine, "EXP-1", "form_expired")
        assert "closed it" in expired.text
        assert not messages_of(engine, "EXP-1", "order_confirmation")
        assert view.lines == []


async def test_unacknowledged_work_orders_remind_only_the_silent_departments(skipping_env, business_settings, engine):
    """The warehouse acknowledges, accounts receivable does not: after the reminder delay (policy: one day) only
    accounts is reminded. Time moves only when the test skips it, so the acknowledgement is surely first."""
    from models.order import Acknowledgement

    client = skipping_env.client
    async with running_worker(client, business_settings):
        await orders.submit_order(client, business_settings, sofa_form(order_id="ACK-REMIND"))
        await wait_for(client, "ACK-REMIND", lambda v: v.status is OrderStatus.confirmed and len(
            [m for m in messages_of(engine, "ACK-REMIND", "work_order") if m.status == "sent"]) == 2)
        await orders.act(client, "ACK-REMIND", "acknowledge", Acknowledgement(department="warehouse"))
        assert not messages_of(engine, "ACK-REMIND", "work_order_reminder")
        await skipping_env.sleep(timedelta(days=1, hours=1))
        await wait_for(client, "ACK-REMIND", lambda v: bool(messages_of(engine, "ACK-REMIND", "work_order_reminder")))
        [reminder] = messages_of(engine, "ACK-REMIND", "work_order_reminder")
        assert reminder.recipient == "accounts@orderly.example" and "has not been acknowledged" in reminder.text


async def test_a_part_at_risk_is_told_to_staff_before_its_date_and_never_after_it_ships(skipping_env, business_settings,
                                                                                     engine):
    """The sofa ships at once (nobody acknowledged it): never at risk. Nordwood acknowledges the bookcase but does not
    hand it over by its hand-over date: staff are alerted once, naming the bookcase, before the customer's date."""
    client = skipping_env.client
    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "ash", "height_cm": 180, "width_cm": 80}}
    async with running_worker(client, business_settings):
        await orders.submit_order(client, business_settings, sofa_form(order_id="RISK-1", lines=[
            sofa_form().lines[0].model_dump(), bookcase]))
        view = await wait_for(client, "RISK-1", lambda v: v.status is OrderStatus.confirmed and v.work_orders)
        sofa_part, bookcase_part = view.parts
        await orders.act(client, "RISK-1", "ship", Shipment(
            carrier="DHL", tracking_number="JD1", lines=[{"sku": "SOFA-3S"}],
            expected_delivery_date=view.received_at.date() + timedelta(days=5)))
        await orders.act(client, "RISK-1", "acknowledge", Acknowledgement(department="nordwood"))

        await skipping_env.sleep(timedelta(days=(bookcase_part.handover_date - view.received_at.date()).days + 2))
        view = await wait_for(client, "RISK-1", lambda v: any(e.kind == "at_risk" for e in v.timeline))
        [alert] = messages_of(engine, "RISK-1", "at_risk_alert")
        assert alert.recipient == "operations@orderly.example"
        assert alert.key == f"RISK-1/at_risk_alert/staff/nordwood.{bookcase_part.expected_fulfillment_date}"
        assert "Made-to-measure bookcase" in alert.text and "Three-seat sofa" not in alert.text
        assert "is not reported ready" in alert.text and "not been acknowledged" not in alert.text
        [event] = [e for e in view.timeline if e.kind == "at_risk"]
        assert event.at.date() < bookcase_part.expected_fulfillment_date  # before the customer is let down
        assert not messages_of(engine, "RISK-1", "late_notice")

        await skipping_env.sleep(timedelta(days=1))  # once per part and date
        assert len(messages_of(engine, "RISK-1", "at_risk_alert")) == 1
