"""Issue 28 §3 in a real headless Chromium: the warehouse acknowledges several work orders from its queue in one go,
prints the pick list of what is ready to ship and a shipment's packing slip (print stylesheet, one click); accounts
receivable exports the order list as filtered to CSV, with cells that would start a formula escaped."""

from __future__ import annotations

import csv
import io

import httpx

from models.order import OrderStatus, Readiness, Shipment
from starter import orders
from starter.console_printouts import csv_cell
from store import staff_accounts

from .conftest import distributed, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_incomplete import PASSWORD, signed_in_as
from .test_browser_queues import reload_until
from .test_lifecycle import later
from .test_parts import BOOKCASE, SOFA
from .test_web_pages import staff_session


def test_a_cell_that_would_start_a_formula_is_escaped():
    assert [csv_cell(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "Ada", "", None, "a=b")] == [
        "'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "Ada", "", "", "a=b"]


async def test_the_warehouse_acknowledges_several_and_prints_its_papers(chromium, web, client, settings, engine):
    staff_accounts.add(engine, "Maria Santos", "warehouse", PASSWORD)
    ids = [(await orders.submit_order(client, settings, sofa_form(lines=[SOFA, BOOKCASE]))).order_id]
    ids += [(await orders.submit_order(client, settings, sofa_form())).order_id for _ in range(2)]
    views = [await distributed(client, engine, order_id) for order_id in ids]

    lead = await signed_in_as(chromium, web, "Maria Santos")
    queue = "#queue-wo-warehouse"
    await reload_until(lead, f"{queue}[data-count='3']")
    for order_id in ids[:2]:
        await lead.check(f"#ack-warehouse-{order_id}")
    await lead.click("#bulk-wo-warehouse button")
    await lead.wait_for_selector("#action-ok")
    told = await lead.locator("#action-ok").inner_text()
    assert told == f"Acknowledged 2 warehouse work order(s): {ids[0]}, {ids[1]}", told
    for order_id in ids[:2]:
        view = await wait_for(client, order_id, lambda v: "warehouse" in v.acknowledged)
        assert "Work order acknowledged by warehouse (warehouse (Maria Santos))" in [e.text for e in view.timeline]
    assert "warehouse" not in (await orders.order_status(client, ids[2])).acknowledged
    await reload_until(lead, f"{queue}[data-count='1']")

    # the pick list: the two sofas (warehouse stock) and the first order's sofa; its bookcase once handed over
    await lead.click("#pick-list-link")
    await lead.wait_for_selector("#pick-list")
    picked = {order_id: await lead.locator(f"#picks tr[data-order='{order_id}']").all_inner_texts() for order_id in ids}
    assert all(len(rows) == 1 and "SOFA-3S" in rows[0] for rows in picked.values()), picked
    assert "BOOKCASE-MTM" not in await lead.locator("#picks").inner_text(), "not handed over yet"
    await orders.act(client, ids[0], "ready", Readiness(department="nordwood"))
    await wait_for(client, ids[0], lambda v: v.parts[1].ready_at is not None)
    await reload_until(lead, f"#picks tr[data-order='{ids[0]}']:has-text('BOOKCASE-MTM')")
    assert "Ada Lovelace, Springfield" in await lead.locator(f"#picks tr[data-order='{ids[0]}']").first.inner_text()
    await shot(lead, "console-pick-list")
    await lead.emulate_media(media="print")
    assert not await lead.locator("header").is_visible() and not await lead.locator("#print").is_visible()
    await lead.emulate_media(media="screen")
    await lead.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    await lead.click("#print")
    assert await lead.evaluate("document.body.dataset.printed") == "yes", "one click prints"

    # the sofa ships first: its packing slip lists the sofa and says the bookcase is still to come, with its date
    first = views[0]
    await orders.act(client, ids[0], "ship", Shipment(carrier="UPS", tracking_number="1ZSLIP",
                                                       expected_delivery_date=later(first, 5),
                                                       lines=[{"sku": "SOFA-3S"}]))
    await wait_for(client, ids[0], lambda v: v.status is OrderStatus.partially_shipped)
    await lead.goto(web + f"/staff/orders/{ids[0]}")
    await lead.click("#packing-slip-1")
    await lead.wait_for_selector("#packing-slip")
    assert await lead.locator("#slip-order").inner_text() == ids[0]
    ship_to = await lead.locator("#ship-to").inner_text()
    assert "Ada Lovelace" in ship_to and "12 Analytical Row" in ship_to
    parcel = await lead.locator("#parcel").inner_text()
    assert "SOFA-3S" in parcel and "BOOKCASE-MTM" not in parcel and "velvet" in parcel
    to_come = await lead.locator("#to-come").inner_text()
    assert "BOOKCASE-MTM" in to_come and str(first.parts[1].expected_fulfillment_date) in to_come
    assert "UPS 1ZSLIP" in await lead.locator("#slip-shipment").inner_text()
    await shot(lead, "console-packing-slip")


async def test_accounts_exports_the_filtered_list_as_csv(web, client, settings, engine):
    nasty = (await orders.submit_order(client, settings, sofa_form(customer={
        "name": "=HYPERLINK(\"http://evil.example\")", "email": "eve@example.com", "phone": "+1 555 0100"}))).order_id
    plain = (await orders.submit_order(client, settings, sofa_form())).order_id
    for order_id in (nasty, plain):
        await distributed(client, engine, order_id)
    accounts = await staff_session(web, "token-accounts")
    home = (await accounts.get("/staff?status=confirmed")).text
    assert 'id="export-csv"' in home
    answer = await accounts.get("/staff/orders.csv", params={"status": "confirmed"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="orders-confirmed.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["order_id"] for r in rows} == {nasty, plain}
    [evil] = [r for r in rows if r["order_id"] == nasty]
    assert evil["customer_name"] == "'=HYPERLINK(\"http://evil.example\")" and evil["status"] == "confirmed"
    found = list(csv.DictReader(io.StringIO((await accounts.get("/staff/orders.csv", params={"q": "eve@example.com"})).text)))
    assert [r["order_id"] for r in found] == [nasty], "as searched"
    await accounts.aclose()

    warehouse = await staff_session(web, "token-warehouse")
    assert (await warehouse.get("/staff/orders.csv")).status_code == 403
    assert 'id="export-csv"' not in (await warehouse.get("/staff")).text
    await warehouse.aclose()
    async with httpx.AsyncClient(base_url=web) as anonymous:
        assert (await anonymous.get("/staff/orders.csv")).status_code == 401


async def test_who_may_print_export_and_invoice(web):
    """The console-only permissions (`starter.actions.CONSOLE_ONLY`) against every staff role's token."""
    from starter.actions import CONSOLE_ONLY, STAFF_ROLES
    for role in STAFF_ROLES:
        http = await staff_session(web, f"token-{role}")
        for permission, path in (("print", "/staff/pick-list"), ("export", "/staff/orders.csv"),
                                 ("print", "/staff/orders/NOPE/shipments/1/packing-slip"),
                                 ("invoice", "/staff/orders/NOPE/invoice")):
            answer = await http.get(path)
            allowed = role in CONSOLE_ONLY[permission]
            assert answer.status_code == ((404 if "NOPE" in path else 200) if allowed else 403), (role, path)
        await http.aclose()
