"""A customer and the warehouse in a real headless Chromium (Debian's, driven by Playwright), against the dev server.

The customer orders a sofa, leaves the fabric out, sees the error, fixes it and orders; follows the status link from
the confirmation email; the warehouse signs in to the console and ships; the status page shows the carrier and the
tracking link; after delivery the survey is answered once.

Set ORDERLY_SCREENSHOTS=docs/screenshots to refresh the screenshots in docs/console.md and docs/languages.md from this
run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from models.order import OrderStatus

from .conftest import messages_of, wait_for
from .test_web_pages import SOON, link_in

CHROMIUM = os.environ.get("ORDERLY_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = os.environ.get("ORDERLY_SCREENSHOTS")


@pytest.fixture
async def chromium():
    from playwright.async_api import async_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs chromium (apt-get install chromium)"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        await browser.close()


async def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def test_a_customer_orders_a_sofa_and_the_warehouse_ships_it(chromium, web, client, engine):
    customer = await chromium.new_page(viewport={"width": 1000, "height": 900})
    await customer.goto(web + "/")
    sofa = customer.locator("#line-0")
    assert not await sofa.locator("select[name='line-0-fabric']").is_visible(), "options show once ordered"
    await customer.fill("[name='customer.name']", "Grace Hopper")
    await customer.fill("[name='customer.email']", "grace@example.com")
    await customer.fill("[name='shipping_address.line1']", "1 Compiler Way")
    await customer.fill("[name='shipping_address.city']", "Arlington")
    await customer.fill("[name='shipping_address.region']", "VA")
    await customer.fill("[name='shipping_address.postal_code']", "22201")
    await customer.fill("[name='line-0-quantity']", "1")
    await customer.select_option("[name='line-0-color']", "olive")
    await shot(customer, "order-form")
    await customer.click("#place-order")

    error = customer.locator("#line-0-fabric-error")
    assert (await error.inner_text()).startswith("Missing: Fabric")
    assert await error.is_visible(), "the problem is shown next to the fabric field"
    assert await customer.input_value("[name='customer.name']") == "Grace Hopper"
    assert await customer.input_value("[name='line-0-color']") == "olive"
    await shot(customer, "order-form-error")
    await customer.select_option("[name='line-0-fabric']", "velvet")
    await customer.click("#place-order")

    await customer.wait_for_selector("#thanks")
    order_id = re.search(r"Order (W-\w+)", await customer.locator("h1").inner_text()).group(1)
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    confirmation = messages_of(engine, order_id, "order_confirmation")[0]
    await customer.goto(web + link_in(confirmation.text, f"/orders/{order_id}"))
    assert await customer.locator("#status").inner_text() == "confirmed"
    assert "Expected fulfillment date" in await customer.locator("#expected").inner_text()

    staff = await chromium.new_page(viewport={"width": 1100, "height": 900})
    await staff.goto(web + "/staff")
    await staff.fill("#token", "token-warehouse")
    await staff.click("#sign-in")
    await staff.wait_for_selector("#queues")
    await shot(staff, "console")
    await staff.click(f"#queues a:text('{order_id}')")
    await staff.select_option("#acknowledge-department", "warehouse")
    await staff.click("#action-acknowledge button")
    await staff.wait_for_selector("#action-ok")
    assert await staff.locator("#action-deliver").count() == 0, "only actions that apply now are offered"
    await staff.fill("#ship-carrier", "UPS")
    await staff.fill("#ship-tracking_number", "1Z999AA10123456784")
    await staff.fill("#ship-expected_delivery_date", "2020-01-01")  # a typo: the workflow refuses, the console says why
    await staff.click("#action-ship button")
    assert "is in the past" in await staff.locator("#action-error").inner_text()
    assert await staff.input_value("#ship-tracking_number") == "1Z999AA10123456784", "what was typed is kept"
    await staff.fill("#ship-carrier", "UPS")
    await staff.fill("#ship-tracking_number", "1Z999AA10123456784")
    await staff.fill("#ship-tracking_url", "https://track.example/1Z999AA10123456784")
    await staff.fill("#ship-expected_delivery_date", SOON)
    await staff.click("#action-ship button")
    assert "Shipment recorded" in await staff.locator("#action-ok").inner_text()
    assert await staff.locator("#status").inner_text() == "shipped"
    await shot(staff, "console-order")

    await customer.reload()
    shipment = customer.locator("#shipment")
    assert "UPS" in await shipment.inner_text()
    assert await shipment.locator("a").get_attribute("href") == "https://track.example/1Z999AA10123456784"
    await shot(customer, "status-page")

    await staff.click("#action-deliver button")
    await staff.wait_for_selector("#action-ok")
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
    request = messages_of(engine, order_id, "feedback_request")[0]
    await customer.goto(web + link_in(request.text, f"/orders/{order_id}/survey"))
    await customer.check("input[name='rating'][value='5']")
    await customer.fill("#comment", "Lovely sofa")
    await customer.click("#send-feedback")
    assert "Your feedback is recorded" in await customer.locator("#message").inner_text()
    await customer.go_back()
    await customer.reload()
    assert "We have your feedback" in await customer.locator("#message").inner_text(), "the survey is taken once"
    view = await wait_for(client, order_id, lambda v: v.feedback is not None)
    assert view.feedback.rating == 5 and view.feedback.comment == "Lovely sofa"


async def test_the_warehouse_ships_the_sofa_first_and_the_customer_sees_both_parcels(chromium, web, client, settings,
                                                                                      engine):
    """A sofa and Nordwood's bookcase in Chromium: the console's parts table, the ship form filled in with the sofa
    (the bookcase is not at the warehouse), then the customer's status page with the parcel and what is to come."""
    from models.order import Readiness
    from starter import orders
    from .conftest import sofa_form

    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
    await orders.submit_order(client, settings, sofa_form(order_id="SHOT-PARTS", lines=[
        sofa_form().lines[0].model_dump(), bookcase]))
    await wait_for(client, "SHOT-PARTS", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    staff = await chromium.new_page(viewport={"width": 1100, "height": 900})
    await staff.goto(web + "/staff")
    await staff.fill("#token", "token-warehouse")
    await staff.click("#sign-in")
    await staff.goto(web + "/staff/orders/SHOT-PARTS")
    assert await staff.locator("#parts tr").count() == 3  # the heading, the sofa, the bookcase
    assert await staff.input_value("#ship-lines") == "SOFA-3S:1"
    await staff.fill("#ship-carrier", "UPS")
    await staff.fill("#ship-tracking_number", "1Z999AA10123456784")
    await staff.fill("#ship-expected_delivery_date", SOON)
    await staff.click("#action-ship button")
    assert "Shipment 1 recorded (1 x SOFA-3S)" in await staff.locator("#action-ok").inner_text()
    await orders.act(client, "SHOT-PARTS", "ready", Readiness(department="nordwood"))
    await staff.goto(web + "/staff/orders/SHOT-PARTS")
    assert await staff.input_value("#ship-lines") == "BOOKCASE-MTM:1"
    await shot(staff, "console-parts")

    await wait_for(client, "SHOT-PARTS", lambda v: bool(messages_of(engine, "SHOT-PARTS", "shipping_notice")))
    [notice] = messages_of(engine, "SHOT-PARTS", "shipping_notice")
    customer = await chromium.new_page(viewport={"width": 900, "height": 900})
    await customer.goto(web + link_in(notice.text, "/orders/SHOT-PARTS"))
    assert "partially shipped" in await customer.locator("#status").inner_text()
    assert "Shipped with UPS" in await customer.locator("#shipment").inner_text()
    await shot(customer, "status-page-parts")


async def test_the_customer_tells_us_something_is_wrong_and_customer_service_resolves_it(chromium, web, client,
                                                                                           settings, engine):
    """"Something wrong? Tell us" on the status page: the customer's words reach customer service by email and in
    the console's queue; resolved from the order page, they leave the queue."""
    from starter import orders
    from .conftest import sofa_form

    await orders.submit_order(client, settings, sofa_form(order_id="TELL-1"))
    await wait_for(client, "TELL-1", lambda v: bool(messages_of(engine, "TELL-1", "order_confirmation")))
    [confirmation] = messages_of(engine, "TELL-1", "order_confirmation")
    customer = await chromium.new_page(viewport={"width": 900, "height": 900})
    await customer.goto(web + link_in(confirmation.text, "/orders/TELL-1"))
    await customer.fill("#message", "The sofa should be linen, not velvet: I chose the wrong fabric")
    await customer.click("#send-request")
    assert "Customer service has your message" in await customer.locator("body").inner_text()
    [email] = messages_of(engine, "TELL-1", "customer_request")
    assert email.recipient == "customer-service@orderly.example"
    assert "The sofa should be linen, not velvet" in email.text and "ada@example.com" in email.text

    staff = await chromium.new_page(viewport={"width": 1100, "height": 900})
    await staff.goto(web + "/staff")
    await staff.fill("#token", "token-customer-service")
    await staff.click("#sign-in")
    queue = staff.locator("#queue-requests")
    assert "request 1: The sofa should be linen" in await queue.inner_text()
    await queue.locator("a:text('TELL-1')").click()
    await staff.fill("#resolve_request-note", "Called Ada; the fabric will be corrected to linen")
    await staff.click("#action-resolve_request button")
    assert "Request 1 resolved" in await staff.locator("#action-ok").inner_text()
    await staff.goto(web + "/staff")
    assert "No customer is waiting for an answer." in await staff.locator("#queue-requests").inner_text()
    view = await orders.order_status(client, "TELL-1")
    assert [e.kind for e in view.timeline if "request" in e.kind] == ["customer_request", "request_resolved"]
