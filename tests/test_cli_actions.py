"""`orderly` staff commands that succeed: delay, cancel, correct-shipment, and `list` paging. Real `orderly`
processes against the dev server and a worker."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from models.order import OrderStatus, Shipment
from starter import orders

from .conftest import messages_of, sofa_form, wait_for
from .test_bad_input import cli

pytestmark = pytest.mark.usefixtures("worker")


async def confirmed(client, settings, engine, order_id: str):  # noqa: ANN001, ANN201
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    return await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and len(
        [m for m in messages_of(engine, order_id, "work_order") if m.status == "sent"]) == 2)


async def test_cli_delay_cancel_and_correct_shipment(client, settings, engine):
    view = await confirmed(client, settings, engine, "CLI-DELAY")
    new_date = view.expected_fulfillment_date + timedelta(days=4)
    code, out, err = await cli(client, settings, "delay", "CLI-DELAY", "--until", str(new_date),
                               "--reason", "The oak is still drying", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "delayed" and result["message"].startswith("Delay recorded")
    view = await wait_for(client, "CLI-DELAY", lambda v: bool(messages_of(engine, "CLI-DELAY", "delay_notice")))
    assert view.expected_fulfillment_date == new_date
    assert "The oak is still drying" in messages_of(engine, "CLI-DELAY", "delay_notice")[0].text

    await confirmed(client, settings, engine, "CLI-CANCEL")
    code, out, err = await cli(client, settings, "cancel", "CLI-CANCEL", "--reason", "Ordered twice by mistake")
    assert code == 0, err
    assert "Cancellation accepted" in out
    await orders.handle_for(client, "CLI-CANCEL").result()
    view = await orders.order_status(client, "CLI-CANCEL")
    assert view.status is OrderStatus.cancelled and view.cancel_reason == "Ordered twice by mistake"
    code, out, err = await cli(client, settings, "cancel", "CLI-CANCEL", "--reason", "again")
    assert code == 1 and "is cancelled and closed; it accepts no more actions" in err

    await confirmed(client, settings, engine, "CLI-FIX")
    await orders.act(client, "CLI-FIX", "ship", Shipment(carrier="UPS", tracking_number="1Z-OLD",
                                                          expected_delivery_date=date.today() + timedelta(days=4)))
    await wait_for(client, "CLI-FIX", lambda v: bool(messages_of(engine, "CLI-FIX", "shipping_notice")))
    code, out, err = await cli(client, settings, "correct-shipment", "CLI-FIX", "--tracking", "1Z-NEW",
                               "--reason", "The label was reprinted", "--json")
    assert code == 0, err
    assert json.loads(out)["message"].startswith("Shipping details corrected")
    view = await wait_for(client, "CLI-FIX", lambda v: len(messages_of(engine, "CLI-FIX", "shipping_notice")) == 2)
    assert view.shipment.tracking_number == "1Z-NEW"
    update = [m for m in messages_of(engine, "CLI-FIX", "shipping_notice") if m.key.endswith("/2")][0]
    assert "1Z-NEW" in update.text and "The label was reprinted" in update.text


async def test_cli_list_pages_through_the_orders_newest_first(client, settings, engine):
    ids = [f"CLI-PAGE-{n}" for n in range(5)]
    for order_id in ids:  # one at a time, so each is received after the one before
        await confirmed(client, settings, engine, order_id)
    newest_first = list(reversed(ids))
    pages = []
    for offset in (0, 2, 4, 6):
        code, out, err = await cli(client, settings, "list", "--limit", "2", "--offset", str(offset), "--json")
        assert code == 0, err
        pages.append([row["order_id"] for row in json.loads(out)])
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:], []]
    code, out, err = await cli(client, settings, "list", "--status", "confirmed", "--limit", "3", "--json")
    assert code == 0 and [row["order_id"] for row in json.loads(out)] == newest_first[:3]
    code, out, err = await cli(client, settings, "list", "--limit", "0")
    assert code != 0 and "limit" in (out + err).lower()
    code, out, err = await cli(client, settings, "list", "--limit", "5")
    assert code == 0 and all(order_id in out for order_id in ids), "the table lists them too"


async def test_cli_ships_in_parts_reports_ready_and_delivers_by_shipment(client, settings, engine):
    """`orderly ship --line`, `orderly ready`, `orderly delay --department`, `orderly deliver --shipment` and the
    `parts` and `shipments` of `orderly status --json`."""
    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
    await orders.submit_order(client, settings, sofa_form(order_id="CLI-PARTS", lines=[
        sofa_form().lines[0].model_dump(), bookcase]))
    view = await wait_for(client, "CLI-PARTS", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    soon = str(date.today() + timedelta(days=4))
    code, out, err = await cli(client, settings, "ship", "CLI-PARTS", "--carrier", "UPS", "--tracking", "1ZS",
                               "--delivery-date", soon, "--line", "SOFA-3S:1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "partially_shipped"
    code, out, err = await cli(client, settings, "ship", "CLI-PARTS", "--carrier", "UPS", "--tracking", "1ZX",
                               "--delivery-date", soon, "--line", "SOFA-3S:1")
    assert code == 1 and "SOFA-3S has already shipped in full (1 ordered)" in err
    later = str(view.parts[1].expected_fulfillment_date + timedelta(days=5))
    code, out, err = await cli(client, settings, "delay", "CLI-PARTS", "--until", later, "--reason", "Oak",
                               "--department", "nordwood")
    assert code == 0, err
    code, out, err = await cli(client, settings, "ready", "CLI-PARTS", "--department", "nordwood")
    assert code == 0 and "can ship" in out, err
    code, out, err = await cli(client, settings, "ship", "CLI-PARTS", "--carrier", "UPS", "--tracking", "1ZB",
                               "--delivery-date", soon)
    assert code == 0, err
    await wait_for(client, "CLI-PARTS", lambda v: len(messages_of(engine, "CLI-PARTS", "shipping_notice")) == 2)
    code, out, err = await cli(client, settings, "deliver", "CLI-PARTS")
    assert code == 1 and "say which one was delivered" in err
    code, out, err = await cli(client, settings, "deliver", "CLI-PARTS", "--shipment", "2")
    assert code == 0 and "shipment 2" in out, err
    code, out, err = await cli(client, settings, "status", "CLI-PARTS", "--json")
    status = json.loads(out)
    assert [(p["department"], p["expected_fulfillment_date"], p["status"]) for p in status["parts"]] == [
        ("warehouse", str(view.parts[0].expected_fulfillment_date), "shipped"), ("nordwood", later, "delivered")]
    assert [(s["number"], [r["sku"] for r in s["lines"]], s["tracking_number"], s["delivered_at"] is not None)
            for s in status["shipments"]] == [(1, ["SOFA-3S"], "1ZS", False), (2, ["BOOKCASE-MTM"], "1ZB", True)]
    assert status["status"] == "partially_delivered"
