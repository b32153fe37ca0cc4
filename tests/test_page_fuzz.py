"""Generated input (hypothesis) through the pages' form posts and the action inputs, over real HTTP against the app,
the dev Temporal server and a worker: the web shop's order form, the staff console's action forms and the survey.

Whatever is posted, the answer is a page (never a server error), and whatever is accepted is what the input types
promise: one-line fields stripped and free of control characters, numbers that are numbers. The schemathesis run
(test_api_fuzz.py) covers the API's JSON bodies the same way.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st

from models.inputs import CONTROL
from models.links import sign
from models.settings import Settings
from starter import orders
from starter.actions import ACTIONS

from .conftest import sofa_form, wait_for
from .test_web_pages import CUSTOMER, hidden

RUNS = hypothesis_settings(max_examples=40, deadline=None, database=None,
                           suppress_health_check=list(HealthCheck))
PAGE_ANSWERS = {200, 303, 403, 404, 409, 422}
typed = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "\t", "0", "-1", "1e3", "true", "2026-02-30",
                                                         "9999-12-31", "Ada\r\nBcc: x", "<b>x</b>", "x" * 300]))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_posts_per_address": "", "public_posts_per_email": ""})


def shop_post(token: str, changes: dict[str, str]) -> dict[str, str]:
    return {"csrf": token, **CUSTOMER, "line-0-sku": "SOFA-3S", "line-0-quantity": "1", "line-0-fabric": "velvet",
            "line-0-color": "olive", **changes}


SHOP_FIELDS = [*CUSTOMER, "notes", "line-0-sku", "line-0-quantity", "line-0-fabric", "line-3-sku",
               "line-3-quantity", "line-3-install_by", "line-3-height_cm", "line-3-engraving", "line-99-sku"]


async def test_any_shop_post_gets_a_page_and_accepted_orders_hold_clean_text(web, client):
    def run() -> list[str]:
        placed: list[str] = []
        with httpx.Client(base_url=web, timeout=60) as browser:
            token = hidden(browser.get("/").text, "csrf")

            @RUNS
            @given(st.dictionaries(st.sampled_from(SHOP_FIELDS), typed, max_size=6))
            def post(changes: dict[str, str]) -> None:
                response = browser.post("/", data=shop_post(token, changes))
                assert response.status_code in PAGE_ANSWERS, (changes, response.status_code, response.text[:500])
                if response.status_code == 303 and (m := re.match(r"/orders/([^?]+)\?", response.headers["location"])):
                    placed.append(m.group(1))

            post()
        return placed

    placed = await asyncio.to_thread(run)
    for order_id in set(placed):
        form = await orders.submitted_form(client, order_id)
        for text in (form.customer.name, form.customer.email, *form.shipping_address.model_dump().values()):
            assert text == text.strip() and not CONTROL.search(text), (order_id, text)
        assert all(type(line.quantity) is int for line in form.lines)


async def test_any_console_action_post_gets_a_page(web, client, settings):
    await orders.submit_order(client, settings, sofa_form(order_id="FUZZ-CONSOLE"))
    await wait_for(client, "FUZZ-CONSOLE", lambda v: bool(v.work_orders) and v.status.value != "received")
    fields = {name: ACTIONS[name].input_fields() for name in ("acknowledge", "delay", "ship", "correct_shipment",
                                                               "cancel", "feedback")}

    def run() -> None:
        with httpx.Client(base_url=web, timeout=60) as staff:
            login = staff.get("/staff/login").text
            staff.post("/staff/login", data={"csrf": hidden(login, "csrf"), "token": "token-admin"})
            token = hidden(staff.get("/staff/orders/FUZZ-CONSOLE").text, "csrf")

            @RUNS
            @given(st.sampled_from(sorted(fields)).flatmap(lambda action: st.tuples(
                st.just(action), st.fixed_dictionaries({}, optional={f: typed for f in fields[action]}))))
            def post(case: tuple[str, dict[str, str]]) -> None:
                action, values = case
                if action == "cancel":
                    values = {**values, "reason": values.get("reason") or " "}  # keep the order open to the rest
                response = staff.post(f"/staff/orders/FUZZ-CONSOLE/{action}", data={"csrf": token, **values})
                assert response.status_code in PAGE_ANSWERS, (case, response.status_code, response.text[:500])

            post()

    await asyncio.to_thread(run)
    view = await orders.order_status(client, "FUZZ-CONSOLE")
    for text in (view.shipment.carrier, view.shipment.tracking_number) if view.shipment else ():
        assert text and text == text.strip() and not CONTROL.search(text)


async def test_any_survey_post_gets_a_page(web, client, settings):
    await orders.submit_order(client, settings, sofa_form(order_id="FUZZ-SURVEY"))
    path = f"/orders/FUZZ-SURVEY/survey?t={sign(settings.secret_key.get_secret_value(), 'FUZZ-SURVEY', 'survey')}"

    def run() -> None:
        with httpx.Client(base_url=web, timeout=60) as browser:
            token = hidden(browser.get("/").text, "csrf")

            @RUNS
            @given(st.fixed_dictionaries({}, optional={"rating": typed, "comment": typed}))
            def post(values: dict[str, str]) -> None:
                response = browser.post(path, data={"csrf": token, **values})
                assert response.status_code in PAGE_ANSWERS, (values, response.status_code, response.text[:500])

            post()

    await asyncio.to_thread(run)
