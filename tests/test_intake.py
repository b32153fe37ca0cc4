"""Intake done once: the submitter's form check travels in the workflow's input, the order is in the read model as
soon as it is accepted (before any email), and it is confirmed only once its confirmation is out."""

from __future__ import annotations

from contextlib import aclosing

import asyncio

import httpx

from models.order import OrderStatus
from starter import orders
from starter.web_app import create_app
from store.read_model import list_orders
from tests.channel_servers import RecordingHTTPServer
from tests.conftest import running_worker, serving, sofa_form, wait_for
from tests.test_mail_sendgrid import sendgrid_settings
from tests.test_web_pages import staff_session

ADMIN = {"Authorization": "Bearer token-admin"}


async def test_an_accepted_order_is_listed_at_once_while_its_email_cannot_go_out(client, settings, engine):
    with RecordingHTTPServer(default=(503, "down for maintenance", {})) as api:
        config = sendgrid_settings(settings, api.url)
        async with running_worker(client, config), serving(create_app(config, client)) as web:
            answer = await orders.submit_order(client, config, sofa_form(order_id="INTAKE-DOWN"))
            assert "accepted" in answer.message and answer.status is OrderStatus.received

            # Listed at once: the row was written when the order was accepted, before the confirmation's first try.
            async with httpx.AsyncClient(base_url=web, headers=ADMIN) as http:
                listed = (await http.get("/api/orders")).json()["items"]
            assert [o["order_id"] for o in listed] == ["INTAKE-DOWN"] and listed[0]["status"] == "received"
            assert listed[0]["expected_fulfillment_date"] is not None
            async with aclosing(await staff_session(web, "token-admin")) as staff:
                assert "INTAKE-DOWN" in (await staff.get("/staff")).text

            while len(api.requests) < 2:  # the provider has refused the confirmation (at least twice): not confirmed
                await asyncio.sleep(0.2)
            view = await orders.order_status(client, "INTAKE-DOWN")
            kinds = [e.kind for e in view.timeline]
            assert "accepted" in kinds and "status:confirmed" not in kinds, kinds
            assert view.status is OrderStatus.received and list_orders(engine)[0].status == "received"
            assert {r.status for r in api.requests} == {503}

            api.default = (202, "", {"X-Message-Id": "sg-ok"})  # the provider is back: the retry goes out
            view = await wait_for(client, "INTAKE-DOWN", lambda v: v.status is OrderStatus.confirmed, timeout=60)
    kinds = [(e.kind, e.data.get("message_kind")) for e in view.timeline]
    assert kinds.index(("message", "order_confirmation")) < kinds.index(("status:confirmed", None)), kinds


async def test_a_complete_form_is_checked_once_and_saved_before_any_email(client, settings, worker):
    await orders.submit_order(client, settings, sofa_form(order_id="INTAKE-ONCE"))
    await wait_for(client, "INTAKE-ONCE", lambda v: v.status is OrderStatus.confirmed)
    history = await orders.handle_for(client, "INTAKE-ONCE").fetch_history()
    steps = []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            steps.append(e.activity_task_scheduled_event_attributes.activity_type.name)
        elif e.marker_recorded_event_attributes.marker_name == "core_local_activity":
            steps.append("save (local)")
    assert "check_order_form" not in steps, "the submitter's check travelled in the input"
    # the row first, then the confirmation with the work orders (one activity, the order once)
    assert steps[:2] == ["save (local)", "send_notices"], steps
