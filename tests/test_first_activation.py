"""An order placed while no worker was polling, with a second action queued behind it: the first workflow task
carries the start and both updates, and the SDK runs update handlers before `run`. Everything a handler uses is
made in the workflow's `@workflow.init`, so both updates answer and the order proceeds (before 1.0 the second one
failed that task with AttributeError, over and over, and the order was stuck)."""

from __future__ import annotations

import asyncio

from temporalio.service import RPCError

from models.customer_requests import CustomerRequest
from models.order import OrderStatus
from starter import orders
from tests.conftest import messages_of, running_worker, sofa_form, wait_for


async def test_updates_queued_before_any_worker_polled_all_answer_and_the_order_proceeds(client, settings, engine):
    placing = asyncio.create_task(orders.submit_order(client, settings, sofa_form(order_id="FIRST-1")))
    handle = orders.handle_for(client, "FIRST-1")
    for _ in range(100):  # the workflow exists once the server took the start (its first task is not yet polled)
        try:
            await handle.describe()
            break
        except RPCError:
            await asyncio.sleep(0.1)
    asking = asyncio.create_task(orders.act(client, "FIRST-1", "request", CustomerRequest(message="Ring twice")))
    await asyncio.sleep(1.0)
    assert not placing.done() and not asking.done()  # nobody has run the order yet
    async with running_worker(client, settings):
        placed, asked = await asyncio.wait_for(asyncio.gather(placing, asking), timeout=30)
        assert placed.order_id == "FIRST-1" and "accepted" in placed.message
        assert "request 1" in asked.message
        view = await wait_for(client, "FIRST-1", lambda v: v.status is OrderStatus.confirmed and len(
            messages_of(engine, "FIRST-1", "work_order")) == 2)
        assert [r.message for r in view.requests] == ["Ring twice"]
        assert messages_of(engine, "FIRST-1", "order_confirmation")[0].status == "sent"
        assert messages_of(engine, "FIRST-1", "customer_request")[0].status == "sent"
