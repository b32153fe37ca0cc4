"""The customer calls: staff correct a confirmed order (`amend_order`), against a real Temporal dev server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.amendments import Amendment
from models.order import Acknowledgement, Cancellation, OrderStatus, Shipment
from starter import orders
from starter.orders import OrderError
from tests.conftest import distributed, messages_of, sofa_form, wait_for

pytestmark = pytest.mark.usefixtures("worker")

SOFA = {"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}
BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "walnut", "height_cm": 200, "width_cm": 90}}


async def refused(client, settings, order_id: str, amendment: Amendment) -> OrderError:
    with pytest.raises(OrderError) as e:
        await orders.act(client, order_id, "amend", amendment)
    return e.value


async def test_the_wrong_fabric_is_corrected_and_the_warehouse_acknowledges_again(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="FIX-FABRIC", lines=[SOFA]))
    await distributed(client, engine, "FIX-FABRIC")
    await orders.act(client, "FIX-FABRIC", "acknowledge", Acknowledgement(department="warehouse"))
    await orders.act(client, "FIX-FABRIC", "acknowledge", Acknowledgement(department="accounts-receivable"))

    linen = {**SOFA, "options": {"fabric": "linen", "color": "olive"}}
    result = await orders.act(client, "FIX-FABRIC", "amend", Amendment(form=sofa_form(lines=[linen]),
                                                                       reason="The customer chose linen", by="Rosa"))
    assert result.message.startswith("Order corrected (revision 2): 1 change(s)")
    [update] = messages_of(engine, "FIX-FABRIC", "order_updated")
    assert update.key == "FIX-FABRIC/order_updated/customer/2"
    assert "- Three-seat sofa: Fabric: linen (was velvet)" in update.text
    assert "Why: The customer chose linen" in update.text and "help@orderly.example" in update.text
    [change] = messages_of(engine, "FIX-FABRIC", "work_order_change")
    assert change.recipient == "warehouse@orderly.example" and change.subject == "Work order FIX-FABRIC corrected"
    assert "Fabric: linen (was velvet)" in change.text
    view = await orders.order_status(client, "FIX-FABRIC")
    assert "warehouse" not in view.acknowledged and "accounts-receivable" in view.acknowledged  # price unchanged
    assert view.lines[0].options["fabric"] == "linen"
    [event] = [e for e in view.timeline if e.kind == "amended"]
    assert "Order corrected by Rosa (revision 2)" in event.text and "Fabric linen (was velvet)" in event.text

    # a second correction: revision 3, each sent once; the quantity changes the total, so accounts hears too
    two = {**linen, "quantity": 2}
    await orders.act(client, "FIX-FABRIC", "amend", Amendment(form=sofa_form(lines=[two])))
    updates = sorted(m.key for m in messages_of(engine, "FIX-FABRIC", "order_updated"))
    assert updates == ["FIX-FABRIC/order_updated/customer/2", "FIX-FABRIC/order_updated/customer/3"]
    third = next(m for m in messages_of(engine, "FIX-FABRIC", "order_updated") if m.key.endswith("/3"))
    assert "Quantity: 2 (was 1)" in third.text and "Total: 3,780.00 USD (was 1,890.00 USD)" in third.text
    assert {m.recipient for m in messages_of(engine, "FIX-FABRIC", "work_order_change")
            if m.key.endswith("amended-3")} == {"warehouse@orderly.example", "accounts@orderly.example"}
    assert (await orders.order_status(client, "FIX-FABRIC")).total == 2 * view.lines[0].unit_price

    # the same form again changes nothing, and is refused
    e = await refused(client, settings, "FIX-FABRIC", Amendment(form=sofa_form(lines=[two])))
    assert e.kind == "refused" and "Nothing to correct" in e.message


async def test_a_bookcase_added_brings_nordwood_in_and_removed_again_cancels_its_work_order(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="FIX-ADD", lines=[SOFA]))
    view = await distributed(client, engine, "FIX-ADD")
    before = view.expected_fulfillment_date
    await orders.act(client, "FIX-ADD", "amend", Amendment(form=sofa_form(lines=[SOFA, BOOKCASE]), reason="Added"))
    view = await orders.order_status(client, "FIX-ADD")
    assert view.work_orders == ["warehouse", "accounts-receivable", "nordwood"]
    assert view.expected_fulfillment_date > before and len(view.parts) == 2
    [work_order] = [m for m in messages_of(engine, "FIX-ADD", "work_order") if m.recipient == "orders@nordwood.example"]
    assert "Made-to-measure bookcase" in work_order.text and "Hand it over to the warehouse by" in work_order.text
    [update] = messages_of(engine, "FIX-ADD", "order_updated")
    assert "- Added: 1 x Made-to-measure bookcase" in update.text

    await orders.act(client, "FIX-ADD", "amend", Amendment(form=sofa_form(lines=[SOFA]), reason="Not the bookcase"))
    [cancelled] = messages_of(engine, "FIX-ADD", "work_order_cancelled")
    assert cancelled.recipient == "orders@nordwood.example"
    view = await orders.order_status(client, "FIX-ADD")
    assert view.work_orders == ["warehouse", "accounts-receivable"] and len(view.parts) == 1
    assert view.status is OrderStatus.confirmed


async def test_after_part_shipped_only_the_rest_changes_and_bad_corrections_change_nothing(client, settings, engine):
    cushions = {"sku": "CUSHION", "quantity": 4, "options": {"color": "sand"}}
    await orders.submit_order(client, settings, sofa_form(order_id="FIX-PART", lines=[SOFA, cushions]))
    await distributed(client, engine, "FIX-PART")
    await orders.act(client, "FIX-PART", "ship", Shipment(carrier="UPS", tracking_number="1ZC", lines=["CUSHION:2"],
                                                          expected_delivery_date=date.today() + timedelta(days=3)))
    before = await wait_for(client, "FIX-PART", lambda v: bool(messages_of(engine, "FIX-PART", "shipping_notice")))

    # a shipped line changed, a missing option, no lines: refused with the reason, nothing changed
    e = await refused(client, settings, "FIX-PART", Amendment(form=sofa_form(lines=[SOFA, {**cushions, "quantity": 1}])))
    assert e.kind == "refused" and "2 have already shipped, so its quantity cannot be less than 2" in e.message
    e = await refused(client, settings, "FIX-PART", Amendment(form=sofa_form(
        lines=[SOFA, {**cushions, "options": {"color": "navy"}}])))
    assert "has already shipped: its options cannot be changed" in e.message
    e = await refused(client, settings, "FIX-PART", Amendment(form=sofa_form(
        lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}, cushions])))
    assert "lines[0].options.fabric" in e.message and "nothing changed" in e.message
    e = await refused(client, settings, "FIX-PART", Amendment(form=sofa_form(lines=[])))
    assert "a cancellation" in e.message
    view = await orders.order_status(client, "FIX-PART")
    assert view.lines == before.lines and not messages_of(engine, "FIX-PART", "order_updated")

    # a new delivery address applies to what has not shipped: the warehouse is told, the parcel that left is not redone
    moved = sofa_form(lines=[SOFA, cushions])
    moved.shipping_address.line1 = "7 Babbage Lane"
    result = await orders.act(client, "FIX-PART", "amend", Amendment(form=moved, reason="The customer moved"))
    assert "revision 2" in result.message
    [change] = messages_of(engine, "FIX-PART", "work_order_change")
    assert change.recipient == "warehouse@orderly.example" and "7 Babbage Lane" in change.text
    view = await orders.order_status(client, "FIX-PART")
    assert view.shipping_address.line1 == "7 Babbage Lane" and view.status is OrderStatus.partially_shipped
    assert [(r.sku, r.quantity) for r in view.shipments[0].lines] == [("CUSHION", 2)]
    assert len(messages_of(engine, "FIX-PART", "shipping_notice")) == 1

    await orders.submit_order(client, settings, sofa_form(order_id="FIX-CLOSED", lines=[SOFA]))
    await distributed(client, engine, "FIX-CLOSED")
    await orders.act(client, "FIX-CLOSED", "cancel", Cancellation(reason="Changed plans"))
    await wait_for(client, "FIX-CLOSED", lambda v: v.status is OrderStatus.cancelled)
    e = await refused(client, settings, "FIX-CLOSED", Amendment(form=sofa_form(lines=[{**SOFA, "quantity": 2}])))
    assert "Cannot correct order FIX-CLOSED: it is cancelled" in e.message


async def test_amend_from_the_cli_and_the_api(client, settings, engine, tmp_path, web):
    import json

    import httpx

    from .test_api import auth
    from .test_bad_input import cli

    await orders.submit_order(client, settings, sofa_form(order_id="FIX-CLI", lines=[SOFA]))
    await distributed(client, engine, "FIX-CLI")
    path = tmp_path / "corrected.json"
    path.write_text(sofa_form(lines=[{**SOFA, "quantity": 2}]).model_dump_json())
    code, out, err = await cli(client, settings, "amend", "FIX-CLI", str(path), "--reason", "Two, not one", "--json")
    assert code == 0, err
    assert json.loads(out)["message"].startswith("Order corrected (revision 2)")
    path.write_text(sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 2, "options": {"color": "olive"}}]).model_dump_json())
    code, out, err = await cli(client, settings, "amend", "FIX-CLI", str(path), "--reason", "x")
    assert code == 1 and "lines[0].options.fabric" in err

    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        body = {"form": sofa_form(lines=[{**SOFA, "quantity": 3}]).model_dump(mode="json", exclude_none=True),
                "reason": "Three after all"}
        answer = await http.post("/api/orders/FIX-CLI/amendments", json=body, headers=auth("customer-service"))
        assert answer.status_code == 200 and "revision 3" in answer.json()["message"], answer.text
        forbidden = await http.post("/api/orders/FIX-CLI/amendments", json=body, headers=auth("warehouse"))
        assert forbidden.status_code == 403
        again = await http.post("/api/orders/FIX-CLI/amendments", json=body, headers=auth("customer-service"))
        assert again.status_code == 409 and "Nothing to correct" in again.json()["error"]["message"]
    assert (await orders.order_status(client, "FIX-CLI")).lines[0].quantity == 3


async def test_correct_this_order_in_the_console(client, settings, engine, web):
    """The console's "Correct this order": the phone-order form filled in as the order stands; a missing option comes
    back next to its field, the unchanged form is refused, the corrected one is sent with its reason."""
    from html import unescape

    from .test_web_pages import hidden, staff_session

    await orders.submit_order(client, settings, sofa_form(order_id="FIX-CON", lines=[SOFA]))
    await distributed(client, engine, "FIX-CON")
    cs = await staff_session(web, "token-customer-service")
    order_page = unescape((await cs.get("/staff/orders/FIX-CON")).text)
    assert 'href="/staff/orders/FIX-CON/correct"' in order_page
    page = (await cs.get("/staff/orders/FIX-CON/correct")).text
    assert 'name="line-0-quantity"' in page and 'value="Ada Lovelace"' in page and "Send the correction" in page
    assert '<option value="velvet" selected' in page
    base = {"csrf": hidden(page, "csrf"), "customer.name": "Ada Lovelace", "customer.email": "ada@example.com",
            "customer.phone": "+1 555 0199", "shipping_address.line1": "12 Analytical Row",
            "shipping_address.city": "Springfield", "shipping_address.region": "IL",
            "shipping_address.postal_code": "62704", "shipping_address.country": "US",
            "notes": "Please call before delivery", "line-0-sku": "SOFA-3S", "line-0-quantity": "1",
            "line-0-color": "olive"}
    unchanged = await cs.post("/staff/orders/FIX-CON/correct", data={**base, "line-0-fabric": "velvet"})
    assert unchanged.status_code == 409 and "Nothing to correct" in unescape(unchanged.text)
    missing = await cs.post("/staff/orders/FIX-CON/correct", data=base)
    assert missing.status_code == 422 and "Fabric" in unescape(missing.text)
    sent = await cs.post("/staff/orders/FIX-CON/correct", data={**base, "line-0-fabric": "linen",
                                                                 "reason": "Linen, as the customer asked"},
                         follow_redirects=True)
    assert "Order corrected (revision 2)" in unescape(sent.text), sent.text[-2000:]
    [update] = messages_of(engine, "FIX-CON", "order_updated")
    assert "Fabric: linen (was velvet)" in update.text and "Why: Linen, as the customer asked" in update.text
    view = await orders.order_status(client, "FIX-CON")
    assert "Order corrected by customer-service (revision 2)" in [e.text for e in view.timeline if e.kind == "amended"][0]
    await cs.aclose()
