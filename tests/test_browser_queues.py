"""The console's work queues in a real headless Chromium (as tests/test_browser.py): a customer-service rep finds an
order by the customer's email and works its feedback call (no answer, then a rating on the retry); the warehouse
pages through its queue; the dashboard's counts match the order pages after ship-with-unacknowledged-work-orders."""

from __future__ import annotations

import re

import pytest

from models.order import Acknowledgement, OrderStatus, Shipment
from models.work_queues import next_business_day
from starter import orders

from .conftest import distributed, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_lifecycle import later
from .test_work_queues import HIGH_VALUE

BOOKCASE = [{"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "ash", "height_cm": 180, "width_cm": 80}}]


@pytest.fixture
def small_pages(settings):
    settings.console_page_size = 2  # before the web server starts: three orders make two pages
    return settings


async def sign_in(browser, web: str, token: str):
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    await page.goto(web + "/staff")
    await page.fill("#token", token)
    await page.click("#sign-in")
    await page.wait_for_selector("#queues")
    return page


async def reload_until(page, selector: str, tries: int = 100) -> None:
    """The read model follows the workflow by a moment: reload the home page until `selector` is there."""
    for _ in range(tries):
        if await page.locator(selector).count():
            return
        await page.wait_for_timeout(200)
        await page.reload()
    raise AssertionError(f"{selector} never appeared:\n{(await page.content())[:3000]}")


async def test_a_rep_finds_the_order_by_email_and_works_the_feedback_call(chromium, web, client, settings, engine):
    form = sofa_form(lines=HIGH_VALUE, customer={"name": "Mary Jackson", "email": "mary.jackson@example.org",
                                                 "phone": "+1 757 555 0177"})
    view = await distributed(client, engine, (await orders.submit_order(client, settings, form)).order_id)
    order_id = view.order_id
    await distributed(client, engine, (await orders.submit_order(client, settings, sofa_form())).order_id)
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z7",
                                                         expected_delivery_date=later(view, 12)))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, order_id, "deliver")
    asked = await wait_for(client, order_id, lambda v: v.feedback_call is not None)

    rep = await sign_in(chromium, web, "token-customer-service")
    await rep.fill("#q", "mary.jackson@example.org")
    await rep.click("#search button")
    found = rep.locator("#orders a")
    assert await found.all_inner_texts() == [order_id], "the email finds exactly her order"
    row = f"#queue-calls tr[data-order='{order_id}']"
    await reload_until(rep, row)
    await shot(rep, "console-queues")
    cells = await rep.locator(row).inner_text()
    assert "Mary Jackson" in cells and "+1 757 555 0177" in cells and "try 1 of 2" in cells
    assert await rep.locator(f"{row} .due").inner_text() == asked.feedback_call.requested_at.astimezone(
        __import__("zoneinfo").ZoneInfo(settings.company_timezone)).date().isoformat()

    await rep.select_option(f"#call_outcome-outcome-{order_id}", "no_answer")
    await rep.click(f"#call-{order_id} button")
    await rep.wait_for_selector("#action-ok")
    assert "due again the next business day" in await rep.locator("#action-ok").inner_text()
    retry = await wait_for(client, order_id, lambda v: len(v.feedback_call.tries) == 1)
    await reload_until(rep, f"{row}:has-text('try 2 of 2')")
    tried_on = retry.feedback_call.tries[0].at.astimezone(__import__("zoneinfo").ZoneInfo(settings.company_timezone))
    assert await rep.locator(f"{row} .due").inner_text() == next_business_day(
        tried_on.date(), settings.company_holidays_country).isoformat()

    await rep.select_option(f"#call_outcome-outcome-{order_id}", "answered")
    await rep.fill(f"#call_outcome-rating-{order_id}", "4")
    await rep.fill(f"#call_outcome-comment-{order_id}", "Sits well")
    await rep.click(f"#call-{order_id} button")
    await rep.wait_for_selector("#action-ok")
    assert "feedback is recorded" in await rep.locator("#action-ok").inner_text()
    done = await wait_for(client, order_id, lambda v: v.status is OrderStatus.completed)
    assert done.feedback.rating == 4 and done.feedback.comment == "Sits well"
    await rep.reload()
    assert await rep.locator(row).count() == 0, "the call is done"
    await rep.goto(web + f"/staff/orders/{order_id}")
    assert "Feedback received by phone (customer-service (role token)): 4/5" in await rep.locator("#timeline").inner_text()


