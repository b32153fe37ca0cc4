"""Issue 28 §4, the cancel form in a real headless Chromium: the customer's message and the internal note are two
fields; the customer's email and status page carry the message only, the departments and the timeline the note too;
the customer's status page shows its times in the company's time zone, named."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.order import OrderStatus
from models.links import sign
from starter import orders
from store import staff_accounts

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_incomplete import PASSWORD, signed_in_as

MESSAGE = "We are sorry: the sofa you chose can no longer be made in velvet"
NOTE = "The customer found a smaller sofa elsewhere"


async def test_the_customer_reads_the_message_and_staff_the_note(chromium, web, client, settings, engine):
    staff_accounts.add(engine, "Sam Cruz", "customer-service", PASSWORD)
    order_id = (await orders.submit_order(client, settings, sofa_form())).order_id
    await distributed(client, engine, order_id)
    rep = await signed_in_as(chromium, web, "Sam Cruz")
    await rep.goto(web + f"/staff/orders/{order_id}")
    assert await rep.locator("label[for='cancel-reason']").inner_text() == (
        "Message to the customer (sent to them as written)")
    assert "Internal note" in await rep.locator("label[for='cancel-note']").inner_text()
    await rep.fill("#cancel-reason", MESSAGE)
    await rep.fill("#cancel-note", NOTE)
    await shot(rep, "console-cancel-form")
    await rep.click("#action-cancel button")
    await rep.wait_for_selector("#action-ok")
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.cancelled and len(
        [m for m in messages_of(engine, order_id) if m.kind in ("cancellation_notice", "work_order_cancelled")
         and m.status == "sent"]) == 3)
    assert view.cancel_reason == MESSAGE and view.cancel_note == NOTE
    assert f"Cancellation requested by customer-service (Sam Cruz): {MESSAGE} (internal note: {NOTE})" in \
        await rep.locator("#timeline").inner_text()
    assert NOTE in await rep.locator("#cancellation").inner_text()

    [told] = messages_of(engine, order_id, "cancellation_notice")
    assert MESSAGE in told.text and NOTE not in told.text and NOTE not in told.html
    departments = messages_of(engine, order_id, "work_order_cancelled")
    assert len(departments) == 2 and all(f"Internal note: {NOTE}" in m.text for m in departments)

    customer = await chromium.new_page()
    token = sign(settings.secret_key.get_secret_value(), order_id, "status")
    await customer.goto(web + f"/orders/{order_id}?t={token}")
    page = await customer.locator("body").inner_text()
    assert NOTE not in page
    first = view.timeline[0].at.astimezone(ZoneInfo(settings.company_timezone))
    stamps = await customer.locator("#timeline li .muted").all_inner_texts()
    assert stamps[0] == first.strftime("%Y-%m-%d %H:%M %Z") and stamps[0].endswith(("CST", "CDT"))
    assert "UTC" not in " ".join(stamps)
