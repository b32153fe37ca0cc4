"""The customer pages and the staff console over real HTTP, against the dev server and a real worker.

These drive the HTML forms the way a browser without JavaScript would (tests/test_browser.py does it in Chromium).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import urlsplit

import httpx
import pytest

from models.order import OrderStatus
from starter import orders

from .conftest import messages_of, sofa_form, wait_for

SOON = (date.today() + timedelta(days=10)).isoformat()  # an expected delivery date staff would enter


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return unescape(m.group(1))


def error_for(html: str, name: str) -> str | None:
    m = re.search(rf'<p class="error" id="{re.escape(name)}-error" role="alert">([^<]*)</p>', html)
    return unescape(m.group(1)) if m else None


def value_of(html: str, name: str) -> str | None:
    m = re.search(rf'name="{re.escape(name)}" type="[a-z]+" value="([^"]*)"', html)
    return unescape(m.group(1)) if m else None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def link_in(text: str, path_part: str) -> str:
    m = re.search(rf"https?://\S+{path_part}\?t=[\w.\-]+", text)
    assert m, f"no {path_part} link in:\n{text}"
    return path_of(m.group(0))


CUSTOMER = {"customer.name": "Grace Hopper", "customer.email": "grace@example.com", "customer.phone": "+1 555 0142",
            "shipping_address.line1": "1 Compiler Way", "shipping_address.city": "Arlington",
            "shipping_address.region": "VA", "shipping_address.postal_code": "22201",
            "shipping_address.country": "US"}


@pytest.fixture
async def browser(web: str):
    async with httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30) as http:
        yield http


async def start_page(browser: httpx.AsyncClient, path: str = "/") -> tuple[str, dict[str, str]]:
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    return page.text, {"csrf": hidden(page.text, "csrf")}


async def test_order_form_shows_each_products_fields_and_keeps_values_on_error(browser, client, engine):
    html, base = await start_page(browser)
    assert "Three-seat sofa" in html and 'name="line-0-fabric"' in html
    assert re.search(r'for="line-0-fabric">Fabric <span class="req"', html), "required fields are marked"
    assert '<option value="velvet">velvet</option>' in html, "choices are offered as a select"
    form = {**base, **CUSTOMER, "line-0-sku": "SOFA-3S",
            "line-0-quantity": "1", "line-0-color": "olive", "notes": "<b>ring twice</b>"}
    refused = await browser.post("/", data=form)
    assert refused.status_code == 422
    assert error_for(refused.text, "line-0-fabric").startswith("Missing: Fabric")
    assert value_of(refused.text, "customer.name") == "Grace Hopper", "entered values are kept"
    assert "&lt;b&gt;ring twice&lt;/b&gt;" in refused.text and "<b>ring twice</b>" not in refused.text
    assert not messages_of(engine, "")  # nothing was sent for a refused form

    placed = await browser.post("/", data={**form, "line-0-fabric": "velvet"})
    assert placed.status_code == 303
    status_page = await browser.get(placed.headers["location"])
    assert status_page.status_code == 200 and 'id="thanks"' in status_page.text
    order_id = re.search(r"Order (W-[0-9A-F]{12})", status_page.text).group(1)
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.channel.value == "web" and view.lines[0].options == {"fabric": "velvet", "color": "olive"}

    # the same order placed again (a double click, or Back and Place order): one order, and the page says so
    again = await browser.post("/", data={**form, "line-0-fabric": "velvet"})
    assert again.status_code == 303 and order_id in again.headers["location"]
    assert 'id="again"' in (await browser.get(again.headers["location"])).text
    other = await browser.post("/", data={**form, "line-0-fabric": "linen"})  # a different order is a new one
    assert order_id not in other.headers["location"]
    assert len(messages_of(engine, order_id, "order_confirmation")) == 1


async def test_a_form_post_without_its_csrf_token_is_refused(browser):
    await start_page(browser)
    response = await browser.post("/", data={**CUSTOMER, "line-0-sku": "SOFA-3S", "line-0-quantity": "1"})
    assert response.status_code == 403 and "This form has expired" in response.text


async def test_pages_carry_security_headers(browser):
    page = await browser.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    assert 'httponly' in page.headers["set-cookie"].lower() and "samesite=strict" in page.headers["set-cookie"].lower()


async def test_the_incomplete_email_links_to_a_prefilled_completion_page(browser, client, settings, engine):
    result = await orders.submit_order(client, settings, sofa_form(lines=[
        {"sku": "SOFA-3S", "quantity": 2, "options": {"color": "olive"}}]))
    assert result.status is OrderStatus.incomplete
    email = messages_of(engine, result.order_id, "form_incomplete")[0]
    form_path = link_in(email.text, f"/orders/{result.order_id}/form")
    html, base = await start_page(browser, form_path)
    assert value_of(html, "customer.name") == "Ada Lovelace" and value_of(html, "line-0-quantity") == "2"
    assert error_for(html, "line-0-fabric").startswith("Missing: Fabric")

    fields = {**base, "line-0-sku": "SOFA-3S", "line-0-quantity": "2", "line-0-color": "olive",
              "customer.name": "Ada Lovelace", "customer.email": "ada@example.com",
              "shipping_address.line1": "12 Analytical Row", "shipping_address.city": "Springfield",
              "shipping_address.postal_code": "62704", "shipping_address.country": "US"}
    still = await browser.post(form_path, data={**fields, "line-0-fabric": "tweed"})
    assert still.status_code == 422 and "'tweed' is not available" in error_for(still.text, "line-0-fabric")
    done = await browser.post(form_path, data={**fields, "line-0-fabric": "linen"})
    assert done.status_code == 303
    view = await wait_for(client, result.order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.lines[0].quantity == 2 and view.lines[0].options["fabric"] == "linen"
    closed = await browser.get(form_path)
    assert "Nothing is missing" in closed.text

    forged = await browser.get(form_path.replace(result.order_id, "OTHER-1"))
    assert forged.status_code == 403 and "another order" in forged.text


async def staff_session(web: str, token: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30)
    html = (await http.get("/staff/login")).text
    response = await http.post("/staff/login", data={"csrf": hidden(html, "csrf"), "token": token})
    assert response.status_code == 303, response.text
    return http


async def staff_post(http: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    """Post a console form as a browser does: an accepted action redirects back to the order (post, redirect, get)."""
    page = await http.get(path.rsplit("/", 1)[0])
    response = await http.post(path, data={"csrf": hidden(page.text, "csrf"), **fields})
    if response.status_code == 303:
        response = await http.get(response.headers["location"])
    return response


async def test_staff_console_drives_an_order_and_shows_refusals(web, client, settings, engine):
    result = await orders.submit_order(client, settings, sofa_form())
    order_id = result.order_id
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)

    bad = httpx.AsyncClient(base_url=web)
    html = (await bad.get("/staff/login")).text
    assert (await bad.post("/staff/login", data={"csrf": hidden(html, "csrf"), "token": "nope"})).status_code == 401
    assert (await bad.get("/staff", follow_redirects=False)).status_code == 303
    await bad.aclose()

    warehouse = await staff_session(web, "token-warehouse")
    home = (await warehouse.get("/staff")).text
    queue = re.search(r'data-department="warehouse">(.*?)</ul>', home, re.S).group(1)
    assert order_id in queue, "the unacknowledged work order is in the warehouse queue"

    detail = f"/staff/orders/{order_id}"
    too_early = await staff_post(warehouse, f"{detail}/deliver")
    assert too_early.status_code == 409 and "Refused:" in too_early.text
    missing = await staff_post(warehouse, f"{detail}/ship", carrier="", tracking_number="1Z999",
                               expected_delivery_date=SOON)
    assert missing.status_code == 422 and "carrier" in missing.text
    assert 'value="1Z999"' in missing.text, "what staff typed is kept"
    ack = await staff_post(warehouse, f"{detail}/acknowledge", department="warehouse", by="Sam")
    assert ack.status_code == 200 and "acknowledged" in ack.text.lower()
    shipped = await staff_post(warehouse, f"{detail}/ship", carrier="UPS", tracking_number="1Z999",
                               tracking_url="https://track.example/1Z999", expected_delivery_date=SOON)
    assert shipped.status_code == 200, shipped.text
    assert "UPS 1Z999" in shipped.text
    twice = await staff_post(warehouse, f"{detail}/ship", carrier="UPS", tracking_number="1Z999",
                             expected_delivery_date=SOON)
    assert twice.status_code == 409 and "already shipped" in unescape(twice.text)
    cancel = await staff_post(warehouse, f"{detail}/cancel", reason="no")
    assert cancel.status_code == 403 and "cannot do this" in cancel.text
    assert "shipping_notice" in (await warehouse.get(detail)).text, "the messages sent are listed"
    await warehouse.aclose()

    view = await orders.order_status(client, order_id)
    assert view.status is OrderStatus.shipped and view.shipment.tracking_number == "1Z999"


async def test_customer_service_takes_a_phone_order_with_the_same_form(web, client, engine):
    cs = await staff_session(web, "token-customer-service")
    page = await cs.get("/staff/orders/new")
    assert page.status_code == 200 and 'name="line-0-fabric"' in page.text
    form = {"csrf": hidden(page.text, "csrf"), **CUSTOMER,
            "line-4-sku": "CUSHION", "line-4-quantity": "abc", "line-4-color": "navy"}
    refused = await cs.post("/staff/orders/new", data=form)
    assert refused.status_code == 422 and error_for(refused.text, "line-4-quantity") == (
        "Enter the quantity as a whole number")
    created = await cs.post("/staff/orders/new", data={**form, "line-4-quantity": "3"})
    assert created.status_code == 303
    order_id = created.headers["location"].rsplit("/", 1)[1]
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.channel.value == "phone" and view.lines[0].quantity == 3

    warehouse = await staff_session(web, "token-warehouse")
    assert (await warehouse.get("/staff/orders/new")).status_code == 403
    await warehouse.aclose()
    await cs.aclose()


async def test_the_survey_takes_one_answer(browser, web, client, settings, engine):
    result = await orders.submit_order(client, settings, sofa_form())
    order_id = result.order_id
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    status_path = link_in(messages_of(engine, order_id, "order_confirmation")[0].text, f"/orders/{order_id}")
    survey_path = status_path.replace(f"/orders/{order_id}?", f"/orders/{order_id}/survey?")
    assert (await browser.get(survey_path)).status_code == 403, "a status link is not a survey link"

    from models.order import Shipment
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z1",
                                                         expected_delivery_date=date.fromisoformat(SOON)))
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
    survey_link = link_in(messages_of(engine, order_id, "feedback_request")[0].text, f"/orders/{order_id}/survey")
    html, base = await start_page(browser, survey_link)
    no_rating = await browser.post(survey_link, data={**base, "comment": "hm"})
    assert no_rating.status_code == 422 and "Choose a rating" in no_rating.text
    sent = await browser.post(survey_link, data={**base, "rating": "4", "comment": "Comfy <3"})
    assert sent.status_code == 200 and "Your feedback is recorded" in sent.text
    again = await browser.get(survey_link)
    assert "We have your feedback" in again.text and "<form" not in again.text.split("</header>")[1]
    view = await orders.order_status(client, order_id)
    assert view.feedback.rating == 4 and view.feedback.comment == "Comfy <3"
    # a second answer (Back and Send again, another tab): thanked, not recorded; the first answer stands
    second = await browser.post(survey_link, data={**base, "rating": "1", "comment": "Changed my mind"})
    assert second.status_code == 200 and "the survey takes one answer per order" in second.text
    assert "Your feedback is recorded" not in second.text
    view = await orders.order_status(client, order_id)
    assert view.feedback.rating == 4 and view.feedback.comment == "Comfy <3"
    assert not any("Changed my mind" in e.text for e in view.timeline)


async def test_the_console_lists_overdue_orders_first(web, client, settings, engine):
    from datetime import timedelta

    from store.read_model import save_order

    late = await orders.submit_order(client, settings, sofa_form())  # older, so newest-first alone lists it last
    on_time = await orders.submit_order(client, settings, sofa_form())
    from store.read_model import list_orders

    def settled(order_id: str) -> bool:  # the workflow's last save (after the work orders) is in the read model
        return any(r.order_id == order_id and r.view.get("work_orders") for r in list_orders(engine))

    await wait_for(client, late.order_id, lambda v: settled(late.order_id))
    view = await wait_for(client, on_time.order_id, lambda v: settled(on_time.order_id))
    past = view.model_copy(update={"order_id": late.order_id,
                                   "expected_fulfillment_date": view.received_at.date() - timedelta(days=3)})
    save_order(engine, past, [])  # the read model as it would be once the promised date has passed

    staff = await staff_session(web, "token-accounts")
    home = (await staff.get("/staff")).text
    await staff.aclose()
    overdue = home.split('id="overdue"')[1].split("</section>")[0]
    assert late.order_id in overdue and on_time.order_id not in overdue
    listed = home.split('id="orders"')[1]
    assert listed.index(late.order_id) < listed.index(on_time.order_id), "overdue orders come first"
