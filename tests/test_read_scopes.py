"""Each role reads only what its work needs: every role × every read route × an order of its own and another's.

Orderly's own staff and services see every order whole; a manufacturer (its token bound to it) sees only the orders
it has a work order for, and of them only its work order: its lines and dates, no prices, no customer contact.
"""

from __future__ import annotations

import json
from contextlib import aclosing
from pathlib import Path

import httpx
import pytest

from models.order import OrderForm, OrderStatus
from starter import orders
from tests.conftest import ROLES, sofa_form, wait_for
from tests.test_web_pages import hidden, staff_session

ROOT = Path(__file__).parent.parent
WHOLE = ("service", "warehouse", "accounts", "customer-service", "admin")
ORDER_ROUTES = ("/api/orders/{id}", "/api/orders/{id}/messages")


@pytest.fixture
async def two_orders(client, settings, worker) -> tuple[str, str]:
    """An order with a bookcase made by Nordwood, and a sofa order with nothing of theirs (ids of this test's own)."""
    mine, others = f"SCOPE-DINING-{settings.task_queue[-8:]}", f"SCOPE-SOFA-{settings.task_queue[-8:]}"
    dining = json.loads((ROOT / "examples" / "dining-room.json").read_text()) | {"order_id": mine}
    await orders.submit_order(client, settings, OrderForm.model_validate(dining))
    await orders.submit_order(client, settings, sofa_form(order_id=others))
    for order_id, count in ((mine, 3), (others, 2)):
        await wait_for(client, order_id, lambda v, n=count: v.status is OrderStatus.confirmed
                       and sum(e.data.get("message_kind") == "work_order" for e in v.timeline) == n)
    return mine, others


def api(web: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=web, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.mark.parametrize("token", [f"token-{r}" for r in ROLES] + ["token-other-maker"])
async def test_every_role_reads_every_route_of_its_own_order_and_anothers(web, two_orders, token):
    MINE, OTHERS = two_orders  # noqa: N806
    maker = {"token-manufacturer": "nordwood", "token-other-maker": "elsewhere"}.get(token)
    async with api(web, token) as http:
        listed = {o["order_id"]: o for o in (await http.get("/api/orders")).json()["items"]}
        mine, others = await http.get(f"/api/orders/{MINE}"), await http.get(f"/api/orders/{OTHERS}")
        mine_messages = await http.get(f"/api/orders/{MINE}/messages")
        others_messages = await http.get(f"/api/orders/{OTHERS}/messages")

    if maker is None:  # Orderly's own staff and services: every order, whole
        assert {MINE, OTHERS} <= set(listed) and listed[MINE]["total"] is not None
        for response in (mine, others):
            assert response.status_code == 200 and response.json()["customer"]["email"]
            assert all("unit_price" in line for line in response.json()["lines"])
        assert {m["kind"] for m in mine_messages.json()} >= {"order_confirmation", "work_order"}
        assert others_messages.status_code == 200
        return

    if maker == "elsewhere":  # a manufacturer with no work order on either
        assert MINE not in listed and OTHERS not in listed
        for response in (mine, others, mine_messages, others_messages):
            assert response.status_code == 404 and response.json()["error"]["kind"] == "not_found"
        return

    assert set(listed) >= {MINE} and OTHERS not in listed and listed[MINE]["total"] is None
    assert mine.status_code == 200
    work_order = mine.json()
    assert work_order["department"] == "nordwood" and [line["sku"] for line in work_order["lines"]] == [
        "BOOKCASE-MTM"]
    text = json.dumps(work_order)
    for secret in ("grace@example.com", "Grace Hopper", "+1 555 0142", "Compiler Court", "unit_price", "total"):
        assert secret not in text, secret
    assert {m["recipient"] for m in mine_messages.json()} == {"orders@nordwood.example"}
    for response in (others, others_messages):
        assert response.status_code == 404, "another's order reads as an unknown one"


async def test_the_console_shows_a_manufacturer_its_work_orders_only(web, two_orders):
    MINE, OTHERS = two_orders  # noqa: N806
    async with aclosing(await staff_session(web, "token-manufacturer")) as http:
        home = (await http.get("/staff")).text
        assert MINE in home and OTHERS not in home and "Grace Hopper" not in home
        page = await http.get(f"/staff/orders/{MINE}")
        assert page.status_code == 200 and "Made-to-measure" in page.text
        for secret in ("grace@example.com", "Grace Hopper", "Compiler Court", "USD"):
            assert secret not in page.text, secret
        assert (await http.get(f"/staff/orders/{OTHERS}")).status_code == 404
    async with aclosing(await staff_session(web, "token-admin")) as http:
        page = (await http.get(f"/staff/orders/{MINE}")).text
        assert "grace@example.com" in page and "Compiler Court" in page


async def test_a_manufacturer_acknowledges_its_own_work_order_and_no_one_elses(web, client, two_orders):
    MINE, OTHERS = two_orders  # noqa: N806
    async with api(web, "token-manufacturer") as http:
        assert (await http.post(f"/api/orders/{MINE}/acknowledgements",
                                json={"department": "warehouse"})).status_code == 403, "not its own department"
    async with api(web, "token-other-maker") as http:
        assert (await http.post(f"/api/orders/{MINE}/acknowledgements",
                                json={"department": "nordwood"})).status_code == 404, "not its order: not found"
        assert (await http.post(f"/api/orders/{MINE}/acknowledgements",
                                json={"department": "elsewhere"})).status_code == 404, "not its own order"
    async with api(web, "token-manufacturer") as http:
        wrong = await http.post(f"/api/orders/{MINE}/acknowledgements", json={"department": "warehouse"})
        assert wrong.status_code == 403 and "cannot acknowledge for warehouse" in wrong.json()["error"]["message"]
        assert (await http.post(f"/api/orders/{OTHERS}/acknowledgements",
                                json={"department": "nordwood"})).status_code == 404, "another's order: not found"
        own = await http.post(f"/api/orders/{MINE}/acknowledgements", json={"department": "nordwood"})
        assert own.status_code == 200, own.text
    view = await orders.order_status(client, MINE)
    assert set(view.acknowledged) == {"nordwood"}
    async with aclosing(await staff_session(web, "token-manufacturer")) as http:
        csrf = hidden((await http.get(f"/staff/orders/{MINE}")).text, "csrf")  # (another's page is not found)
        response = await http.post(f"/staff/orders/{OTHERS}/delay", data={"csrf": csrf, "new_date": "2030-01-01",
                                                                           "reason": "x"})
        assert response.status_code == 404
    assert not any(e.kind.startswith("status:delayed") for e in (await orders.order_status(client, OTHERS)).timeline)
