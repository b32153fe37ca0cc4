"""The bad-input matrix: malformed and hostile input through the API, the CLI and the web form.

Each case must get a specific error naming what is wrong, and change nothing: no order started, no message sent,
an existing order's timeline untouched. HTML in free text is accepted as text and escaped wherever it is shown.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest

from models.order import OrderStatus
from starter import orders
from starter.orders import OrderError

from .conftest import messages_of, sofa_form, wait_for
from .test_web_pages import hidden, link_in

ORDERLY = str(Path(sys.executable).parent / "orderly")
TODAY = date.today()
SOFA = {"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{role}"}


def body() -> dict:
    return sofa_form().model_dump(mode="json", exclude_none=True)


def with_line(**line) -> list[dict]:
    return [{**SOFA, **line}]


# (case, form changes, status, words the error must contain)
FORM_CASES = [
    ("quantity of the wrong type", {"lines": with_line(quantity="two")}, "lines.0.quantity"),
    ("unknown product", {"lines": with_line(sku="SOFA-99")}, "unknown product 'SOFA-99'"),
    ("option the product does not have", {"lines": with_line(options={**SOFA["options"], "legs": "gold"})},
     "not an option of this product"),
    ("option name that is no name", {"lines": with_line(options={"": "x", **SOFA["options"]})}, "lines.0.options"),
    ("choice that is not offered", {"lines": with_line(options={"fabric": "silk", "color": "olive"})},
     "'silk' is not available"),
    ("negative quantity", {"lines": with_line(quantity=-1)}, "quantity must be between 1 and 99"),
    ("huge quantity", {"lines": with_line(quantity=10**12)}, "quantity must be between 1 and 99"),
    ("number out of range", {"lines": [{"sku": "TABLE-OAK", "options": {"finish": "natural oil",
                                                                         "length_cm": 99999}}]}, "at most"),
    ("number that is text", {"lines": [{"sku": "TABLE-OAK", "options": {"finish": "natural oil",
                                                                         "length_cm": "long"}}]}, "must be a number"),
    ("oversized notes", {"notes": "x" * 5000}, "at most 2000 characters"),
    ("oversized name", {"customer": {"name": "A" * 500, "email": "ada@example.com"}}, "at most 200 characters"),
    ("control characters in the name", {"customer": {"name": "Ada\x00\x1b[31m", "email": "ada@example.com"}},
     "control characters"),
    ("invalid email", {"customer": {"name": "Ada", "email": "ada@@example"}}, "not a valid email address"),
    ("duplicate lines", {"lines": [SOFA, SOFA]}, "same product and options as lines[0]"),
    ("three-letter country", {"shipping_address": {"line1": "1 Road", "city": "Springfield",
                                                   "postal_code": "62704", "country": "USA"}}, "two-letter"),
    ("too many lines", {"lines": [{**SOFA, "quantity": n % 99 + 1} for n in range(101)]}, "lines"),
]
RAW_CASES = [  # bodies no form model accepts at all
    ("unknown key", lambda b: {**b, "note": "misspelt"}, "note: Extra inputs are not permitted"),
    ("order id with path characters", lambda b: {**b, "order_id": "../../etc"}, "order_id"),
    ("lines that are not a list", lambda b: {**b, "lines": "SOFA-3S"}, "lines"),
    ("channel not offered", lambda b: {**b, "channel": "fax"}, "channel"),
]


@pytest.fixture
async def http(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as c:
        yield c


async def assert_nothing_started(client, engine, order_id: str) -> None:
    with pytest.raises(OrderError) as missing:
        await orders.order_status(client, order_id)
    assert missing.value.kind == "not_found"
    assert messages_of(engine, order_id) == []


@pytest.mark.parametrize("case,changes,words", FORM_CASES, ids=[c[0] for c in FORM_CASES])
async def test_api_refuses_bad_forms_and_starts_nothing(http, client, engine, case, changes, words):
    order_id = "BAD-" + re.sub(r"\W", "", case)[:20]
    response = await http.post("/api/orders", json={**body(), **changes, "order_id": order_id},
                               headers=auth("service"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == "invalid" and words in error["message"], error
    await assert_nothing_started(client, engine, order_id)


@pytest.mark.parametrize("case,mutate,words", RAW_CASES, ids=[c[0] for c in RAW_CASES])
async def test_api_refuses_malformed_bodies(http, client, engine, case, mutate, words):
    response = await http.post("/api/orders", json=mutate({**body(), "order_id": "RAW-1"}), headers=auth("service"))
    assert response.status_code == 422 and words in response.json()["error"]["message"], response.text
    await assert_nothing_started(client, engine, "RAW-1")


async def test_refused_staff_actions_change_nothing(http, client, settings, engine):
    result = await orders.submit_order(client, settings, sofa_form(order_id="STAFF-BAD"))
    # `work_orders` is set before the work orders are sent: wait for both to be sent (in the timeline and the send
    # log), or a late one would change the timeline and the log between `before` and `after`
    def work_orders_sent(v) -> bool:  # noqa: ANN001
        in_timeline = [e for e in v.timeline if e.kind == "message" and e.data.get("message_kind") == "work_order"]
        logged = [m for m in messages_of(engine, "STAFF-BAD", "work_order") if m.status == "sent"]
        return v.status is OrderStatus.confirmed and len(in_timeline) == 2 and len(logged) == 2
    view = await wait_for(client, "STAFF-BAD", work_orders_sent)
    before = await orders.order_status(client, "STAFF-BAD")
    sent_before = [m.key for m in messages_of(engine, "STAFF-BAD")]
    due = before.expected_fulfillment_date
    cases = [
        ("delays", {"new_date": str(TODAY - timedelta(days=1)), "reason": "x"}, 409, "not in the future"),
        ("delays", {"new_date": str(due - timedelta(days=1)), "reason": "x"}, 409, "not a delay"),
        ("delays", {"new_date": str(TODAY + timedelta(days=900)), "reason": "x"}, 409, "more than 365 days"),
        ("delays", {"new_date": str(due + timedelta(days=3)), "reason": "   "}, 422, "reason"),
        ("delays", {"new_date": "31/12/2026", "reason": "x"}, 422, "new_date"),
        ("shipments", {"carrier": "UPS", "tracking_number": "1Z", "expected_delivery_date": str(TODAY),
                       "tracking_url": "javascript:alert(1)"}, 422, "tracking_url"),
        ("shipments", {"carrier": "UPS", "tracking_number": "1Z",
                       "expected_delivery_date": str(TODAY - timedelta(days=2))}, 409, "in the past"),
        ("shipments", {"carrier": "UPS", "tracking_number": "1Z",
                       "expected_delivery_date": str(TODAY + timedelta(days=4000))}, 409, "more than 180 days"),
        ("shipments", {"carrier": "", "tracking_number": "1Z", "expected_delivery_date": str(TODAY)}, 422, "carrier"),
        ("acknowledgements", {"department": "marketing"}, 409, "Unknown department 'marketing'"),
        ("feedback", {"rating": 6}, 422, "rating"),
        ("feedback", {"rating": 4}, 409, "feedback is taken after delivery"),
        ("delivery", None, 409, "only a shipped order can be delivered"),
        ("cancellation", {"reason": "x" * 501}, 422, "reason"),
    ]
    for route, payload, status, words in cases:
        response = await http.post(f"/api/orders/STAFF-BAD/{route}", json=payload, headers=auth("admin"))
        assert response.status_code == status, (route, payload, response.text)
        assert words in response.json()["error"]["message"], (route, payload, response.text)
    after = await orders.order_status(client, "STAFF-BAD")
    assert after.timeline == before.timeline and after.status is before.status
    assert [m.key for m in messages_of(engine, "STAFF-BAD")] == sent_before, "a refused action sends nothing"
    for route in ("delays", "shipments", "delivery", "cancellation", "feedback", "acknowledgements", "form"):
        unknown = await http.post(f"/api/orders/NO-SUCH-ORDER/{route}", json={}, headers=auth("admin"))
        assert unknown.status_code in (404, 422), unknown.text  # a malformed body is refused before the lookup
    valid = {  # well-formed bodies, so the order lookup is reached: every action on an unknown order is a 404
        "delays": {"new_date": str(TODAY + timedelta(days=30)), "reason": "Fabric late"},
        "shipments": {"carrier": "UPS", "tracking_number": "1Z", "expected_delivery_date": str(TODAY)},
        "delivery": None, "cancellation": {"reason": "Customer request"}, "feedback": {"rating": 4},
        "acknowledgements": {"department": "warehouse"},
        "form": sofa_form().model_dump(mode="json", exclude_none=True),
    }
    for route, payload in valid.items():
        unknown = await http.post(f"/api/orders/NO-SUCH-ORDER/{route}", json=payload, headers=auth("admin"))
        assert unknown.status_code == 404, (route, unknown.text)
        error = unknown.json()["error"]
        assert error["kind"] == "not_found" and "No order 'NO-SUCH-ORDER'" in error["message"], (route, error)
    assert (await http.get("/api/orders/NO-SUCH-ORDER", headers=auth("admin"))).status_code == 404
    assert result.order_id == "STAFF-BAD" and view.status is OrderStatus.confirmed


async def test_html_in_free_text_is_escaped_in_emails_and_pages(http, client, settings, engine):
    hostile = "<script>alert('x')</script><b>Ada</b>"
    form = sofa_form(order_id="XSS-1", customer={"name": hostile, "email": "ada@example.com"},
                     notes="<img src=x onerror=alert(1)>")
    await orders.submit_order(client, settings, form)
    await wait_for(client, "XSS-1", lambda v: bool(messages_of(engine, "XSS-1", "order_confirmation")))
    [mail] = messages_of(engine, "XSS-1", "order_confirmation")
    assert "<script>" not in mail.html and "<img src=x" not in mail.html
    assert "&lt;script&gt;" in mail.html
    page = await http.get(link_in(mail.text, "/orders/XSS-1"))
    assert page.status_code == 200 and "<script>alert" not in page.text
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=30) as staff:
        login = await staff.get("/staff/login")
        await staff.post("/staff/login", data={"csrf": hidden(login.text, "csrf"), "token": "token-admin"})
        console = await staff.get("/staff/orders/XSS-1")
        home = await staff.get("/staff")
    for html in (console.text, home.text):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


WEB_CASES = [
    ("oversized name", {"customer.name": "A" * 500}, "customer.name", "at most 200 characters"),
    ("control characters", {"customer.name": "Ada\x07"}, "customer.name", "control characters"),
    ("invalid email", {"customer.email": "ada@@example"}, "customer.email", "not a valid email address"),
    ("unknown product slipped in", {"line-0-sku": "EVIL"}, "line-0-quantity", "unknown product 'EVIL'"),
    ("choice not offered", {"line-0-fabric": "silk"}, "line-0-fabric", "'silk' is not available"),
    ("huge quantity", {"line-0-quantity": "1000000"}, "line-0-quantity", "between 1 and 99"),
    ("quantity that is not a number", {"line-0-quantity": "1e3"}, "line-0-quantity", "whole number"),
]


@pytest.mark.parametrize("case,changes,field,words", WEB_CASES, ids=[c[0] for c in WEB_CASES])
async def test_web_form_shows_each_problem_next_to_its_field(web, engine, case, changes, field, words):
    async with httpx.AsyncClient(base_url=web, timeout=30) as browser:
        page = (await browser.get("/")).text
        form = {"csrf": hidden(page, "csrf"), "customer.name": "Ada", "customer.email": "ada@example.com", "shipping_address.line1": "1 Road",
                "shipping_address.city": "Springfield", "shipping_address.postal_code": "62704",
                "shipping_address.country": "US", "line-0-sku": "SOFA-3S", "line-0-quantity": "1",
                "line-0-fabric": "velvet", "line-0-color": "olive", **changes}
        response = await browser.post("/", data=form)
    assert response.status_code == 422, response.text[:2000]
    shown = re.search(rf'id="{re.escape(field)}-error" role="alert">([^<]*)<', response.text)
    assert shown and words.lower() in unescape(shown.group(1)).lower(), response.text[:3000]
    from store.read_model import list_orders
    assert list_orders(engine) == [] and messages_of(engine, "") == []


async def cli(client, settings, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    env = {**os.environ, "TEMPORAL_ADDRESS": client.service_client.config.target_host,
           "ORDERLY_TASK_QUEUE": settings.task_queue, "ORDERLY_VAR_DIR": str(settings.var_dir),
           "ORDERLY_SECRET_KEY": settings.secret_key.get_secret_value(), "ORDERLY_DATABASE_URL": settings.db_url}
    process = await asyncio.create_subprocess_exec(
        ORDERLY, *args, env=env, stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin is not None else None), 60)
    return process.returncode, out.decode(), err.decode()


async def test_cli_refuses_bad_input_with_specific_errors(client, settings, engine, tmp_path):
    good = sofa_form(order_id="CLI-BAD").model_dump(mode="json", exclude_none=True)
    cases = [
        (("submit", "-"), "{not json", "is not valid JSON"),
        (("submit", "-"), "[1, 2]", "must hold a JSON object"),
        (("submit", "-"), json.dumps({**good, "lines": with_line(sku="NOPE")}), "unknown product 'NOPE'"),
        (("submit", "-"), json.dumps({**good, "lines": with_line(quantity=0)}), "quantity must be between 1 and 99"),
        (("submit", "-"), json.dumps({**good, "colour": "red"}), "colour"),
        (("submit", str(tmp_path / "missing.json")), None, "cannot read"),
        (("delay", "CLI-BAD", "--until", "soon", "--reason", "x"), None, "must be a date like 2026-12-31"),
        (("ship", "NO-SUCH-ORDER", "--carrier", "UPS", "--tracking", "1Z", "--delivery-date", str(TODAY)), None,
         "No order 'NO-SUCH-ORDER'"),
        (("feedback", "NO-SUCH-ORDER", "--rating", "9"), None, "rating"),
    ]
    for args, stdin, words in cases:
        code, out, err = await cli(client, settings, *args, stdin=stdin)
        assert code != 0 and words in err + out, (args, code, out, err)
    await assert_nothing_started(client, engine, "CLI-BAD")
