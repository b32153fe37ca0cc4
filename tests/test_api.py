"""The HTTP API over real HTTP (uvicorn) against a real Temporal dev server."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
import pytest_asyncio

from tests.conftest import messages_of, sofa_form, wait_for
from models.order import OrderStatus


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{role}"}


@pytest_asyncio.fixture
async def http(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as c:
        yield c


def form(**changes) -> dict:
    return sofa_form(**changes).model_dump(mode="json", exclude_none=True)


def assert_error(response: httpx.Response, status: int, kind: str, text: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["kind"] == kind and text in body["message"], body
    return body


async def test_catalog_and_openapi(http):
    catalog = (await http.get("/api/catalog")).json()
    sofa = next(t for t in catalog["product_types"] if t["name"] == "sofa")
    assert next(f for f in sofa["fields"] if f["name"] == "fabric")["required"] is True
    spec = (await http.get("/openapi.json")).json()
    assert "/api/orders/{order_id}/shipments" in spec["paths"]


async def test_create_incomplete_then_complete_and_read(http, client, engine):
    incomplete = form(order_id="API-1", lines=[{"sku": "SOFA-3S", "options": {"color": "olive"}}])
    created = await http.post("/api/orders", json=incomplete, headers=auth("service"))
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "incomplete"
    assert body["problems"] == [{"field": "lines[0].options.fabric", "label": "Line 1 (Three-seat sofa)",
                                 "message": "missing: Fabric (one of: linen, velvet, leather, wool)", "kind": "missing"}]

    completed = await http.post("/api/orders/API-1/form", json=form(), headers=auth("customer-service"))
    assert completed.status_code == 200 and completed.json()["problems"] == []
    await wait_for(client, "API-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    view = (await http.get("/api/orders/API-1", headers=auth("warehouse"))).json()
    assert view["status"] == "confirmed" and view["lines"][0]["options"]["fabric"] == "velvet"
    assert [e["kind"] for e in view["timeline"]][:2] == ["received", "status:incomplete"]

    page = (await http.get("/api/orders", params={"status": "confirmed"}, headers=auth("service"))).json()
    assert [o["order_id"] for o in page["items"]] == ["API-1"] and page["next_offset"] is None


async def test_idempotent_create_by_key_or_order_id(http, client, engine):
    headers = {**auth("service"), "Idempotency-Key": "checkout-7781"}
    first = await http.post("/api/orders", json=form(), headers=headers)
    again = await http.post("/api/orders", json=form(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["order_id"] == again.json()["order_id"] and again.json()["duplicate"] is True
    other = await http.post("/api/orders", json=form(), headers={**auth("service"), "Idempotency-Key": "other"})
    assert other.json()["order_id"] != first.json()["order_id"]
    reused = await http.post("/api/orders", json=form(notes="a different order"), headers=headers)
    assert_error(reused, 409, "refused", "already used for order " + first.json()["order_id"])
    by_id = [await http.post("/api/orders", json=form(order_id="API-IDEM"), headers=auth("service"))
             for _ in range(2)]
    assert [r.status_code for r in by_id] == [201, 200]
    # `<= 1` passed with no confirmation sent at all: wait until the order is past its confirmation (both work orders
    # are logged sent, which happens after it), then there must be exactly one.
    await wait_for(client, "API-IDEM", lambda v: len([m for m in messages_of(engine, "API-IDEM", "work_order")
                                                      if m.status == "sent"]) == 2)
    assert [m.status for m in messages_of(engine, "API-IDEM", "order_confirmation")] == ["sent"]


async def test_staff_actions_through_the_lifecycle_and_their_refusals(http, client, engine):
    await http.post("/api/orders", json=form(order_id="API-2"), headers=auth("service"))
    view = await wait_for(client, "API-2", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    due = date.fromisoformat(view.expected_fulfillment_date.isoformat())

    ack = await http.post("/api/orders/API-2/acknowledgements", json={"department": "warehouse"},
                          headers=auth("warehouse"))
    assert ack.status_code == 200 and ack.json()["message"] == "Work order acknowledged by warehouse"
    assert_error(await http.post("/api/orders/API-2/acknowledgements", json={"department": "warehouse"},
                                 headers=auth("accounts")), 403, "forbidden", "cannot acknowledge for warehouse")
    assert_error(await http.post("/api/orders/API-2/acknowledgements", json={"department": "nowhere"},
                                 headers=auth("admin")), 409, "refused", "Unknown department 'nowhere'")

    delay = await http.post("/api/orders/API-2/delays", json={"new_date": str(due + timedelta(days=5)),
                                                              "reason": "Fabric late"}, headers=auth("warehouse"))
    assert delay.json()["status"] == "delayed"
    assert_error(await http.post("/api/orders/API-2/delays", json={"new_date": "2020-01-01", "reason": "x"},
                                 headers=auth("warehouse")), 409, "refused", "is not in the future")

    shipment = {"carrier": "UPS", "tracking_number": "1Z9", "expected_delivery_date": str(due + timedelta(days=8))}
    assert_error(await http.post("/api/orders/API-2/shipments", json=shipment, headers=auth("accounts")),
                 403, "forbidden", "needs one of: warehouse, admin")
    assert (await http.post("/api/orders/API-2/shipments", json=shipment, headers=auth("warehouse"))).status_code == 200
    assert_error(await http.post("/api/orders/API-2/shipments", json=shipment, headers=auth("warehouse")),
                 409, "refused", "already shipped")
    assert_error(await http.post("/api/orders/API-2/cancellation", json={"reason": "x"},
                                 headers=auth("customer-service")), 409, "refused", "can no longer be cancelled")
    await wait_for(client, "API-2", lambda v: v.status is OrderStatus.shipped)
    assert (await http.post("/api/orders/API-2/delivery", headers=auth("warehouse"))).status_code == 200
    await wait_for(client, "API-2", lambda v: bool(messages_of(engine, "API-2", "feedback_request")))
    fb = await http.post("/api/orders/API-2/feedback", json={"rating": 5, "comment": "great"},
                         headers=auth("customer-service"))
    assert fb.status_code == 200


async def test_cancellation_by_customer_service(http, client):
    await http.post("/api/orders", json=form(order_id="API-3"), headers=auth("service"))
    await wait_for(client, "API-3", lambda v: bool(v.work_orders) and v.status.value != "received")
    assert_error(await http.post("/api/orders/API-3/cancellation", json={"reason": "x"}, headers=auth("warehouse")),
                 403, "forbidden")
    ok = await http.post("/api/orders/API-3/cancellation", json={"reason": "Customer request"},
                         headers=auth("customer-service"))
    assert ok.status_code == 200 and "Cancellation accepted" in ok.json()["message"]
    view = await wait_for(client, "API-3", lambda v: v.status is OrderStatus.cancelled)
    assert (await http.get("/api/orders/API-3", headers=auth("service"))).json()["status"] == "cancelled"
    assert view.cancel_reason == "Customer request"


async def test_errors_share_one_shape(http):
    assert_error(await http.get("/api/orders/NOPE", headers=auth("service")), 404, "not_found", "No order 'NOPE'")
    assert_error(await http.post("/api/orders/NOPE/delivery", headers=auth("admin")), 404, "not_found")
    assert_error(await http.get("/api/orders/NOPE"), 401, "unauthorized", "An API token is required")
    assert_error(await http.get("/api/orders", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert_error(await http.post("/api/orders", json=form(), headers=auth("warehouse")), 403, "forbidden")
    bad = assert_error(await http.post("/api/orders", json={"channel": "fax", "lines": [{"quantity": 1}]},
                                       headers=auth("service")), 422, "invalid")
    assert {d["field"] for d in bad["details"]} == {"channel", "lines.0.sku"}
    assert_error(await http.post("/api/orders/X/feedback", json={"rating": 0}, headers=auth("admin")), 422, "invalid",
                 "rating")
    assert_error(await http.get("/api/orders", params={"limit": 0}, headers=auth("admin")), 422, "invalid")
    assert_error(await http.get("/api/nothing-here"), 404, "not_found")


@pytest.mark.parametrize("role, allowed", [
    ("service", {"create", "read"}), ("warehouse", {"read", "ship"}), ("accounts", {"read"}),
    ("manufacturer", {"read"}), ("customer-service", {"create", "read", "cancel"}),
    ("admin", {"create", "read", "ship", "cancel"})])
async def test_role_matrix(http, role, allowed):
    """Each role reaches exactly its routes: a forbidden call is 403; an allowed one gets past auth (not 401/403)."""
    calls = {
        "create": http.post("/api/orders", json={"channel": "fax"}, headers=auth(role)),
        "read": http.get("/api/orders/NOPE", headers=auth(role)),
        "ship": http.post("/api/orders/NOPE/shipments", json={}, headers=auth(role)),
        "cancel": http.post("/api/orders/NOPE/cancellation", json={"reason": "x"}, headers=auth(role)),
    }
    for name, call in calls.items():
        status = (await call).status_code
        assert (status == 403) == (name not in allowed), f"{role} {name}: {status}"
        if name in allowed:  # past auth and into the handler: the malformed body or the unknown order answers
            assert status in (404, 422), f"{role} {name}: {status}"


# A manufacturer acknowledging (or delaying, or reporting ready) for another department: tests/test_actors.py


async def test_shipments_in_parts_through_the_api(http, client, engine):
    """`lines` on a shipment, numbered shipments, delivery and corrections by number, the refusals as 409s."""
    cushions = {"sku": "CUSHION", "quantity": 4, "options": {"color": "sand"}}
    await http.post("/api/orders", json=form(order_id="API-PARTS", lines=[form()["lines"][0], cushions]),
                    headers=auth("service"))
    await wait_for(client, "API-PARTS", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    parcel = {"carrier": "UPS", "tracking_number": "1Z1", "expected_delivery_date": str(date.today() + timedelta(days=3))}
    first = await http.post("/api/orders/API-PARTS/shipments", headers=auth("warehouse"),
                            json={**parcel, "lines": [{"sku": "CUSHION", "quantity": 2}]})
    assert first.status_code == 200 and first.json()["status"] == "partially_shipped", first.text
    assert_error(await http.post("/api/orders/API-PARTS/shipments", headers=auth("warehouse"),
                                 json={**parcel, "lines": [{"sku": "CUSHION", "quantity": 3}]}),
                 409, "refused", "Cannot ship 3 x CUSHION: 4 ordered, 2 not yet shipped")
    assert_error(await http.post("/api/orders/API-PARTS/shipments", headers=auth("warehouse"),
                                 json={**parcel, "lines": [{"sku": "CUSHION", "quantity": 0}]}),
                 422, "invalid")
    rest = await http.post("/api/orders/API-PARTS/shipments", headers=auth("warehouse"),
                           json={**parcel, "tracking_number": "1Z2"})
    assert rest.status_code == 200 and rest.json()["status"] == "shipped", rest.text
    await wait_for(client, "API-PARTS", lambda v: len(messages_of(engine, "API-PARTS", "shipping_notice")) == 2)
    fixed = await http.post("/api/orders/API-PARTS/shipment-corrections", headers=auth("warehouse"),
                            json={"shipment": 1, "tracking_number": "1Z1-NEW"})
    assert fixed.status_code == 200, fixed.text
    assert_error(await http.post("/api/orders/API-PARTS/delivery", headers=auth("warehouse")), 409, "refused",
                 "2 shipments on their way")
    delivered = await http.post("/api/orders/API-PARTS/delivery", json={"shipment": 2}, headers=auth("warehouse"))
    assert delivered.json()["status"] == "partially_delivered", delivered.text
    view = (await http.get("/api/orders/API-PARTS", headers=auth("warehouse"))).json()
    assert [(s["number"], s["tracking_number"], s["lines"][0]["sku"]) for s in view["shipments"]] == [
        (1, "1Z1-NEW", "CUSHION"), (2, "1Z2", "SOFA-3S")]
