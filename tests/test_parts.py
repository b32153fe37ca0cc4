"""One order, several parts and shipments, against a real Temporal dev server: a stocked sofa from the warehouse
and a made-to-measure bookcase from Nordwood Joinery, each with its own date, work order, delay and parcel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.catalog import DEFAULT_CATALOG
from models.calendar import business_days_before, holidays_between
from models.i18n import long_date
from models.order import (Readiness, Acknowledgement, Cancellation, DelayReport, DeliveryReport, FeedbackEntry, OrderStatus,
                          Readiness, Shipment, ShipmentCorrection)
from starter import orders
from starter.orders import OrderError
from tests.conftest import distributed, messages_of, running_worker, sofa_form, wait_for

pytestmark = pytest.mark.usefixtures("worker")

SOFA = {"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}
BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "walnut", "height_cm": 200, "width_cm": 90}}


def parcel(tracking: str, days: int, view, lines=None) -> Shipment:
    return Shipment(carrier="UPS", tracking_number=tracking, lines=lines,
                    expected_delivery_date=view.received_at.date() + timedelta(days=days))


async def refused(client, order_id: str, action: str, arg) -> str:
    with pytest.raises(OrderError) as e:
        await orders.act(client, order_id, action, arg)
    assert e.value.kind == "refused", e.value
    return e.value.message


async def test_sofa_and_bookcase_have_their_own_dates_parcels_delay_and_one_feedback_request(client, settings, engine,
                                                                                              monkeypatch):
    monkeypatch.setenv("ORDERLY_FEEDBACK_CALL_THRESHOLD", "100000")  # the online survey, not a call
    await orders.submit_order(client, settings, sofa_form(order_id="PARTS-1", lines=[SOFA, BOOKCASE]))
    view = await distributed(client, engine, "PARTS-1")
    sofa, bookcase = view.parts
    assert (sofa.department, bookcase.department) == ("warehouse", "nordwood")
    assert sofa.expected_fulfillment_date < bookcase.expected_fulfillment_date  # 10 and 20 business days
    assert view.expected_fulfillment_date == bookcase.expected_fulfillment_date
    assert view.next_fulfillment_date == sofa.expected_fulfillment_date
    holidays = holidays_between(view.received_at.date(), 730, "US")
    assert bookcase.handover_date == business_days_before(bookcase.expected_fulfillment_date, 2, holidays)

    # the confirmation gives each part its date and says they may arrive separately
    [confirmation] = messages_of(engine, "PARTS-1", "order_confirmation")
    assert "may arrive separately" in confirmation.text
    assert f"- Three-seat sofa: by {long_date(sofa.expected_fulfillment_date)}" in confirmation.text
    assert (f"- Made-to-measure bookcase, made for you by Nordwood Joinery: by "
            f"{long_date(bookcase.expected_fulfillment_date)}") in confirmation.text
    # the manufacturer's work order: its own date, and when the bookcase must be at the warehouse
    [maker] = [m for m in messages_of(engine, "PARTS-1", "work_order") if m.recipient == "orders@nordwood.example"]
    assert f"Expected fulfillment date: {long_date(bookcase.expected_fulfillment_date)}" in maker.text
    assert f"Hand it over to the warehouse by: {long_date(bookcase.handover_date)}" in maker.text
    assert "Three-seat sofa" not in maker.text
    [warehouse] = [m for m in messages_of(engine, "PARTS-1", "work_order") if m.recipient.startswith("warehouse")]
    assert "This order ships in parts:" in warehouse.text
    assert f"at the warehouse by {long_date(bookcase.handover_date)}" in warehouse.text

    # the sofa ships first: its notice lists the sofa and says the bookcase is still to come, with its date
    result = await orders.act(client, "PARTS-1", "ship", parcel("1ZSOFA", 5, view, [{"sku": "SOFA-3S"}]))
    assert "Shipment 1 recorded (1 x SOFA-3S)" in result.message and result.status is OrderStatus.partially_shipped
    view = await wait_for(client, "PARTS-1", lambda v: len(messages_of(engine, "PARTS-1", "shipping_notice")) == 1)
    [first] = messages_of(engine, "PARTS-1", "shipping_notice")
    assert first.subject == "Part of order PARTS-1 has shipped"
    in_parcel, to_come = first.text.split("Still to come, in a later parcel:")
    assert "1 x Three-seat sofa (SOFA-3S)" in in_parcel and "bookcase" not in in_parcel
    assert f"1 x Made-to-measure bookcase: by {long_date(bookcase.expected_fulfillment_date)}" in to_come
    assert [p.status.value for p in view.parts] == ["shipped", "awaiting_acknowledgement"]
    assert view.next_fulfillment_date == bookcase.expected_fulfillment_date
    assert "already shipped in part" in await refused(client, "PARTS-1", "cancel", Cancellation(reason="No"))

    # the bookcase is late: the customer hears about the bookcase only; the sofa is not called late
    new_date = bookcase.expected_fulfillment_date + timedelta(days=7)
    await orders.act(client, "PARTS-1", "delay", DelayReport(new_date=new_date, reason="The walnut is back-ordered",
                                                             department="nordwood"))
    [delay] = messages_of(engine, "PARTS-1", "delay_notice")
    assert "part of your order PARTS-1 will not be ready by" in delay.text
    assert "1 x Made-to-measure bookcase" in delay.text and "sofa" not in delay.text.lower()
    assert "The rest of your order is not affected" in delay.text and "The walnut is back-ordered" in delay.text
    assert {m.recipient for m in messages_of(engine, "PARTS-1", "work_order_change")} == {
        "orders@nordwood.example", "warehouse@orderly.example"}  # accounts' invoice does not change
    view = await orders.order_status(client, "PARTS-1")
    assert view.parts[1].expected_fulfillment_date == new_date == view.expected_fulfillment_date
    assert view.parts[0].expected_fulfillment_date == sofa.expected_fulfillment_date
    assert view.status is OrderStatus.partially_shipped

    # Nordwood hands the bookcase over; the warehouse ships the rest and both arrive
    await orders.act(client, "PARTS-1", "acknowledge", Acknowledgement(department="nordwood"))
    assert "can ship" in (await orders.act(client, "PARTS-1", "ready", Readiness(department="nordwood"))).message
    assert "already reported" in (await orders.act(client, "PARTS-1", "ready", Readiness(department="nordwood"))).message
    await orders.act(client, "PARTS-1", "ship", parcel("1ZBOOK", 40, view))  # no lines: everything not yet shipped
    view = await wait_for(client, "PARTS-1", lambda v: len(messages_of(engine, "PARTS-1", "shipping_notice")) == 2)
    assert view.status is OrderStatus.shipped and [s.number for s in view.shipments] == [1, 2]
    second = next(m for m in messages_of(engine, "PARTS-1", "shipping_notice") if m.key.endswith("/shipment-2"))
    assert "1 x Made-to-measure bookcase (BOOKCASE-MTM)" in second.text and "Still to come" not in second.text
    assert "Tracking number: 1ZBOOK" in second.text

    # a correction names its shipment; delivery too, once there are two on their way
    await orders.act(client, "PARTS-1", "correct_shipment", ShipmentCorrection(shipment=2, tracking_number="1ZBOOK2"))
    await wait_for(client, "PARTS-1", lambda v: len(messages_of(engine, "PARTS-1", "shipping_notice")) == 3)
    view = await orders.order_status(client, "PARTS-1")
    assert [s.tracking_number for s in view.shipments] == ["1ZSOFA", "1ZBOOK2"]
    assert "say which one" in await refused(client, "PARTS-1", "deliver", DeliveryReport())
    result = await orders.act(client, "PARTS-1", "deliver", DeliveryReport(shipment=1))
    assert result.status is OrderStatus.partially_delivered
    assert not messages_of(engine, "PARTS-1", "feedback_request")
    assert "already delivered" in await refused(client, "PARTS-1", "deliver", DeliveryReport(shipment=1))
    result = await orders.act(client, "PARTS-1", "deliver", DeliveryReport())  # the one still on its way
    assert result.status is OrderStatus.delivered
    view = await wait_for(client, "PARTS-1", lambda v: bool(messages_of(engine, "PARTS-1", "feedback_request")))
    assert [p.status.value for p in view.parts] == ["delivered", "delivered"]
    await orders.act(client, "PARTS-1", "feedback", FeedbackEntry(rating=5, comment="Both lovely"))
    await orders.handle_for(client, "PARTS-1").result()
    assert len(messages_of(engine, "PARTS-1", "feedback_request")) == 1  # one per order, after the last delivery


async def test_four_cushions_ship_two_and_two_and_bad_parcels_are_refused(client, settings, engine):
    cushions = {"sku": "CUSHION", "quantity": 4, "options": {"color": "navy"}}
    await orders.submit_order(client, settings, sofa_form(order_id="PARTS-2", lines=[SOFA, cushions]))
    view = await distributed(client, engine, "PARTS-2")
    assert len(view.parts) == 1  # both from the warehouse: one part, one date

    assert "Cannot ship 5 x CUSHION: 4 ordered, 4 not yet shipped" in await refused(
        client, "PARTS-2", "ship", parcel("1ZX", 3, view, [{"sku": "CUSHION", "quantity": 5}]))
    assert "given twice" in await refused(client, "PARTS-2", "ship", parcel("1ZX", 3, view, ["CUSHION:1", "CUSHION:1"]))
    assert "Unknown sku 'LAMP'" in await refused(client, "PARTS-2", "ship", parcel("1ZX", 3, view, ["LAMP"]))
    assert (await orders.order_status(client, "PARTS-2")).shipments == []  # refusals change nothing

    await orders.act(client, "PARTS-2", "ship", parcel("1ZA", 3, view, ["CUSHION:2"]))
    assert "Cannot ship 3 x CUSHION: 4 ordered, 2 not yet shipped" in await refused(
        client, "PARTS-2", "ship", parcel("1ZX", 3, view, ["CUSHION:3"]))
    await orders.act(client, "PARTS-2", "ship", parcel("1ZB", 3, view, ["CUSHION:2"]))
    assert "has already shipped in full" in await refused(client, "PARTS-2", "ship",
                                                          parcel("1ZX", 3, view, ["CUSHION:1"]))
    view = await wait_for(client, "PARTS-2", lambda v: len(messages_of(engine, "PARTS-2", "shipping_notice")) == 2)
    assert [[(r.sku, r.quantity) for r in s.lines] for s in view.shipments] == [[("CUSHION", 2)], [("CUSHION", 2)]]
    assert view.status is OrderStatus.partially_shipped
    second = next(m for m in messages_of(engine, "PARTS-2", "shipping_notice") if m.key.endswith("/shipment-2"))
    assert "2 x Scatter cushion (CUSHION)" in second.text and "1 x Three-seat sofa: by" in second.text  # to come

    await orders.act(client, "PARTS-2", "ship", parcel("1ZC", 3, view))
    view = await wait_for(client, "PARTS-2", lambda v: v.status is OrderStatus.shipped)
    assert [s.lines[0].sku for s in view.shipments] == ["CUSHION", "CUSHION", "SOFA-3S"]
    assert "already shipped" in await refused(client, "PARTS-2", "ship", parcel("1ZX", 3, view))


async def test_an_order_shipped_whole_reads_as_it_always_did(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="PARTS-3"))
    view = await distributed(client, engine, "PARTS-3")
    [part] = view.parts
    [confirmation] = messages_of(engine, "PARTS-3", "order_confirmation")
    assert "may arrive separately" not in confirmation.text
    assert f"Expected fulfillment date: {long_date(part.expected_fulfillment_date)}" in confirmation.text
    result = await orders.act(client, "PARTS-3", "ship", parcel("1ZW", 3, view))
    assert result.message == "Shipment recorded; the customer is being sent the shipping notice"
    view = await wait_for(client, "PARTS-3", lambda v: bool(messages_of(engine, "PARTS-3", "shipping_notice")))
    [notice] = messages_of(engine, "PARTS-3", "shipping_notice")
    assert notice.key == "PARTS-3/shipping_notice/customer/1" and notice.subject == "Order PARTS-3 has shipped"
    assert "Still to come" not in notice.text and "In this parcel" not in notice.text
    await orders.act(client, "PARTS-3", "deliver", DeliveryReport())
    assert (await wait_for(client, "PARTS-3", lambda v: v.delivered_at is not None)).status is OrderStatus.delivered


async def test_ten_parts_and_twenty_shipments_stay_well_inside_temporals_limits(client, settings, engine, tmp_path):
    """Cushions from the warehouse and from nine makers (a catalog of this test's own): ten parts, each shipped in two
    parcels. The history grows by what each parcel adds, far from Temporal's limits (50,000 events, 50 MB)."""
    catalog = json.loads(DEFAULT_CATALOG.read_text())
    makers = [f"maker{n}" for n in range(1, 10)]
    catalog["manufacturers"] += [{"id": m, "name": f"Maker {m[-1]}", "email": f"{m}@example.com"} for m in makers]
    catalog["products"] += [{"sku": f"CUSHION-{m}", "name": f"Cushion by {m}", "product_type": "cushion",
                             "unit_price": "45.00", "lead_time_days": 5, "made_by": m} for m in makers]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    mine = settings.model_copy(update={"catalog_path": path, "task_queue": settings.task_queue + "-parts"})
    skus = ["CUSHION", *(f"CUSHION-{m}" for m in makers)]
    async with running_worker(client, mine):
        await orders.submit_order(client, mine, sofa_form(order_id="PARTS-10", lines=[
            {"sku": sku, "quantity": 2, "options": {"color": "sand"}} for sku in skus]))
        view = await wait_for(client, "PARTS-10", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
        assert len(view.parts) == 10 and len(view.work_orders) == 11  # ten fulfillers and accounts receivable
        for maker in makers:  # each maker hands its part over before the warehouse ships it
            await orders.act(client, "PARTS-10", "ready", Readiness(department=maker))
        for sku in skus:
            for _ in range(2):
                await orders.act(client, "PARTS-10", "ship", parcel(f"1Z{sku}", 5, view, [f"{sku}:1"]))
        view = await wait_for(client, "PARTS-10", lambda v: len(messages_of(engine, "PARTS-10", "shipping_notice")) == 20)
        assert view.status is OrderStatus.shipped and len(view.shipments) == 20
        history = await orders.handle_for(client, "PARTS-10").fetch_history()
        size = len(history.to_json())
        print(f"10 parts, 20 shipments: {len(history.events)} history events, {size / 1024:.0f} KiB")
        assert len(history.events) < 1_000 and size < 5_000_000
