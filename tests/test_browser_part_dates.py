"""Issue 28 §2, a manufacturer's part and its dates, in a real headless Chromium: the delay form offers the parts as the
parts table shows them ("Nordwood Joinery"), the maker's hand-over date moves with its own delay, the change notice
says it, the maker's own console page and API view show its part's dates, and the warehouse's work order subject
gives its own part's date."""

from __future__ import annotations

from datetime import timedelta

import httpx

from models.calendar import business_days_before, holidays_between
from models.i18n import long_date
from models.order import OrderStatus
from starter import orders
from store import staff_accounts

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_incomplete import PASSWORD, signed_in_as
from .test_parts import BOOKCASE, SOFA


async def test_a_makers_delay_moves_its_hand_over_and_everyone_reads_its_own_dates(chromium, web, client, settings,
                                                                                  engine):
    staff_accounts.add(engine, "Maria Santos", "warehouse", PASSWORD)
    staff_accounts.add(engine, "Ana Reyes", "manufacturer", PASSWORD, maker="nordwood")
    order_id = (await orders.submit_order(client, settings, sofa_form(lines=[SOFA, BOOKCASE]))).order_id
    view = await distributed(client, engine, order_id)
    sofa, bookcase = view.parts
    [warehouse_wo] = [m for m in messages_of(engine, order_id, "work_order") if m.recipient.startswith("warehouse")]
    assert warehouse_wo.subject == f"Work order {order_id}: due {long_date(sofa.expected_fulfillment_date)}", \
        "the warehouse's own part's date, not the whole order's"

    lead = await signed_in_as(chromium, web, "Maria Santos")
    await lead.goto(web + f"/staff/orders/{order_id}")
    options = await lead.locator("#delay-department option").all_inner_texts()
    assert options == ["every part not yet shipped", "Warehouse", "Nordwood Joinery"], "the parts as shown"
    assert "Nordwood Joinery" in await lead.locator("#parts tr[data-department='nordwood']").inner_text()
    new_date = bookcase.expected_fulfillment_date + timedelta(days=30)
    await lead.select_option("#delay-department", label="Nordwood Joinery")
    await lead.fill("#delay-new_date", new_date.isoformat())
    await lead.fill("#delay-reason", "The walnut is late at the sawmill")
    await lead.click("#action-delay button")
    await lead.wait_for_selector("#action-ok")
    assert f"the new date {new_date}" in await lead.locator("#action-ok").inner_text()
    moved = await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "work_order_change")))
    holidays = holidays_between(view.received_at.date(), 730, "US")
    handover = business_days_before(new_date, 2, holidays)
    assert moved.parts[1].expected_fulfillment_date == new_date and moved.parts[1].handover_date == handover
    assert moved.parts[0].expected_fulfillment_date == sofa.expected_fulfillment_date
    assert (f"Delayed to {new_date} (was {bookcase.expected_fulfillment_date}) by warehouse (Maria Santos): The walnut "
            "is late at the sawmill") in await lead.locator("#timeline").inner_text(), "the person in the timeline"
    await shot(lead, "console-part-delay")

    await wait_for(client, order_id, lambda v: len([m for m in messages_of(engine, order_id, "work_order_change")
                                                    if m.status == "sent"]) >= 2)
    changes = messages_of(engine, order_id, "work_order_change")
    [maker] = [m for m in changes if m.recipient == "orders@nordwood.example"]
    assert f"Hand it over to the warehouse by: {long_date(handover)}" in maker.text
    assert "Hand it over to the warehouse by" in maker.html
    [warehouse] = [m for m in changes if m.recipient.startswith("warehouse")]
    assert f"from Nordwood Joinery, at the warehouse by {long_date(handover)}" in warehouse.text

    ana = await signed_in_as(chromium, web, "Ana Reyes")
    await ana.goto(web + f"/staff/orders/{order_id}")
    assert (await ana.locator("#expected").inner_text()).startswith(new_date.isoformat()), "its part's date"
    assert await ana.locator("#handover").inner_text() == handover.isoformat()
    await shot(ana, "console-maker-part")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        answer = (await http.get(f"/api/orders/{order_id}",
                                 headers={"Authorization": "Bearer token-manufacturer"})).json()
    assert answer["handover_date"] == handover.isoformat()
    assert answer["expected_fulfillment_date"] == new_date.isoformat()
    assert (await orders.order_status(client, order_id)).status is OrderStatus.delayed
