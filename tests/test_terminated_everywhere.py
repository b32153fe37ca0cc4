"""A workflow terminated from Temporal (`temporal workflow terminate`, the Web UI) runs no more code: its status
query answers the state it was last in. Every reader goes through `orders.order_status`, which says `terminated`:
the API, `orderly status`, the staff console and the customer's page agree, and nothing is offered to do."""

from __future__ import annotations

from contextlib import aclosing

import httpx

from models.links import sign
from models.order import CustomerRequest, OrderStatus
from starter import orders
from tests.conftest import sofa_form, wait_for
from tests.test_api import auth
from tests.test_available_actions import offered
from tests.test_bad_input import cli
from tests.test_web_pages import hidden, staff_session


async def test_a_terminated_order_reads_terminated_everywhere_and_offers_nothing(client, settings, worker, web):
    await orders.submit_order(client, settings, sofa_form(order_id="TERM-ALL"))
    await wait_for(client, "TERM-ALL", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    token = sign(settings.secret_key.get_secret_value(), "TERM-ALL", "status")
    async with httpx.AsyncClient(base_url=web, timeout=30, headers={"Accept": "text/html"}) as browser:
        before = (await browser.get(f"/orders/TERM-ALL?t={token}")).text
        assert 'id="tell-us"' in before and "status-confirmed" in before  # (what the page offered while open)

        await orders.handle_for(client, "TERM-ALL").terminate("stuck, says ops")

        assert (await orders.order_status(client, "TERM-ALL")).status is OrderStatus.terminated
        async with httpx.AsyncClient(base_url=web, timeout=30) as http:
            answer = await http.get("/api/orders/TERM-ALL", headers=auth("service"))
        assert answer.status_code == 200 and answer.json()["status"] == "terminated"
        code, out, err = await cli(client, settings, "status", "TERM-ALL", "--json")
        assert code == 0 and '"status": "terminated"' in out, err
        code, out, err = await cli(client, settings, "status", "TERM-ALL")
        assert code == 0 and "terminated" in out.splitlines()[0], out

        page = await browser.get(f"/orders/TERM-ALL?t={token}")
        assert page.status_code == 200 and "status-terminated" in page.text
        assert 'id="tell-us"' not in page.text and 'id="expected"' not in page.text
        posted = await browser.post(f"/orders/TERM-ALL/requests?t={token}",  # a page kept open from before
                                    data={"csrf": hidden(before, "csrf"), "message": "Wrong colour"})
        assert posted.status_code == 409 and "cannot take messages now" in posted.text
    async with aclosing(await staff_session(web, "token-admin")) as staff:
        assert "status-terminated" in (await staff.get("/staff/orders/TERM-ALL")).text
        assert await offered(staff, "TERM-ALL") == set()
    try:
        await orders.act(client, "TERM-ALL", "request", CustomerRequest(message="hello"))
        raise AssertionError("a terminated order took an action")
    except orders.OrderError as e:
        assert e.kind == "refused" and "terminated" in e.message
