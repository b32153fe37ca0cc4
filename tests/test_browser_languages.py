"""The shop in Filipino in a real headless Chromium (Debian's, driven by Playwright), against the dev server.

The customer opens the shop, switches it to Filipino, leaves the fabric out and sees the problem next to the fabric
field in Filipino, fixes it and orders; the thank-you page, the confirmation email and the status page are in
Filipino; the switch takes the same page back to English.
"""

from __future__ import annotations

import re

from models.order import OrderStatus

from .conftest import messages_of, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_web_pages import link_in


async def test_the_shop_in_filipino_with_a_field_error_and_the_switch_back(chromium, web, client, engine):  # noqa: F811
    page = await chromium.new_page(viewport={"width": 1000, "height": 900})
    await page.goto(web + "/")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.locator("h1").inner_text() == "Place an order"
    await page.click("#lang-fil")
    assert await page.get_attribute("html", "lang") == "fil"
    assert await page.locator("h1").inner_text() == "Mag-order"
    assert await page.locator("#place-order").inner_text() == "I-place ang order"
    assert "3-seater na sofa" in await page.locator("#line-0 h3").inner_text()
    assert await page.locator("label[for='customer.name']").inner_text() == "Buong pangalan *"

    await page.fill("[name='customer.name']", "Jose Rizal")
    await page.fill("[name='customer.email']", "jose@example.ph")
    await page.fill("[name='shipping_address.line1']", "Blk 5 Lot 10, Kalye Mabini, Brgy. San Roque")
    await page.fill("[name='shipping_address.city']", "Lungsod Quezon")
    await page.fill("[name='shipping_address.region']", "Metro Manila")
    await page.fill("[name='shipping_address.postal_code']", "1100")
    await page.fill("[name='shipping_address.country']", "PH")
    await page.fill("[name='line-0-quantity']", "1")
    assert "olive green" in await page.locator("[name='line-0-color']").inner_text(), "choices in Filipino"
    await page.select_option("[name='line-0-color']", "olive")
    await shot(page, "order-form-fil")
    await page.click("#place-order")

    error = page.locator("#line-0-fabric-error")
    assert await error.inner_text() == "Kulang: Tela (isa sa: linen, velvet, leather, wool)"
    assert await error.is_visible(), "the problem is shown next to the fabric field"
    assert await page.get_attribute("html", "lang") == "fil", "the page after the post stays in Filipino"
    assert "Pakitingnan po ang 1 naka-highlight na field" in await page.locator("#form-problems").inner_text()
    assert await page.input_value("[name='customer.name']") == "Jose Rizal"
    await shot(page, "order-form-error-fil")
    await page.select_option("[name='line-0-fabric']", "linen")
    await page.click("#place-order")

    await page.wait_for_selector("#thanks")
    assert "Salamat po, Jose Rizal: natanggap na namin ang inyong order." in await page.locator("#thanks").inner_text()
    order_id = re.search(r"Order (W-\w+)", await page.locator("h1").inner_text()).group(1)
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.language == "fil", "the shop's language is the order's"
    [confirmation] = messages_of(engine, order_id, "order_confirmation")
    assert confirmation.subject.startswith(f"Kumpirmado na ang order {order_id}: inaasahang handa sa ")

    await page.goto(web + link_in(confirmation.text, f"/orders/{order_id}"))
    assert await page.locator("#status").inner_text() == "kumpirmado"
    assert "Petsang inaasahang handa na ang order" in await page.locator("#expected").inner_text()
    await shot(page, "status-page-fil")
    await page.click("#lang-en")
    assert await page.locator("#status").inner_text() == "confirmed"
    assert "Expected fulfillment date" in await page.locator("#expected").inner_text()
    await page.goto(web + "/")
    assert await page.locator("h1").inner_text() == "Place an order", "the browser remembers English now"
