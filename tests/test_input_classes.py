"""Issue 15, section 3: each class of bad input that used to get through, on every surface that takes it.

Blank values, control characters in one-line fields, types that are not what they say, dates outside their
catalog bounds, and an order id reused with another form: the HTTP API, the staff console's posts, the web shop's
posts and the CLI refuse the same things with the same field-level message, and change nothing. Against the real
stack: the dev Temporal server, a worker, the web app over HTTP, the `orderly` command as a process.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError

from models.order import OrderStatus, Shipment
from starter import orders
from starter.orders import OrderError

from .conftest import messages_of, sofa_form, wait_for
from .test_bad_input import assert_nothing_started, auth, cli
from .test_web_pages import CUSTOMER, error_for, hidden, staff_post, staff_session

TODAY = date.today()
BLANKS = ("   ", "\t", " \t ")
BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 80}}
BOOKCASE_SLOT = 3  # the shop's form has one slot per catalog product, in catalog order


def form_json(**changes) -> dict:
    return {**sofa_form().model_dump(mode="json", exclude_none=True), **changes}


def shop_fields(page: str, **changes: str) -> dict[str, str]:
    return {"csrf": hidden(page, "csrf"), **CUSTOMER, "line-0-sku": "SOFA-3S", "line-0-quantity": "1",
            "line-0-fabric": "velvet", "line-0-color": "olive", **changes}


async def confirmed_order(client, settings, order_id: str) -> None:
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders) and len(
        [e for e in v.timeline if e.data.get("message_kind") == "work_order"]) == len(v.work_orders))


# ---- blank values ----

async def test_blank_carrier_or_tracking_is_refused_alike_by_api_console_cli_and_workflow(web, client, settings,
                                                                                         engine):
    await confirmed_order(client, settings, "BLANK-1")
    before = await orders.order_status(client, "BLANK-1")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for blank in BLANKS:
            for field in ("carrier", "tracking_number"):
                shipment = {"carrier": "UPS", "tracking_number": "1Z", "expected_delivery_date": str(TODAY),
                            field: blank}
                response = await http.post("/api/orders/BLANK-1/shipments", json=shipment, headers=auth("admin"))
                assert response.status_code == 422, response.text
                assert {"field": field, "message": "must not be blank"} in response.json()["error"]["details"]
    console = await staff_session(web, "token-admin")
    try:
        page = await staff_post(console, "/staff/orders/BLANK-1/ship", carrier="  \t", tracking_number="1Z",
                                expected_delivery_date=str(TODAY))
    finally:
        await console.aclose()
    assert page.status_code == 422 and "carrier: must not be blank" in page.text, page.text[:3000]
    code, out, err = await cli(client, settings, "ship", "BLANK-1", "--carrier", " ", "--tracking", "1Z",
                               "--delivery-date", str(TODAY))
    assert code != 0 and "carrier: must not be blank" in err + out, (out, err)
    # a client that skips the models (model_construct) reaches the workflow, whose own input types refuse it with
    # the field's message, and the order is untouched
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await orders.handle_for(client, "BLANK-1").execute_update(
            "mark_shipped", Shipment.model_construct(carrier="   ", tracking_number="1Z",
                                                     expected_delivery_date=TODAY))
    assert "carrier: must not be blank" in str(refused.value.cause), refused.value.cause
    after = await orders.order_status(client, "BLANK-1")
    assert after.shipment is None and after.timeline == before.timeline
    assert not messages_of(engine, "BLANK-1", "shipping_notice")


# ---- control characters in one-line fields ----

INJECTED = "Ada\r\nBcc: everyone@example.com"


async def test_control_characters_in_one_line_fields_are_refused_everywhere(web, client, settings, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for where, value in (("customer", {"name": INJECTED, "email": "ada@example.com"}),
                             ("shipping_address", {"line1": "1 Road\n2 Road", "city": "Springfield",
                                                   "postal_code": "62704", "country": "US"})):
            response = await http.post("/api/orders", json=form_json(order_id="CTRL-API", **{where: value}),
                                       headers=auth("service"))
            assert response.status_code == 422 and "control characters" in response.text, response.text
        shop = await http.get("/")
        posted = await http.post("/", data=shop_fields(shop.text, **{"customer.name": INJECTED}))
        assert posted.status_code == 422
        assert "control characters" in error_for(posted.text, "customer.name"), posted.text[:3000]
    await assert_nothing_started(client, engine, "CTRL-API")
    console = await staff_session(web, "token-customer-service")
    try:
        new = await console.get("/staff/orders/new")
        phone = await console.post("/staff/orders/new", data=shop_fields(
            new.text, **{"shipping_address.city": "Spring\x1bfield"}))
    finally:
        await console.aclose()
    assert phone.status_code == 422 and "control characters" in error_for(phone.text, "shipping_address.city")
    code, out, err = await cli(client, settings, "submit", "-",
                               stdin=json.dumps(form_json(order_id="CTRL-CLI", customer={
                                   "name": INJECTED, "email": "ada@example.com"})))
    assert code != 0 and "customer.name" in err + out and "control characters" in err + out, (out, err)
    await assert_nothing_started(client, engine, "CTRL-CLI")

    await confirmed_order(client, settings, "CTRL-ACK")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for body in ({"department": "ware\nhouse"}, {"department": "warehouse", "by": "Bob\x00"}):
            response = await http.post("/api/orders/CTRL-ACK/acknowledgements", json=body, headers=auth("admin"))
            assert response.status_code == 422 and "control characters" in response.text, response.text
    console = await staff_session(web, "token-admin")
    try:
        shipped = await staff_post(console, "/staff/orders/CTRL-ACK/ship", carrier="UP\x1bS", tracking_number="1Z",
                                   expected_delivery_date=str(TODAY))
        rated = await staff_post(console, "/staff/orders/CTRL-ACK/feedback", rating="true")
    finally:
        await console.aclose()
    assert shipped.status_code == 422 and "carrier: contains control characters" in shipped.text
    assert rated.status_code == 422 and "rating: Input should be a valid integer" in rated.text, rated.text[:2000]
    view = await orders.order_status(client, "CTRL-ACK")
    assert view.acknowledged == {} and view.shipment is None and view.feedback is None


# ---- types that are not what they say ----

async def test_numbers_are_numbers(web, client, settings, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for quantity in (True, "2", 1.5):
            response = await http.post("/api/orders", json=form_json(
                order_id="TYPE-API", lines=[{**form_json()["lines"][0], "quantity": quantity}]), headers=auth("service"))
            assert response.status_code == 422 and "lines.0.quantity" in response.text, (quantity, response.text)
        shop = await http.get("/")
        posted = await http.post("/", data=shop_fields(shop.text, **{"line-0-quantity": "true"}))
        assert posted.status_code == 422 and "whole number" in error_for(posted.text, "line-0-quantity")
    await assert_nothing_started(client, engine, "TYPE-API")
    code, out, err = await cli(client, settings, "submit", "-", stdin=json.dumps(form_json(
        order_id="TYPE-CLI", lines=[{**form_json()["lines"][0], "quantity": True}])))
    assert code != 0 and "lines.0.quantity" in err + out, (out, err)
    await assert_nothing_started(client, engine, "TYPE-CLI")

    await confirmed_order(client, settings, "TYPE-ACT")
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for route, body, field in (("feedback", {"rating": True}, "rating"),
                                   ("delays", {"new_date": 0, "reason": "late wood"}, "new_date")):
            response = await http.post(f"/api/orders/TYPE-ACT/{route}", json=body, headers=auth("admin"))
            assert response.status_code == 422 and field in response.text, response.text


# ---- dates with bounds ----

def bookcase_slot(install_by: date) -> dict[str, str]:
    """The shop's (and the phone order's) form fields ordering one bookcase instead of the sofa."""
    slot = f"line-{BOOKCASE_SLOT}"
    return {"line-0-quantity": "0", f"{slot}-sku": "BOOKCASE-MTM", f"{slot}-quantity": "1", f"{slot}-wood": "oak",
            f"{slot}-height_cm": "200", f"{slot}-width_cm": "80", f"{slot}-install_by": install_by.isoformat()}


async def test_a_catalog_date_is_held_to_its_bounds_and_the_promise_respects_it(web, client, settings, engine):
    far, past = TODAY + timedelta(days=400), date(2001, 1, 1)
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        for day, words in ((past, "must be on or after"), (far, "must be on or before"),
                           (date(9999, 12, 31), "must be on or before")):
            line = {**BOOKCASE, "options": {**BOOKCASE["options"], "install_by": day.isoformat()}}
            response = await http.post("/api/orders", json=form_json(order_id="DATE-API", lines=[line]),
                                       headers=auth("service"))
            assert response.status_code == 422, response.text
            assert "lines[0].options.install_by" in response.text and words in response.text, response.text
        shop = await http.get("/")
        posted = await http.post("/", data=shop_fields(shop.text, **bookcase_slot(past)))
        assert posted.status_code == 422
        assert "Installation not before must be on or after" in error_for(
            posted.text, f"line-{BOOKCASE_SLOT}-install_by"), posted.text[:3000]
    console = await staff_session(web, "token-customer-service")
    try:
        new = await console.get("/staff/orders/new")
        phone = await console.post("/staff/orders/new", data=shop_fields(new.text, **bookcase_slot(far)))
    finally:
        await console.aclose()
    assert phone.status_code == 422
    assert "must be on or before" in error_for(phone.text, f"line-{BOOKCASE_SLOT}-install_by"), phone.text[:3000]
    await assert_nothing_started(client, engine, "DATE-API")
    code, out, err = await cli(client, settings, "submit", "-", stdin=json.dumps(form_json(
        order_id="DATE-CLI", lines=[{**BOOKCASE, "options": {**BOOKCASE["options"], "install_by": str(past)}}])))
    assert code != 0 and "must be on or after" in err + out, (out, err)
    await assert_nothing_started(client, engine, "DATE-CLI")

    incomplete = await orders.submit_order(client, settings, sofa_form(
        order_id="DATE-FORM", lines=[{**BOOKCASE, "options": {"wood": "oak"}}]))
    assert incomplete.status is OrderStatus.incomplete
    completion = form_json(lines=[{**BOOKCASE, "options": {**BOOKCASE["options"], "install_by": str(far)}}])
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        response = await http.post("/api/orders/DATE-FORM/form", json=completion, headers=auth("customer-service"))
    assert response.status_code == 422 and "lines[0].options.install_by" in response.text, response.text
    assert (await orders.order_status(client, "DATE-FORM")).status is OrderStatus.incomplete

    install = TODAY + timedelta(days=200)  # later than the bookcase's 20 business days: the promise waits for it
    line = {**BOOKCASE, "options": {**BOOKCASE["options"], "install_by": install.isoformat()}}
    accepted = await orders.submit_order(client, settings, sofa_form(order_id="DATE-OK", lines=[line]))
    view = await wait_for(client, accepted.order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.expected_fulfillment_date == install


# ---- an order id reused with another form ----

async def test_an_order_id_taken_by_a_different_order_is_refused_on_every_surface(web, client, settings, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        first = await http.post("/api/orders", json=form_json(order_id="TAKEN-1"), headers=auth("service"))
        again = await http.post("/api/orders", json=form_json(order_id="TAKEN-1"), headers=auth("service"))
        other = await http.post("/api/orders", json=form_json(order_id="TAKEN-1", notes="another order"),
                                headers=auth("service"))
        disagree = await http.post("/api/orders", json=form_json(order_id="TAKEN-2"),
                                   headers={**auth("service"), "Idempotency-Key": "checkout-1"})
    assert first.status_code == 201 and again.status_code == 200 and again.json()["duplicate"] is True
    assert other.status_code == 409 and "taken by a different order" in other.json()["error"]["message"]
    assert disagree.status_code == 422 and "disagree" in disagree.json()["error"]["message"], disagree.text
    await assert_nothing_started(client, engine, "TAKEN-2")
    code, out, err = await cli(client, settings, "submit", "-",
                               stdin=json.dumps(form_json(order_id="TAKEN-1", notes="from the CLI")))
    assert code != 0 and "taken by a different order" in err + out, (out, err)
    same = await cli(client, settings, "submit", "-", stdin=json.dumps(form_json(order_id="TAKEN-1")))
    assert same[0] == 0 and "already exists" in same[1], same
    view = await wait_for(client, "TAKEN-1", lambda v: v.status is OrderStatus.confirmed)
    assert view.notes == sofa_form().notes, "the first form stands"
    assert len(messages_of(engine, "TAKEN-1", "order_confirmation")) == 1
    with pytest.raises(OrderError) as taken:
        await orders.submit_order(client, settings, sofa_form(order_id="TAKEN-1", notes="by the client"))
    assert taken.value.kind == "refused"