async def test_the_warehouse_lead_pages_through_its_queue(small_pages, chromium, web, client, settings, engine):
    ids = []
    for _ in range(3):
        ids.append((await orders.submit_order(client, settings, sofa_form())).order_id)
    for order_id in ids:
        await distributed(client, engine, order_id)
    lead = await sign_in(chromium, web, "token-warehouse")
    await reload_until(lead, "#queue-wo-warehouse[data-count='3']")
    queue = "#queue-wo-warehouse"
    assert "(3)" in await lead.locator(f"{queue} h3").inner_text()
    first = await lead.locator(f"{queue} li a").all_inner_texts()
    assert len(first) == 2 and "page 1 of 2" in await lead.locator(f"{queue} .pager").inner_text()
    await lead.click(f"{queue} .pager a.next")
    await lead.wait_for_selector(f"{queue} .pager:has-text('page 2 of 2')")
    second = await lead.locator(f"{queue} li a").all_inner_texts()
    assert len(second) == 1 and sorted(first + second) == sorted(ids), "each order once, oldest first across pages"
    assert first == ids[:2] and second == ids[2:]
    await lead.click(f"{queue} .pager a.prev")
    await lead.wait_for_selector(f"{queue} .pager:has-text('page 1 of 2')")


async def test_the_dashboard_counts_match_the_order_pages_after_shipping_unacknowledged(chromium, web, client,
                                                                                      settings, engine):
    shipped = []
    for _ in range(2):
        view = await distributed(client, engine, (await orders.submit_order(client, settings,
                                                                            sofa_form(lines=BOOKCASE))).order_id)
        await orders.act(client, view.order_id, "acknowledge", Acknowledgement(department="warehouse"))
        await orders.act(client, view.order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z9",
                                                                  expected_delivery_date=later(view, 20),
                                                                  ready_override="Collected at the joinery"))
        shipped.append(view.order_id)
    acknowledged = await distributed(client, engine, (await orders.submit_order(client, settings,
                                                                                sofa_form())).order_id)
    for department in ("warehouse", "accounts-receivable"):
        await orders.act(client, acknowledged.order_id, "acknowledge", Acknowledgement(department=department))
    for order_id in shipped:
        await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)

    admin = await sign_in(chromium, web, "token-admin")
    await reload_until(admin, "#queue-wo-accounts-receivable[data-count='2'] li:has-text('shipped')")
    home = await admin.content()
    assert "Every work order has been acknowledged" not in home
    counts = {key: int(await admin.locator(f"#queue-{key}").get_attribute("data-count"))
              for key in ("wo-accounts-receivable", "wo-nordwood")}
    listed = {key: await admin.locator(f"#queue-{key} li a").all_inner_texts() for key in counts}

    waiting: dict[str, list[str]] = {"wo-accounts-receivable": [], "wo-nordwood": []}
    for order_id in [*shipped, acknowledged.order_id]:
        await admin.goto(web + f"/staff/orders/{order_id}")
        assert await admin.locator("#status").inner_text() in ("shipped", "confirmed")
        text = await admin.locator("#work-orders").inner_text()
        for department in ("accounts-receivable", "nordwood"):
            if re.search(rf"{department}: waiting", text):
                waiting[f"wo-{department}"].append(order_id)
    assert waiting == {"wo-accounts-receivable": shipped, "wo-nordwood": shipped}
    assert counts == {key: len(ids) for key, ids in waiting.items()}
    assert {key: sorted(ids) for key, ids in listed.items()} == {key: sorted(ids) for key, ids in waiting.items()}
    assert acknowledged.order_id not in listed["wo-accounts-receivable"]
