"""An order closed from Temporal itself (the Web UI or the CLI), not through Orderly: cancelled, or terminated.

A Temporal-level cancel takes the path of the `cancel` update where that update would be accepted, and is refused
(recorded, the order carrying on) where it would not. A terminated order runs no code: the reconciliation schedule
finds it, marks it `terminated` in the read model, alerts staff once, and the console offers nothing more.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError

from models.order import Acknowledgement, FeedbackEntry, OrderStatus, Shipment
from starter import orders
from store.read_model import list_orders, timeline
from tests.conftest import messages_of, sofa_form, wait_for
from tests.test_available_actions import offered
from tests.test_web_pages import staff_session
from worker import reconciliation_schedule_id, register_reconciliation
from workflows.search_attributes import ORDER_STATUS


async def passes_done(client, settings) -> int:
    query = (f'WorkflowType = "ReconcileClosedOrders" AND TaskQueue = "{settings.task_queue}" '
             'AND ExecutionStatus = "Completed"')
    return (await client.count_workflows(query)).count


def row_of(engine, order_id: str):
    return next(r for r in list_orders(engine, limit=1000) if r.order_id == order_id)


async def test_a_temporal_cancel_of_a_confirmed_order_tells_everyone_and_closes_it_cancelled(
        client, settings, engine, worker):
    await orders.submit_order(client, settings, sofa_form(order_id="TCANCEL-1"))
    await wait_for(client, "TCANCEL-1", lambda v: v.status is OrderStatus.confirmed and len(v.work_orders) == 2
                   and sum(e.data.get("message_kind") == "work_order" for e in v.timeline) == 2)
    handle = orders.handle_for(client, "TCANCEL-1")
    await handle.cancel()  # what the Web UI's "Request Cancellation" and `temporal workflow cancel` do
    with pytest.raises(WorkflowFailureError) as closed:
        await handle.result()
    assert isinstance(closed.value.cause, CancelledError), "the workflow closes as cancelled in Temporal"

    view = await orders.order_status(client, "TCANCEL-1")
    assert view.status is OrderStatus.cancelled
    asked = [e for e in view.timeline if e.kind == "cancel_requested"]
    assert len(asked) == 1 and asked[0].data["requested_by"] == "temporal"
    assert row_of(engine, "TCANCEL-1").status == "cancelled"
    assert (await handle.describe()).typed_search_attributes.get(ORDER_STATUS) == "cancelled"
    told = sorted((m.kind, m.order_id) for m in messages_of(engine, "TCANCEL-1")
                  if m.kind in ("cancellation_notice", "work_order_cancelled"))
    assert told == [("cancellation_notice", "TCANCEL-1"), ("work_order_cancelled", "TCANCEL-1"),
                    ("work_order_cancelled", "TCANCEL-1")]
    assert {m.recipient for m in messages_of(engine, "TCANCEL-1", "work_order_cancelled")} == {
        settings.department_emails["warehouse"], settings.department_emails["accounts-receivable"]}


async def test_a_temporal_cancel_of_a_shipped_order_is_refused_and_the_order_carries_on(
        client, settings, engine, worker):
    await orders.submit_order(client, settings, sofa_form(order_id="TCANCEL-2"))
    await wait_for(client, "TCANCEL-2", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, "TCANCEL-2", "ship", Shipment(carrier="UPS", tracking_number="1Z2",
                                                          expected_delivery_date=date.today() + timedelta(days=4)))
    await wait_for(client, "TCANCEL-2", lambda v: any(e.data.get("message_kind") == "shipping_notice"
                                                      for e in v.timeline))
    handle = orders.handle_for(client, "TCANCEL-2")
    await handle.cancel()
    view = await wait_for(client, "TCANCEL-2", lambda v: any(e.kind == "cancel_refused" for e in v.timeline))
    [refused] = [e for e in view.timeline if e.kind == "cancel_refused"]
    assert "already shipped and can no longer be cancelled" in refused.text and refused.data["requested_by"] == "temporal"
    assert view.status is OrderStatus.shipped and not messages_of(engine, "TCANCEL-2", "cancellation_notice")
    for _ in range(100):  # staff are alerted, not only the timeline
        if messages_of(engine, "TCANCEL-2", "cancel_refused_alert"):
            break
        await asyncio.sleep(0.1)
    [alert] = messages_of(engine, "TCANCEL-2", "cancel_refused_alert")
    assert alert.status == "sent" and alert.recipient == settings.staff_alert_email
    assert "already shipped" in alert.text

    await orders.act(client, "TCANCEL-2", "deliver")
    await orders.act(client, "TCANCEL-2", "feedback", FeedbackEntry(rating=5))
    assert (await handle.result()).status is OrderStatus.completed, "the order went on to the end"


async def test_a_terminated_order_is_reconciled_by_the_schedule(client, settings, engine, worker, web):
    await orders.submit_order(client, settings, sofa_form(order_id="TTERM-1"))
    await wait_for(client, "TTERM-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, "TTERM-1", "acknowledge", Acknowledgement(department="warehouse"))
    await orders.handle_for(client, "TTERM-1").terminate("stuck, says ops")
    assert row_of(engine, "TTERM-1").status == "confirmed", "no workflow code ran to say otherwise"

    await register_reconciliation(client, settings)
    schedule = client.get_schedule_handle(reconciliation_schedule_id(settings))
    try:
        for _ in range(3):  # visibility may take a moment to list a closed run: a later pass looks back over it
            await schedule.trigger()
            for _ in range(50):
                if row_of(engine, "TTERM-1").status == "terminated":
                    break
                await asyncio.sleep(0.2)
            if row_of(engine, "TTERM-1").status == "terminated":
                break
        assert row_of(engine, "TTERM-1").status == "terminated"
        [alert] = messages_of(engine, "TTERM-1", "order_terminated")
        assert alert.recipient == settings.staff_alert_email and "terminated" in alert.text
        assert "It was confirmed at the time" in alert.text
        assert timeline(engine, "TTERM-1")[-1].kind == "status:terminated"

        assert await orders.available_actions(client, "TTERM-1") == []
        async with aclosing(await staff_session(web, "token-admin")) as http:
            assert await offered(http, "TTERM-1") == set()
            assert "status-terminated" in (await http.get("/staff/orders/TTERM-1")).text

        done = await passes_done(client, settings)
        await schedule.trigger()  # idempotent: a second pass alerts nobody again and changes nothing
        for _ in range(100):
            if await passes_done(client, settings) > done:
                break
            await asyncio.sleep(0.2)
        assert await passes_done(client, settings) > done, "the second pass ran"
        assert len(messages_of(engine, "TTERM-1", "order_terminated")) == 1
        assert row_of(engine, "TTERM-1").status == "terminated"
    finally:
        await schedule.delete()
