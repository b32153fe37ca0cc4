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
            await orders.handle_for(client, order_id).result()
            view = await orders.order_status(client, order_id)
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


# ---- any two conflicting actions at the same moment: exactly one accepted, the other refused, nothing contradictory
# (each pair three times, on two clients of their own, as two staff members or two browser tabs would send them)

async def second_client(client):
    from temporalio.client import Client
    return await Client.connect(client.service_client.config.target_host, namespace=client.namespace,
                                data_converter=client.data_converter)


async def one_wins(client, other, order_id: str, first: tuple, second: tuple):
    """Send `first` on `client` and `second` on `other` at once; exactly one is accepted, the loser refused with a
    reason. Returns (the winner's name, the loser's error)."""
    a, b = await race(orders.act(client, order_id, *first), orders.act(other, order_id, *second))
    assert isinstance(a, Exception) != isinstance(b, Exception), (a, b)
    loser = a if isinstance(a, Exception) else b
    assert isinstance(loser, OrderError) and loser.kind == "refused" and loser.message, repr(loser)
    return (second[0] if isinstance(a, Exception) else first[0]), loser


def kinds_sent(engine, order_id: str) -> set[str]:
    return {m.kind for m in messages_of(engine, order_id)}


def delay_for(view) -> "DelayReport":
    from models.order import DelayReport
    return DelayReport(new_date=view.expected_fulfillment_date + timedelta(days=20), reason="The fabric is late")


def amendment_for(fabric: str):
    from models.amendments import Amendment
    return Amendment(form=sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1,
                                            "options": {"fabric": fabric, "color": "olive"}}]), reason="Asked")


async def settle(client, order_id: str):
    """The winner's messages have gone out: its handler and the order's own step have finished."""
    await asyncio.sleep(1.0)
    return await orders.order_status(client, order_id)


async def test_delay_and_cancel_at_once_one_wins_and_the_customer_hears_one_story(client, settings, engine, worker):
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-DC-{attempt}"
        view = await confirmed(client, settings, order_id)
        won, _ = await one_wins(client, other, order_id, ("delay", delay_for(view)),
                                ("cancel", Cancellation(reason="Changed plans")))
        view = await settle(client, order_id)
        sent = kinds_sent(engine, order_id)
        if won == "delay":
            assert view.status is OrderStatus.delayed and "cancellation_notice" not in sent
        else:
            assert view.status is OrderStatus.cancelled and "delay_notice" not in sent
            assert "work_order_change" not in sent


async def test_amend_and_cancel_at_once_one_wins(client, settings, engine, worker):
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-AC-{attempt}"
        await confirmed(client, settings, order_id)
        won, _ = await one_wins(client, other, order_id, ("amend", amendment_for("linen")),
                                ("cancel", Cancellation(reason="Changed plans")))
        view = await settle(client, order_id)
        sent = kinds_sent(engine, order_id)
        kinds = [e.kind for e in view.timeline]
        if won == "amend":
            assert "order_updated" in sent and "cancellation_notice" not in sent and "cancel_requested" not in kinds
        else:
            assert "order_updated" not in sent and "amended" not in kinds and view.lines[0].options["fabric"] == "velvet"


async def test_delay_and_ship_at_once_one_wins(client, settings, engine, worker):
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-DS-{attempt}"
        view = await confirmed(client, settings, order_id)
        won, _ = await one_wins(client, other, order_id, ("delay", delay_for(view)), ("ship", shipment("1Z")))
        await wait_for(client, order_id, lambda v: bool(kinds_sent(engine, order_id) & {"delay_notice",
                                                                                         "shipping_notice"}))
        sent = kinds_sent(engine, order_id)
        assert ("delay_notice" in sent) != ("shipping_notice" in sent), sent
        assert ("delay_notice" in sent) == (won == "delay")


async def test_two_completed_forms_at_once_one_is_the_order(client, settings, engine, worker):
    from models.order import FormCompletion
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-FORM-{attempt}"
        await orders.submit_order(client, settings, sofa_form(order_id=order_id, lines=[{"sku": "SOFA-3S"}]))
        forms = {fabric: FormCompletion(form=sofa_form(lines=[{"sku": "SOFA-3S", "options": {
            "fabric": fabric, "color": "olive"}}])) for fabric in ("linen", "velvet")}
        await one_wins(client, other, order_id, ("complete_form", forms["linen"]),
                                ("complete_form", forms["velvet"]))
        view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
        form = await orders.submitted_form(client, order_id)
        assert form.lines[0].options["fabric"] == view.lines[0].options["fabric"], "the stored form is the order"
        assert len(messages_of(engine, order_id, "order_confirmation")) == 1


async def test_amend_and_delay_at_once_one_wins(client, settings, engine, worker):
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-AD-{attempt}"
        view = await confirmed(client, settings, order_id)
        won, _ = await one_wins(client, other, order_id, ("amend", amendment_for("linen")),
                                    ("delay", delay_for(view)))
        await settle(client, order_id)
        sent = kinds_sent(engine, order_id)
        assert ("order_updated" in sent) == (won == "amend") and ("delay_notice" in sent) == (won == "delay")


async def test_two_delays_at_once_one_wins(client, settings, engine, worker):
    other = await second_client(client)
    for attempt in range(3):
        order_id = f"PAIR-DD-{attempt}"
        view = await confirmed(client, settings, order_id)
        later = delay_for(view)
        even_later = later.model_copy(update={"new_date": later.new_date + timedelta(days=5)})
        await one_wins(client, other, order_id, ("delay", later), ("delay", even_later))
        await settle(client, order_id)
        assert len(messages_of(engine, order_id, "delay_notice")) == 1
