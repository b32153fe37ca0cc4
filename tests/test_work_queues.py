"""The staff console's work queues tell the truth, search finds orders the same in the API and the console, the
feedback call is a staff action (no answer, one more try, then closed), and customer emails can be answered."""

from __future__ import annotations

import asyncio
import os
import re
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest

from models.feedback_call import CallOutcome
from models.order import Acknowledgement, Cancellation, OrderStatus, Shipment
from starter import orders
from starter.orders import OrderError

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_lifecycle import later
from .test_web_pages import staff_session

HIGH_VALUE = [{"sku": "SOFA-3S", "quantity": 2, "options": {"fabric": "wool", "color": "navy"}}]  # 3,780 USD: a call


def queue_of(home: str, key: str) -> str:
    return home.split(f'id="queue-{key}"')[1].split("</section>")[0]


def count_of(home: str, key: str) -> int:
    return int(re.search(rf'id="queue-{key}" data-count="(\d+)"', home).group(1))


async def home_until(http: httpx.AsyncClient, predicate, path: str = "/staff", timeout: float = 30) -> str:
    """The console's home page once `predicate(html)` holds (the read model is written by the workflow's activities,
    a moment after the workflow's state)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        html = (await http.get(path)).text
        if predicate(html):
            return html
        assert asyncio.get_running_loop().time() < deadline, html[:3000]
        await asyncio.sleep(0.2)


async def test_a_shipped_order_with_unacknowledged_work_orders_stays_in_those_queues(web, client, settings, engine):
    view = await distributed(client, engine, (await orders.submit_order(client, settings, sofa_form(
        lines=[{"sku": "BOOKCASE-MTM", "quantity": 1,
                "options": {"wood": "ash", "height_cm": 180, "width_cm": 80}}]))).order_id)
    order_id = view.order_id
    await orders.act(client, order_id, "acknowledge", Acknowledgement(department="warehouse"))
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z1",
                                                         expected_delivery_date=later(view, 20),
                                                         ready_override="Collected from the maker by the courier"))
    shipped = await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)
    waiting = [d for d in shipped.work_orders if d not in shipped.acknowledged]
    assert waiting == ["accounts-receivable", "nordwood"]

    admin = await staff_session(web, "token-admin")
    page = (await admin.get(f"/staff/orders/{order_id}")).text
    work_orders = page.split('id="work-orders">')[1].split("</td>")[0]
    assert [d for d in waiting if f"{d}: <strong>waiting</strong>" in work_orders] == waiting  # the order page
    home = await home_until(admin, lambda h: 'id="queue-wo-nordwood"' in h and order_id in queue_of(h, "wo-nordwood")
                            and "shipped" in h.split(f'data-order="{order_id}"')[1][:400])
    assert "Every work order has been acknowledged" not in home
    for department in waiting:
        assert order_id in queue_of(home, f"wo-{department}"), department
    assert 'id="queue-wo-warehouse"' not in home or order_id not in queue_of(home, "wo-warehouse")

    accounts = await staff_session(web, "token-accounts")
    theirs = (await accounts.get("/staff")).text
    assert order_id in queue_of(theirs, "wo-accounts-receivable") and count_of(theirs, "wo-accounts-receivable") >= 1
    assert 'id="queue-calls"' not in theirs, "accounts receivable has no calls to make"
    warehouse = await staff_session(web, "token-warehouse")
    mine = (await warehouse.get("/staff")).text
    assert order_id not in queue_of(mine, "wo-warehouse")
    assert "Every warehouse work order has been acknowledged." in queue_of(mine, "wo-warehouse") or \
        count_of(mine, "wo-warehouse") > 0
    for http in (admin, accounts, warehouse):
        await http.aclose()


async def test_search_by_number_name_email_phone_and_postcode_in_the_api_and_the_console(web, client, settings,
                                                                                         engine):
    found_form = sofa_form(customer={"name": "Katherine Johnson", "email": "k.johnson@nasa.example",
                                     "phone": "+1 (757) 555-0142"},
                           shipping_address={"line1": "1 Langley Blvd", "city": "Hampton", "region": "VA",
                                             "postal_code": "23666", "country": "US"})
    found = (await orders.submit_order(client, settings, found_form)).order_id
    other = (await orders.submit_order(client, settings, sofa_form())).order_id
    for order_id in (found, other):
        await distributed(client, engine, order_id)

    api = httpx.AsyncClient(base_url=web, headers={"Authorization": "Bearer token-customer-service"})
    for q in ("k.johnson@nasa.example", "K.JOHNSON@", "katherine", "Johnson", "katherine johnson",
              "757-555-0142", "7575550142", "23666", found.lower()):
        page = (await api.get("/api/orders", params={"q": q})).json()
        assert [item["order_id"] for item in page["items"]] == [found], q
        assert set(page) == {"items", "limit", "offset", "next_offset", "next"}
    assert (await api.get("/api/orders", params={"q": "nobody@nowhere.example"})).json()["items"] == []
    assert (await api.get("/api/orders", params={"q": "johnson", "status": "shipped"})).json()["items"] == []
    shared = os.path.commonprefix([found, other])  # the order numbers' common start ("ORD-"): both are found
    assert len(shared) >= 2
    both = (await api.get("/api/orders", params={"q": shared, "limit": 1})).json()
    assert len(both["items"]) == 1 and both["next_offset"] == 1, "search results are paged like the list"
    rest = (await api.get("/api/orders", params={"q": shared, "limit": 1, "offset": 1})).json()
    assert {both["items"][0]["order_id"], rest["items"][0]["order_id"]} == {found, other}
    await api.aclose()

    console = await staff_session(web, "token-customer-service")
    html = (await console.get("/staff", params={"q": "k.johnson@nasa.example"})).text
    results = html.split('id="orders"')[1].split("</table>")[0]
    assert found in results and other not in results
    assert "Katherine Johnson" in results
    none = (await console.get("/staff", params={"q": "zzz-nothing"})).text
    assert 'id="no-orders"' in none and "found for" in none
    await console.aclose()


async def test_the_feedback_call_no_answer_then_a_rating_and_its_refusals(client, settings, engine, worker):
    view = await distributed(client, engine, (await orders.submit_order(
        client, settings, sofa_form(lines=HIGH_VALUE))).order_id)
    order_id = view.order_id
    with pytest.raises(OrderError, match="has no feedback call to make"):
        await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="no_answer"))
    await orders.act(client, order_id, "ship", Shipment(carrier="DHL", tracking_number="JD1",
                                                         expected_delivery_date=later(view, 15)))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, order_id, "deliver")
    view = await wait_for(client, order_id, lambda v: v.feedback_call is not None
                          and bool(messages_of(engine, order_id, "feedback_call")))
    assert "record_call_outcome" in await orders.available_actions(client, order_id)
    [task] = messages_of(engine, order_id, "feedback_call")
    assert f"orderly call-outcome {order_id}" in task.text and "no answer" in task.text

    with pytest.raises(OrderError, match="record their rating"):
        await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="answered"))
    with pytest.raises(OrderError, match="has no rating"):
        await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="no_answer", rating=3))
    first = await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="no_answer",
                                                                           comment="voicemail"))
    assert "due again the next business day" in first.message and first.status is OrderStatus.delivered
    done = await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="answered", rating=5,
                                                                          comment="Lovely"))
    assert "feedback is recorded" in done.message
    final = await wait_for(client, order_id, lambda v: v.status is OrderStatus.completed)
    assert final.feedback.rating == 5 and final.feedback.comment == "Lovely"
    assert [t.outcome for t in final.feedback_call.tries] == ["no_answer", "answered"]
    assert any(e.kind == "call_no_answer" and "(voicemail)" in e.text for e in final.timeline)
    assert any(e.text == "Order completed with the customer's feedback" for e in final.timeline)
    assert not messages_of(engine, order_id, "feedback_request"), "the call replaces the survey"


async def test_two_calls_without_an_answer_close_the_order_without_feedback(client, settings, engine, worker):
    view = await distributed(client, engine, (await orders.submit_order(
        client, settings, sofa_form(lines=HIGH_VALUE))).order_id)
    order_id = view.order_id
    await orders.act(client, order_id, "ship", Shipment(carrier="DHL", tracking_number="JD2",
                                                         expected_delivery_date=later(view, 15)))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: v.feedback_call is not None)
    await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="no_answer"))
    closed = await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="no_answer"))
    assert "closed without feedback" in closed.message
    final = await wait_for(client, order_id, lambda v: v.status is OrderStatus.completed)
    assert final.feedback is None and final.feedback_call.closed
    assert any(e.text == "Order completed without feedback" for e in final.timeline)
    with pytest.raises(OrderError, match="completed and closed"):
        await orders.act(client, order_id, "call_outcome", CallOutcome(outcome="answered", rating=4))


def headers_of(outbox: Path, order_id: str, name: str):
    [path] = (outbox / order_id).glob(f"{name}_*.eml")
    return message_from_bytes(path.read_bytes())


async def test_customer_emails_reply_to_the_company_and_cancellation_asks_for_the_refund(client, settings, engine,
                                                                                        worker):
    view = await distributed(client, engine, (await orders.submit_order(client, settings, sofa_form())).order_id)
    order_id = view.order_id
    await orders.act(client, order_id, "cancel", Cancellation(reason="Changed my mind"))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.cancelled
                   and len(messages_of(engine, order_id, "work_order_cancelled")) == 2
                   and bool(messages_of(engine, order_id, "cancellation_notice")))
    confirmation = headers_of(settings.outbox_dir, order_id, "order_confirmation")
    assert confirmation["Reply-To"] == "help@orderly.example" == settings.company_email
    assert confirmation["From"] == settings.mail_from
    assert headers_of(settings.outbox_dir, order_id, "cancellation_notice")["Reply-To"] == "help@orderly.example"
    assert headers_of(settings.outbox_dir, order_id, "work_order_warehouse")["Reply-To"] is None

    [customer] = messages_of(engine, order_id, "cancellation_notice")
    assert settings.cancellation_refund_text in customer.text
    cancelled = {m.recipient: m.text for m in messages_of(engine, order_id, "work_order_cancelled")}
    accounts = cancelled["accounts@orderly.example"]
    assert "void the invoice for this order (1,890.00 USD)" in accounts
    assert "refund\neverything the customer has paid" in accounts and settings.cancellation_refund_text in accounts
    assert "void the invoice" not in cancelled["warehouse@orderly.example"]


def test_every_backend_carries_the_reply_to_of_customer_emails_only(settings):
    from channels.mail_sendgrid import SendGridMailer
    from channels.mailer import to_mime
    from channels.sending import Channels
    from models.messages import Outgoing

    sent = []

    class Recording:
        name = "recording"

        def send(self, email):  # noqa: ANN001, ANN202
            sent.append(email)
            return "id"

    custom = settings.model_copy(update={"company_reply_to": "replies@orderly.example"})
    channels = Channels(custom, mailer=Recording())
    for to in ("customer", "warehouse"):
        channels.call(Outgoing(key=f"R-1/order_confirmation/{to}/1", message_key=f"R-1/order_confirmation/{to}/1",
                               channel="email", order_id="R-1", kind="order_confirmation", recipient="x@example.com",
                               subject="s", text="t", html="<p>t</p>"))
    customer, staff = sent
    assert customer.reply_to == "replies@orderly.example" and staff.reply_to == ""
    assert to_mime(customer)["Reply-To"] == "replies@orderly.example"  # the outbox and SMTP send this MIME message
    assert to_mime(staff)["Reply-To"] is None
    assert SendGridMailer.mail_for(customer).get()["reply_to"] == {"email": "replies@orderly.example"}
    assert "reply_to" not in SendGridMailer.mail_for(staff).get()


def test_the_search_migration_indexes_the_orders_already_stored(engine):
    from datetime import datetime, timezone

    from store import database, read_model, search
    from models.order import OrderView

    view = OrderView(order_id="OLD-1", status=OrderStatus.confirmed, channel="web",
                     customer={"name": "Dorothy Vaughan", "email": "dv@example.com", "phone": "555 0123"},
                     shipping_address={"postal_code": "23 669"}, received_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
    read_model.save_order(engine, view, [])
    database.downgrade(engine, "0003")  # as a database was before search: its orders have no terms
    database.upgrade(engine)
    for q in ("vaughan", "DV@EXAMPLE", "5550123", "23669", "old-1"):
        assert [r.order_id for r in search.search_orders(engine, q)] == ["OLD-1"], q
    assert search.search_orders(engine, "dorothy", kinds=("order",)) == [], "order numbers only for a third party"


def test_an_order_with_nothing_to_find_it_by_is_still_saved(engine):
    """The fuzzer's order `0` with no name: no search terms at all, and the read-model save must still succeed (a
    save that fails holds the order's workflow task, and every action on it, until its retries run out)."""
    from datetime import datetime, timezone

    from store import read_model, search
    from models.order import OrderView

    view = OrderView(order_id="0", status=OrderStatus.incomplete, channel="api", customer={"name": "", "email": ""},
                     shipping_address={}, received_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
    assert search.terms_of("0", view.model_dump(mode="json")) == []
    read_model.save_order(engine, view, [])
    read_model.save_order(engine, view.model_copy(update={"status": OrderStatus.cancelled}), [])
    [row] = [r for r in read_model.list_orders(engine) if r.order_id == "0"]
    assert row.status == "cancelled"
