"""Messages in the staff console and the API: a failed message is shown with its error and resent by staff; a
shipment corrected after the notice went out sends an update. Against a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from models.order import OrderStatus, Shipment
from starter import orders
from starter.web_app import create_app

from .channel_servers import SmtpSink
from .conftest import messages_of, running_worker, serving, sofa_form, wait_for
from .test_web_pages import hidden, staff_post


async def staff(web: str, role: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=web, follow_redirects=False, timeout=30)
    page = await http.get("/staff/login")
    await http.post("/staff/login", data={"csrf": hidden(page.text, "csrf"), "token": f"token-{role}"})
    return http


async def test_a_failed_message_is_shown_and_resent_once_by_staff(client, settings, engine):
    with SmtpSink(refuse={"ada@example.com": "550 5.1.1 mailbox unavailable"}) as sink:
        s = settings.model_copy(update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                        "smtp_starttls": False})
        async with running_worker(client, s), serving(create_app(s, client)) as web:
            await orders.submit_order(client, s, sofa_form(order_id="RESEND-1"))
            await wait_for(client, "RESEND-1", lambda v: bool(v.work_orders) and v.status.value != "received")
            [failed] = messages_of(engine, "RESEND-1", "order_confirmation")
            assert failed.status == "failed" and "550" in failed.last_error

            cs = await staff(web, "customer-service")
            page = (await cs.get("/staff/orders/RESEND-1")).text
            assert "mailbox unavailable" in page and 'action="/staff/messages/resend"' in page
            warehouse = await staff(web, "warehouse")
            assert 'action="/staff/messages/resend"' not in (await warehouse.get("/staff/orders/RESEND-1")).text

            sink.refuse.clear()  # the customer fixed their mailbox
            csrf = hidden(page, "csrf")
            resent = await cs.post("/staff/messages/resend", data={"csrf": csrf, "key": failed.key,
                                                                   "order_id": "RESEND-1"})
            assert resent.status_code == 303
            resent = await cs.get(resent.headers["location"])
            assert f"Resent {failed.key}" in resent.text
            assert "Resent" not in (await cs.get("/staff/orders/RESEND-1")).text, "the note is shown once"
            again = await cs.post("/staff/messages/resend", data={"csrf": csrf, "key": failed.key,
                                                                  "order_id": "RESEND-1"})
            assert again.status_code == 409 and "already sent" in again.text
            denied = await warehouse.post("/staff/messages/resend", data={
                "csrf": hidden((await warehouse.get("/staff/orders/RESEND-1")).text, "csrf"), "key": failed.key})
            assert denied.status_code == 403

            api = httpx.AsyncClient(base_url=web, timeout=30, headers={"Authorization": "Bearer token-admin"})
            listed = (await api.get("/api/orders/RESEND-1/messages")).json()
            assert {m["kind"]: m["status"] for m in listed}["order_confirmation"] == "sent"
            twice = await api.post("/api/messages/resend", json={"key": failed.key})
            assert twice.status_code == 409 and twice.json()["error"]["kind"] == "refused"
            unknown = await api.post("/api/messages/resend", json={"key": "NOPE/x/y/1"})
            assert unknown.status_code == 404
            assert (await api.get("/api/orders/NOPE/messages")).status_code == 404
            for http in (cs, warehouse, api):
                await http.aclose()
        to_customer = [r for r in sink.messages if r.message["X-Orderly-Key"] == failed.key]
        assert len(to_customer) == 1, "delivered once: the refused try never reached the mailbox, the resend did"


async def test_staff_correct_a_shipment_and_the_customer_is_told_what_changed(web, client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="CONSOLE-FIX-1"))
    await wait_for(client, "CONSOLE-FIX-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, "CONSOLE-FIX-1", "ship", Shipment(carrier="UPS", tracking_number="1Z-OLD",
                                                        expected_delivery_date=date.today() + timedelta(days=4)))
    await wait_for(client, "CONSOLE-FIX-1", lambda v: bool(messages_of(engine, "CONSOLE-FIX-1", "shipping_notice")))
    warehouse = await staff(web, "warehouse")
    fixed = await staff_post(warehouse, "/staff/orders/CONSOLE-FIX-1/correct_shipment", tracking_number="1Z-NEW",
                             reason="The label was reprinted")
    assert fixed.status_code == 200, fixed.text
    await warehouse.aclose()
    await wait_for(client, "CONSOLE-FIX-1", lambda v: len(messages_of(engine, "CONSOLE-FIX-1", "shipping_notice")) == 2)
    update = [m for m in messages_of(engine, "CONSOLE-FIX-1", "shipping_notice") if m.key.endswith("/2")][0]
    assert "1Z-NEW" in update.text and "1Z-OLD" in update.text
