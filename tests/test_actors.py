"""Every action carries who takes it, and each actor stays within its reach: every role x the department-bound
actions x its own part and another's, through the HTTP API against the real server.

The rule in `workflows/rules.py` decides (the validator and the handler ask it): a manufacturer acknowledges,
delays and reports ready only its own part — "no part" from a manufacturer means its own; the warehouse ships
only what is at the warehouse (a manufacturer's part once reported ready), unless an admin ships it anyway with a
reason; refused actions change nothing, and the timeline names who did what."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from models.order import OrderStatus
from starter import orders
from tests.conftest import sofa_form, wait_for

BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin", "other-maker")


async def two_part_order(client, settings, order_id: str):
    await orders.submit_order(client, settings, sofa_form(order_id=order_id, lines=[
        sofa_form().lines[0].model_dump(), BOOKCASE]))
    return await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and len(v.work_orders) == 3)


async def post(web: str, role: str, order_id: str, path: str, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        return await http.post(f"/api/orders/{order_id}/{path}", json=body,
                               headers={"Authorization": f"Bearer token-{role}"})


def expected_acknowledge(role: str, department: str) -> int:
    if role == "other-maker":
        return 404  # not its order: as if there were none
    if role in ("service", "customer-service"):
        return 403  # not a role that acknowledges
    mine = {"warehouse": "warehouse", "accounts": "accounts-receivable", "manufacturer": "nordwood"}.get(role)
    return 200 if role == "admin" or mine == department else 403


def expected_delay(role: str, department: str | None) -> int:
    if role == "other-maker":
        return 404
    if role not in ("warehouse", "manufacturer", "admin"):
        return 403
    if role == "manufacturer":
        return 200 if department in (None, "nordwood") else 403
    return 200


def expected_ready(role: str, department: str) -> int:
    if role == "other-maker":
        return 404
    if role not in ("warehouse", "manufacturer", "admin"):
        return 403
    if role == "manufacturer" and department != "nordwood":
        return 403
    return 200 if department == "nordwood" else 409  # the warehouse's part is not a manufacturer's


@pytest.mark.parametrize("department", ["warehouse", "accounts-receivable", "nordwood"])
async def test_acknowledge_every_role_for_each_department(web, client, settings, department):
    order_id = f"ACT-ACK-{department[:4].upper()}"
    before = await two_part_order(client, settings, order_id)
    allowed = []
    for role in ROLES:
        want = expected_acknowledge(role, department)
        if want == 200:
            allowed.append(role)
            continue
        answer = (await post(web, role, order_id, "acknowledgements", {"department": department}))
        assert answer.status_code == want, (role, answer.text)
    view = await orders.order_status(client, order_id)
    assert view.acknowledged == {} and len(view.timeline) == len(before.timeline), "a refusal changes nothing"
    first = (await post(web, allowed[0], order_id, "acknowledgements", {"department": department}))
    assert first.status_code == 200, first.text
    view = await orders.order_status(client, order_id)
    assert list(view.acknowledged) == [department]
    [event] = [e for e in view.timeline if e.kind == "acknowledged"]
    assert event.data["by"].startswith(allowed[0])  # who did it


@pytest.mark.parametrize("department", [None, "warehouse", "nordwood"], ids=["every-part", "warehouse", "nordwood"])
async def test_delay_every_role_for_each_part(web, client, settings, department):
    order_id = f"ACT-DELAY-{(department or 'all')[:4].upper()}"
    before = await two_part_order(client, settings, order_id)
    dates = {p.department: p.expected_fulfillment_date for p in before.parts}
    new_date = (max(dates.values()) + timedelta(days=10)).isoformat()
    body = {"new_date": new_date, "reason": "Supplier late"} | ({"department": department} if department else {})
    for role in ROLES:
        want = expected_delay(role, department)
        if want != 200:
            answer = (await post(web, role, order_id, "delays", body))
            assert answer.status_code == want, (role, answer.text)
    view = await orders.order_status(client, order_id)
    assert {p.department: p.expected_fulfillment_date for p in view.parts} == dates, "a refusal moves nothing"
    # a manufacturer leaving the part empty (as the console invites) delays only its own
    answer = (await post(web, "manufacturer", order_id, "delays", body))
    assert answer.status_code == expected_delay("manufacturer", department), answer.text
    view = await orders.order_status(client, order_id)
    moved = {p.department for p in view.parts if p.expected_fulfillment_date != dates[p.department]}
    assert moved == ({"nordwood"} if department in (None, "nordwood") else set())
    if moved:
        [delay] = [e for e in view.timeline if e.kind == "status:delayed"]
        assert "manufacturer nordwood" in delay.text and delay.data["by"] == "manufacturer nordwood (role token)"
        nordwood = view.part_for("nordwood")
        assert nordwood.handover_date < nordwood.expected_fulfillment_date  # the hand-over moved with the date
        assert nordwood.handover_date > before.part_for("nordwood").handover_date


@pytest.mark.parametrize("department", ["warehouse", "nordwood"])
async def test_ready_every_role_for_each_part(web, client, settings, department):
    order_id = f"ACT-READY-{department[:4].upper()}"
    await two_part_order(client, settings, order_id)
    for role in ROLES:
        want = expected_ready(role, department)
        if want != 200:
            answer = (await post(web, role, order_id, "readiness", {"department": department}))
            assert answer.status_code == want, (role, answer.text)
    assert (await orders.order_status(client, order_id)).part_for("nordwood").ready_at is None
    if department == "nordwood":
        assert (await post(web, "manufacturer", order_id, "readiness", {"department": "nordwood"})).status_code == 200
        assert (await orders.order_status(client, order_id)).part_for("nordwood").ready_at is not None


async def test_the_warehouse_ships_a_makers_part_only_once_it_is_handed_over(web, client, settings, engine):
    await two_part_order(client, settings, "ACT-SHIP")
    parcel = {"carrier": "UPS", "tracking_number": "1Z", "expected_delivery_date": str(date.today() + timedelta(5))}
    refused = (await post(web, "warehouse", "ACT-SHIP", "shipments", {**parcel, "lines": ["BOOKCASE-MTM"]}))
    assert refused.status_code == 409 and "has not been handed over to the warehouse by nordwood" in refused.text
    assert (await post(web, "warehouse", "ACT-SHIP", "shipments", {**parcel, "lines": ["BOOKCASE-MTM"],
                                                             "ready_override": "urgent"})).status_code == 403
    assert (await post(web, "warehouse", "ACT-SHIP", "shipments", {**parcel, "lines": ["SOFA-3S"]})).status_code == 200
    view = await orders.order_status(client, "ACT-SHIP")
    assert len(view.shipments) == 1
    anyway = (await post(web, "admin", "ACT-SHIP", "shipments", {**parcel, "tracking_number": "1Z2", "lines": [
        "BOOKCASE-MTM"], "ready_override": "The maker delivered it straight to the dock"}))
    assert anyway.status_code == 200, anyway.text
    view = await orders.order_status(client, "ACT-SHIP")
    [override] = [e for e in view.timeline if e.kind == "shipped_before_handover"]
    assert "straight to the dock" in override.text and override.data["by"] == "admin (role token)"
