"""Issue 28 §2, incomplete orders, in a real headless Chromium: an order missing its fabric is in customer service's
queue (what is missing, when the reminder and the expiry come); a rep signed in with her own account opens it,
"Complete the form" is pre-filled with each problem beside its field, a form still missing something comes back
(the same check as every other entry), and the completed form confirms the order in her name."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.order import OrderStatus
from starter import orders
from store import staff_accounts

from .conftest import messages_of, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_queues import reload_until

PASSWORD = "a long enough passphrase"


async def signed_in_as(browser, web: str, name: str):
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    await page.goto(web + "/staff/login")
    await page.fill("#name", name)
    await page.fill("#password", PASSWORD)
    await page.click("#sign-in-account")
    await page.wait_for_selector("#queues")
    return page


def local(at, settings) -> str:  # noqa: ANN001
    return at.astimezone(ZoneInfo(settings.company_timezone)).strftime("%Y-%m-%d %H:%M")


async def test_customer_service_completes_an_incomplete_order(chromium, web, client, settings, engine):
    staff_accounts.add(engine, "Ana Reyes", "customer-service", PASSWORD)
    form = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}],
                     customer={"name": "Tom Baker", "email": "tom@example.com", "phone": "+1 757 555 0100"})
    order_id = (await orders.submit_order(client, settings, form)).order_id
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.incomplete)
    assert view.form_reminder_at is not None and view.form_expires_at > view.form_reminder_at

    rep = await signed_in_as(chromium, web, "Ana Reyes")
    row = f"#queue-incomplete tr[data-order='{order_id}']"
    await reload_until(rep, row)
    assert await rep.locator(f"{row} .missing").inner_text() == (
        "Line 1 (Three-seat sofa): missing: Fabric (one of: linen, velvet, leather, wool)")
    reminder = await rep.locator(f"{row} .reminder").inner_text()
    expires = await rep.locator(f"{row} .expires").inner_text()
    assert reminder.startswith(local(view.form_reminder_at, settings)) and reminder.endswith(("CST", "CDT"))
    assert expires.startswith(local(view.form_expires_at, settings))
    assert "Tom Baker" in await rep.locator(row).inner_text()
    await shot(rep, "console-incomplete-queue")

    await rep.click(f"{row} a")
    await rep.click("#complete-form")
    await rep.wait_for_selector("#form-problems")
    assert await rep.input_value("[name='customer.name']") == "Tom Baker", "pre-filled with the form as submitted"
    assert await rep.input_value("[name='line-0-color']") == "olive"
    fabric = rep.locator("#line-0 .field:has([name='line-0-fabric'])")
    assert "Missing: Fabric (one of: linen, velvet, leather, wool)" in await fabric.inner_text(), "beside its field"
    await shot(rep, "console-complete-form")

    await rep.fill("[name='customer.phone']", "+1 757 555 0111")
    await rep.click("#place-order")  # still no fabric: the same check as every entry sends it back
    await rep.wait_for_selector("#form-problems")
    assert await rep.input_value("[name='customer.phone']") == "+1 757 555 0111", "what was typed is kept"
    assert (await orders.order_status(client, order_id)).status is OrderStatus.incomplete

    await rep.select_option("[name='line-0-fabric']", "linen")
    await rep.click("#place-order")
    await rep.wait_for_selector("#action-ok")
    assert "Form complete" in await rep.locator("#action-ok").inner_text()
    done = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert done.lines[0].options["fabric"] == "linen" and done.customer.phone == "+1 757 555 0111"
    timeline = await rep.locator("#timeline").inner_text()
    assert "The missing details arrived from customer-service (Ana Reyes)" in timeline
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "order_confirmation")))
    [confirmation] = messages_of(engine, order_id, "order_confirmation")
    assert "linen" in confirmation.text.lower() and confirmation.recipient == "tom@example.com"
    await rep.goto(web + "/staff")
    assert await rep.locator(row).count() == 0, "a completed order leaves the queue"


async def test_the_warehouse_is_not_offered_completing_a_form(chromium, web, client, settings, engine):
    form = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
    order_id = (await orders.submit_order(client, settings, form)).order_id
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.incomplete)
    staff_accounts.add(engine, "Maria Santos", "warehouse", PASSWORD)
    lead = await signed_in_as(chromium, web, "Maria Santos")
    assert await lead.locator("#queue-incomplete").count() == 0
    await lead.goto(web + f"/staff/orders/{order_id}")
    assert await lead.locator("#complete-form").count() == 0
    response = await lead.goto(web + f"/staff/orders/{order_id}/form")
    assert response.status == 403


async def test_a_filipino_customers_form_reads_in_the_companys_language_for_staff(chromium, web, client, settings,
                                                                                 engine):
    staff_accounts.add(engine, "Ana Reyes", "customer-service", PASSWORD)
    form = sofa_form(language="fil", lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
    order_id = (await orders.submit_order(client, settings, form)).order_id
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.incomplete)
    assert "Tela" in view.problems[0].message, "the customer's own words stay on the order"
    rep = await signed_in_as(chromium, web, "Ana Reyes")
    await rep.goto(web + f"/staff/orders/{order_id}")
    assert await rep.locator("li.problem").all_inner_texts() == [
        "Line 1 (Three-seat sofa): missing: Fabric (one of: linen, velvet, leather, wool)"], "the order page too"
    await rep.goto(web + f"/staff/orders/{order_id}/form")
    fabric = rep.locator("#line-0 .field:has([name='line-0-fabric'])")
    assert "Missing: Fabric (one of: linen, velvet, leather, wool)" in await fabric.inner_text()
    await rep.fill("[name='customer.name']", "")
    await rep.click("#place-order")
    await rep.wait_for_selector("#form-problems")
    assert "Missing: Fabric" in await fabric.inner_text() and "Tela" not in await rep.locator("form[novalidate]").inner_text()
    await rep.fill("[name='customer.name']", "Ada Lovelace")
    await rep.select_option("[name='line-0-fabric']", "wool")
    await rep.click("#place-order")
    await rep.wait_for_selector("#action-ok")
    done = await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "order_confirmation")))
    assert done.language == "fil", "the customer keeps their language"
    [confirmation] = messages_of(engine, order_id, "order_confirmation")
    assert "Petsang inaasahang handa na ang order" in confirmation.text
