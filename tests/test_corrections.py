"""Corrections: when tracking or dates change after a notice went out, the customer gets an update saying what
changed, as a new revision of the notice's key — never silence, never a duplicate."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from models.order import DelayReport, OrderStatus, Shipment, ShipmentCorrection
from starter import orders
from starter.orders import OrderError
from tests.conftest import messages_of, sofa_form, wait_for

pytestmark = pytest.mark.usefixtures("worker")


def long(d) -> str:
    return f"{d:%A}, {d.day} {d:%B %Y}"


async def shipped(client, settings, order_id: str):
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, order_id, "ship", Shipment(
        carrier="UPS", tracking_number="1ZOLD", tracking_url="https://ups.example/t/1ZOLD",
        expected_delivery_date=view.expected_fulfillment_date + timedelta(days=2)))
    return view


async def test_a_changed_tracking_number_and_date_each_send_an_update_saying_what_changed(client, settings, engine):
    view = await shipped(client, settings, "FIX-1")
    # sent at once after shipping; the correction waits for the first notice, so it never overtakes it
    result = await orders.act(client, "FIX-1", "correct_shipment", ShipmentCorrection(
        tracking_number="1ZNEW", tracking_url="https://ups.example/t/1ZNEW", reason="The first label was damaged"))
    assert result.message == ("Shipping details corrected (tracking number, tracking link); the customer is being "
                              "told what changed")
    first_delivery = view.expected_fulfillment_date + timedelta(days=2)
    later = first_delivery + timedelta(days=3)
    await orders.act(client, "FIX-1", "correct_shipment", ShipmentCorrection(expected_delivery_date=later))
    await wait_for(client, "FIX-1", lambda v: sum(e.data.get("message_kind") == "shipping_notice"
                                                  for e in v.timeline) == 3)

    notices = {m.key: m for m in messages_of(engine, "FIX-1", "shipping_notice")}
    assert set(notices) == {f"FIX-1/shipping_notice/customer/{n}" for n in (1, 2, 3)}
    first, tracking, date = (notices[f"FIX-1/shipping_notice/customer/{n}"] for n in (1, 2, 3))
    assert first.subject == "Order FIX-1 has shipped" and "1ZOLD" in first.text
    assert tracking.subject == date.subject == "Order FIX-1: your shipping details have changed"
    assert "Tracking number: 1ZNEW (was 1ZOLD)" in tracking.text
    assert "Tracking link: https://ups.example/t/1ZNEW (was https://ups.example/t/1ZOLD)" in tracking.text
    assert "Why: The first label was damaged" in tracking.text
    assert f"Expected delivery date: {long(first_delivery)}" in tracking.text  # unchanged there
    assert f"Expected delivery date: {long(later)} (was {long(first_delivery)})" in date.text
    assert "Tracking number: 1ZNEW" in date.text and "1ZOLD" not in date.text
    assert "<strong>1ZNEW</strong> (was 1ZOLD)" in tracking.html
    view = await orders.order_status(client, "FIX-1")
    assert view.shipment.tracking_number == "1ZNEW" and view.shipment.expected_delivery_date == later
    assert [e.text for e in view.timeline if e.kind == "shipment_corrected"][0] == (
        "Shipping details corrected by admin: Tracking number 1ZNEW (was 1ZOLD); Tracking link https://ups.example/t/1ZNEW "
        "(was https://ups.example/t/1ZOLD)")


async def test_corrections_that_make_no_sense_are_refused_and_change_nothing(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="FIX-2"))
    await wait_for(client, "FIX-2", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    with pytest.raises(OrderError, match="has not shipped .* no shipping details to correct"):
        await orders.act(client, "FIX-2", "correct_shipment", ShipmentCorrection(tracking_number="1Z"))

    view = await shipped(client, settings, "FIX-3")
    with pytest.raises(OrderError, match="Nothing to correct: order FIX-3 already ships with UPS, tracking 1ZOLD"):
        await orders.act(client, "FIX-3", "correct_shipment", ShipmentCorrection(carrier="UPS", tracking_number="1ZOLD"))
    with pytest.raises(OrderError, match="the tracking link still points to the old one"):
        await orders.act(client, "FIX-3", "correct_shipment", ShipmentCorrection(tracking_number="1ZNEW"))
    # yesterday in the company's time zone, whose days the rule counts (the UTC date is a day ahead of Chicago's
    # from midnight UTC to 6 am UTC)
    yesterday = view.received_at.astimezone(ZoneInfo(settings.company_timezone)).date() - timedelta(days=1)
    with pytest.raises(OrderError, match="is in the past"):
        await orders.act(client, "FIX-3", "correct_shipment", ShipmentCorrection(expected_delivery_date=yesterday))
    await orders.act(client, "FIX-3", "deliver")
    with pytest.raises(OrderError, match="FIX-3 is delivered: shipping details can only be corrected while"):
        await orders.act(client, "FIX-3", "correct_shipment", ShipmentCorrection(carrier="DHL"))
    assert [m.key for m in messages_of(engine, "FIX-3", "shipping_notice")] == ["FIX-3/shipping_notice/customer/1"]


async def test_a_new_date_after_the_confirmation_is_told_with_the_date_it_replaces(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="FIX-4"))
    view = await wait_for(client, "FIX-4", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    first, second = (view.expected_fulfillment_date + timedelta(days=d) for d in (3, 6))
    for new_date in (first, second):
        await orders.act(client, "FIX-4", "delay", DelayReport(new_date=new_date, reason="Fabric late"))
    notices = {m.key: m for m in messages_of(engine, "FIX-4", "delay_notice")}
    assert set(notices) == {f"FIX-4/delay_notice/customer/{first}", f"FIX-4/delay_notice/customer/{second}"}
    assert f"New expected fulfillment date: {long(second)}" in notices[f"FIX-4/delay_notice/customer/{second}"].text
    assert long(first) in notices[f"FIX-4/delay_notice/customer/{second}"].text  # the date it replaces


async def test_a_correction_writes_its_dates_in_the_customers_language(client, settings, engine):
    """A `fil` order's shipping update writes the new and the old delivery date as Filipino writes a date."""
    from tests.test_languages import fil_date

    await orders.submit_order(client, settings, sofa_form(order_id="FIX-FIL", language="fil"))
    view = await wait_for(client, "FIX-FIL", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    first_delivery = view.expected_fulfillment_date + timedelta(days=2)
    later = first_delivery + timedelta(days=3)
    await orders.act(client, "FIX-FIL", "ship", Shipment(carrier="LBC", tracking_number="LBC 1",
                                                         expected_delivery_date=first_delivery))
    await orders.act(client, "FIX-FIL", "correct_shipment", ShipmentCorrection(
        expected_delivery_date=later, reason="Naantala ang truck"))
    await wait_for(client, "FIX-FIL", lambda v: sum(e.data.get("message_kind") == "shipping_notice"
                                                    for e in v.timeline) == 2)
    update = {m.key: m for m in messages_of(engine, "FIX-FIL", "shipping_notice")}["FIX-FIL/shipping_notice/customer/2"]
    html_text = update.html.replace("<strong>", "").replace("</strong>", "")
    for text in (update.text, html_text):
        assert f"{fil_date(later)} (dati: {fil_date(first_delivery)})" in text, text
        for english in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
                        "January", "February", "March", "April", "June", "July", "August", "September", "October",
                        "November", "December", "(was "):
            assert english not in text, f"{english!r} slipped into:\n{text}"
    # staff read the company's language: the timeline keeps the English words
    view = await orders.order_status(client, "FIX-FIL")
    assert f"(was {long(first_delivery)})" in [e.text for e in view.timeline if e.kind == "shipment_corrected"][0]
