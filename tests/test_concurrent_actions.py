"""Staff actions that race: two updates sent at the same moment to one order. One wins, the other gets a clear
refusal, and the order stays whole (one shipment, one set of notices)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from models.order import Cancellation, OrderStatus, Shipment
from starter import orders
from starter.orders import OrderError

from .conftest import messages_of, sofa_form, wait_for

SOON = date.today() + timedelta(days=7)


def shipment(tracking: str) -> Shipment:
    return Shipment(carrier="UPS", tracking_number=tracking, expected_delivery_date=SOON)


async def race(*calls):
    return await asyncio.gather(*calls, return_exceptions=True)


async def confirmed(client, settings, order_id: str):
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    return await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))


async def test_two_shipments_at_once_one_wins(client, settings, engine, worker):
    await confirmed(client, settings, "RACE-SHIP")
    results = await race(*(orders.act(client, "RACE-SHIP", "ship", shipment(f"1Z{n}")) for n in range(3)))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 2, results
    assert all(isinstance(e, OrderError) and e.kind == "refused" and "already shipped" in e.message for e in lost)
    view = await wait_for(client, "RACE-SHIP", lambda v: bool(messages_of(engine, "RACE-SHIP", "shipping_notice")))
    assert view.status is OrderStatus.shipped
    [notice] = messages_of(engine, "RACE-SHIP", "shipping_notice")
    assert view.shipment.tracking_number in notice.text


async def test_cancel_and_ship_at_once_one_wins(client, settings, engine, worker):
    for attempt in range(3):
        order_id = f"RACE-CANCEL-{attempt}"
        await confirmed(client, settings, order_id)
        shipped, cancelled = await race(orders.act(client, order_id, "ship", shipment("1Z")),
                                        orders.act(client, order_id, "cancel", Cancellation(reason="changed my mind")))
        assert isinstance(shipped, Exception) != isinstance(cancelled, Exception), (shipped, cancelled)
        loser = shipped if isinstance(shipped, Exception) else cancelled
        assert isinstance(loser, OrderError) and loser.kind == "refused", loser
        if isinstance(shipped, Exception):
            view = await orders.handle_for(client, order_id).result()
            assert view.status is OrderStatus.cancelled and view.shipment is None
            assert not messages_of(engine, order_id, "shipping_notice")
        else:
            view = await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "shipping_notice")))
            assert view.status is OrderStatus.shipped and not view.cancel_reason
            assert not messages_of(engine, order_id, "cancellation_notice")


async def test_delivered_twice_at_once_and_an_action_in_the_wrong_state(client, settings, engine, worker):
    await confirmed(client, settings, "RACE-DELIVER")
    early = await race(orders.act(client, "RACE-DELIVER", "deliver"))
    assert isinstance(early[0], OrderError) and "only a shipped order can be delivered" in early[0].message
    await orders.act(client, "RACE-DELIVER", "ship", shipment("1Z9"))
    results = await race(orders.act(client, "RACE-DELIVER", "deliver"), orders.act(client, "RACE-DELIVER", "deliver"))
    assert sum(isinstance(r, Exception) for r in results) == 1, results
    # the loser lost the race, not to something else (a timeout, an unreachable server): the refusal says so
    [loser] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(loser, OrderError) and loser.kind == "refused", repr(loser)
    assert "RACE-DELIVER was already delivered on" in loser.message, loser.message
    view = await wait_for(client, "RACE-DELIVER",
                          lambda v: bool(messages_of(engine, "RACE-DELIVER", "feedback_request")))
    assert [e.kind for e in view.timeline].count("status:delivered") == 1
    assert len(messages_of(engine, "RACE-DELIVER", "feedback_request")) == 1


async def test_an_action_on_an_order_whose_worker_is_gone_answers_instead_of_hanging(client, settings, monkeypatch):
    from datetime import timedelta

    from .conftest import running_worker
    async with running_worker(client, settings):
        await confirmed(client, settings, "NO-WORKER-1")
    monkeypatch.setattr(orders, "UPDATE_TIMEOUT", timedelta(seconds=2))
    results = await race(orders.act(client, "NO-WORKER-1", "ship", shipment("1Z")))
    assert isinstance(results[0], OrderError) and results[0].kind == "unavailable"
    assert "is a worker running?" in results[0].message
