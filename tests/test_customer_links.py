"""Signed customer links: the status page opens from the email's link; tampered, expired, other-order links don't."""

from __future__ import annotations

import re

import httpx
import pytest

from models.links import LinkError, sign, verify
from models.order import OrderStatus, Shipment
from starter import orders
from tests.conftest import messages_of, sofa_form, wait_for


def test_links_are_bound_to_order_purpose_and_time():
    token = sign("k", "A-1", "status")
    verify("k", token, "A-1", "status", 60)
    with pytest.raises(LinkError, match="another order"):
        verify("k", token, "A-2", "status", 60)
    with pytest.raises(LinkError) as caught:
        verify("k", token, "A-1", "survey", 60)
    assert caught.value.reason == "invalid"
    with pytest.raises(LinkError, match="expired"):
        verify("k", token, "A-1", "status", -1)
    with pytest.raises(LinkError, match="not valid"):
        verify("other-key", token, "A-1", "status", 60)


async def test_status_page_from_the_confirmation_email(web, client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="LINK-1"))
    view = await wait_for(client, "LINK-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    [mail] = messages_of(engine, "LINK-1", "order_confirmation")
    link = re.search(r"You can follow your order at any time: (\S+)", mail.text).group(1)
    assert link.startswith(f"{settings.public_url}/orders/LINK-1?t=")
    path = link.removeprefix(settings.public_url)

    async with httpx.AsyncClient(base_url=web) as http:
        page = await http.get(path)
        assert page.status_code == 200
        assert "Order LINK-1" in page.text and ">confirmed<" in page.text and "Three-seat sofa" in page.text
        due = view.expected_fulfillment_date
        in_words = f"{due:%A}, {due.day} {due:%B %Y}"  # as the confirmation email writes it
        assert f"Expected fulfillment date: {in_words}" in mail.text
        assert f"Expected fulfillment date: <strong>{in_words}</strong>" in page.text
        assert str(due) not in page.text, "one way to write a date for customers: the emails'"
        assert "1,890.00 USD" in mail.text and "1,890.00 USD" in page.text  # and money
        timeline = page.text.split('id="timeline">')[1]
        assert "Your order is confirmed" in timeline and "Order confirmed to the customer" not in timeline
        assert "warehouse@" not in page.text  # staff-only events stay off the customer's page

        await orders.act(client, "LINK-1", "ship", Shipment(carrier="UPS", tracking_number="1Z42",
                                                              tracking_url="https://ups.example/1Z42",
                                                              expected_delivery_date=view.expected_fulfillment_date))
        page = await http.get(path)
        assert 'href="https://ups.example/1Z42" rel="noopener noreferrer">1Z42</a>' in page.text

        await orders.act(client, "LINK-1", "deliver")
        delivered = await wait_for(client, "LINK-1", lambda v: v.delivered_at is not None)
        page = await http.get(path)
        on = delivered.delivered_at
        assert f"delivered on {on:%A}, {on.day} {on:%B %Y}" in page.text
        assert 'id="expected"' not in page.text, "after delivery the page says when it came, not when it was due"
        assert "Your order was delivered" in page.text

        tampered = await http.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
        assert tampered.status_code == 403 and "not valid" in tampered.text
        other = await http.get(path.replace("/orders/LINK-1", "/orders/LINK-2"))
        assert other.status_code == 403 and "belongs to another order" in other.text
        missing = await http.get("/orders/LINK-1")
        assert missing.status_code == 403
