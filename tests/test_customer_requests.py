"""The customer's requests ("Something wrong? Tell us") and their limits, over the HTTP API and the status page."""

from __future__ import annotations

import pytest

from models.order import Cancellation, OrderStatus
from starter import orders

from .conftest import messages_of, sofa_form, wait_for
from .test_api import assert_error, auth, http  # noqa: F401  (http: the fixture)
from .test_web_pages import link_in

pytestmark = pytest.mark.usefixtures("worker")


async def test_requests_are_numbered_limited_resolved_and_closed_with_the_order(http, client, settings, engine):  # noqa: F811
    await orders.submit_order(client, settings, sofa_form(order_id="REQ-1"))
    await wait_for(client, "REQ-1", lambda v: v.status is OrderStatus.confirmed)
    for n in range(1, 6):
        sent = await http.post("/api/orders/REQ-1/requests", json={"message": f"Note {n}"},
                               headers=auth("customer-service"))
        assert sent.status_code == 200 and f"request {n}" in sent.json()["message"], sent.text
    assert_error(await http.post("/api/orders/REQ-1/requests", json={"message": "Sixth"},
                                 headers=auth("customer-service")), 409, "refused", "already has 5 requests waiting")
    assert_error(await http.post("/api/orders/REQ-1/requests", json={"message": "  "},
                                 headers=auth("customer-service")), 422, "invalid")
    assert_error(await http.post("/api/orders/REQ-1/requests", json={"message": "hi"}, headers=auth("warehouse")),
                 403, "forbidden")
    assert_error(await http.post("/api/orders/REQ-1/request-resolutions", json={"number": 9, "note": "x"},
                                 headers=auth("customer-service")), 409, "refused", "Request 9 of order REQ-1 is not")
    done = await http.post("/api/orders/REQ-1/request-resolutions", json={"number": 2, "note": "Answered by phone"},
                           headers=auth("customer-service"))
    assert done.status_code == 200 and done.json()["message"] == "Request 2 resolved", done.text
    view = await orders.order_status(client, "REQ-1")
    assert [(r.number, r.resolution) for r in view.requests if r.resolved_at] == [(2, "Answered by phone")]
    assert len(messages_of(engine, "REQ-1", "customer_request")) == 5  # one email to customer service each

    await orders.act(client, "REQ-1", "cancel", Cancellation(reason="Changed plans"))
    view = await wait_for(client, "REQ-1", lambda v: v.status is OrderStatus.cancelled)
    assert_error(await http.post("/api/orders/REQ-1/requests", json={"message": "Late"},
                                 headers=auth("customer-service")), 409, "refused", "Cannot send a request about")
    [confirmation] = messages_of(engine, "REQ-1", "order_confirmation")
    page = (await http.get(link_in(confirmation.text, "/orders/REQ-1"))).text
    assert 'id="tell-us"' not in page  # a closed order takes no messages
