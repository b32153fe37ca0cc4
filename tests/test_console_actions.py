"""The staff console's actions that succeed (delay, cancel, feedback), signing out, an action that does not exist, and
a resend that fails again: over real HTTP against a real worker."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

from models.order import OrderStatus, Shipment
from starter import orders
from starter.web_app import create_app

from .channel_servers import SmtpSink
from .conftest import messages_of, running_worker, serving, sofa_form, wait_for
from .test_web_pages import hidden, staff_post, staff_session


async def confirmed(client, settings, engine, order_id: str):  # noqa: ANN001, ANN201
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    return await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and len(
        [m for m in messages_of(engine, order_id, "work_order") if m.status == "sent"]) == 2)


async def test_the_console_delays_cancels_and_records_feedback(web, client, settings, engine):
    view = await confirmed(client, settings, engine, "CON-DELAY")
    new_date = view.expected_fulfillment_date + timedelta(days=6)
    warehouse = await staff_session(web, "token-warehouse")
    delayed = await staff_post(warehouse, "/staff/orders/CON-DELAY/delay", new_date=str(new_date),
                               reason="The fabric mill is late")
    assert delayed.status_code == 200, delayed.text
    assert "Delay recorded; the customer and 2 department(s) were told" in unescape(delayed.text)
    view = await wait_for(client, "CON-DELAY", lambda v: bool(messages_of(engine, "CON-DELAY", "delay_notice")))
    assert view.status is OrderStatus.delayed and view.expected_fulfillment_date == new_date
    [notice] = messages_of(engine, "CON-DELAY", "delay_notice")
    assert "The fabric mill is late" in notice.text and notice.recipient == "ada@example.com"
    await warehouse.aclose()

    await confirmed(client, settings, engine, "CON-CANCEL")
    cs = await staff_session(web, "token-customer-service")
    cancelled = await staff_post(cs, "/staff/orders/CON-CANCEL/cancel", reason="The customer called to cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert "Cancellation accepted" in unescape(cancelled.text)
    view = await wait_for(client, "CON-CANCEL", lambda v: v.status is OrderStatus.cancelled)
    assert view.cancel_reason == "The customer called to cancel"
    await wait_for(client, "CON-CANCEL", lambda v: bool(messages_of(engine, "CON-CANCEL", "cancellation_notice")))

    view = await confirmed(client, settings, engine, "CON-FEEDBACK")
    await orders.act(client, "CON-FEEDBACK", "ship", Shipment(carrier="UPS", tracking_number="1Z-FB",
                                                               expected_delivery_date=date.today() + timedelta(days=3)))
    await orders.act(client, "CON-FEEDBACK", "deliver")
    await wait_for(client, "CON-FEEDBACK", lambda v: bool(messages_of(engine, "CON-FEEDBACK", "feedback_request")))
    rated = await staff_post(cs, "/staff/orders/CON-FEEDBACK/feedback", rating="5", comment="Said so on the phone")
    assert rated.status_code == 200, rated.text
    assert "feedback recorded" in unescape(rated.text)
    view = await wait_for(client, "CON-FEEDBACK", lambda v: v.feedback is not None)
    assert view.feedback.rating == 5 and view.feedback.comment == "Said so on the phone"
    await cs.aclose()


async def test_signing_out_ends_the_console_session(web):
    staff = await staff_session(web, "token-warehouse")
    home = await staff.get("/staff")
    assert home.status_code == 200
    out = await staff.post("/staff/logout", data={"csrf": hidden(home.text, "csrf")})
    assert out.status_code == 303 and out.headers["location"].endswith("/staff/login")
    assert "orderly_staff" not in staff.cookies, "the session cookie is removed"
    after = await staff.get("/staff")
    assert after.status_code == 303 and after.headers["location"].endswith("/staff/login")
    assert (await staff.get("/staff/orders/ANY")).status_code == 303
    await staff.aclose()


async def test_an_action_the_console_does_not_have_is_a_404(web):
    staff = await staff_session(web, "token-admin")
    home = await staff.get("/staff")
    response = await staff.post("/staff/orders/ANY/frobnicate", data={"csrf": hidden(home.text, "csrf")})
    assert response.status_code == 404
    assert "There is no staff action called &#39;frobnicate&#39;" in response.text or \
        "There is no staff action called 'frobnicate'" in unescape(response.text)
    await staff.aclose()


# (This test caught the console's resend route shadowing channels.resend.resend for a while: it answered 500.)
async def test_a_resend_that_fails_again_is_shown_and_the_message_stays_failed(client, settings, engine):
    with SmtpSink(refuse={"ada@example.com": "550 5.1.1 mailbox unavailable"}) as sink:
        s = settings.model_copy(update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                        "smtp_starttls": False})
        async with running_worker(client, s), serving(create_app(s, client)) as web:
            await orders.submit_order(client, s, sofa_form(order_id="RESEND-FAILS"))
            await wait_for(client, "RESEND-FAILS", lambda v: bool(v.work_orders) and bool(
                messages_of(engine, "RESEND-FAILS", "order_confirmation")))
            [failed] = messages_of(engine, "RESEND-FAILS", "order_confirmation")
            assert failed.status == "failed"
            cs = await staff_session(web, "token-customer-service")
            page = await cs.get("/staff/orders/RESEND-FAILS")
            again = await cs.post("/staff/messages/resend", data={"csrf": hidden(page.text, "csrf"),
                                                                  "key": failed.key, "order_id": "RESEND-FAILS"})
            await cs.aclose()
            assert again.status_code == 502, again.text
            assert f"The resend of {failed.key} failed too" in unescape(again.text) and "550" in again.text
    [row] = messages_of(engine, "RESEND-FAILS", "order_confirmation")
    assert row.status == "failed" and row.attempts == 2
    assert not [r for r in sink.messages if r.message["X-Orderly-Key"] == failed.key], "nothing reached the mailbox"


async def test_the_console_shows_the_parts_and_ships_what_is_ready(web, client, settings, engine):
    """A sofa and Nordwood's bookcase: the order page lists both parts with their dates; the ship form offers the
    sofa (the bookcase is not at the warehouse yet); Nordwood reports it ready from the console; the warehouse's queue
    shows it arrived, and the ship form then offers it."""
    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
    await orders.submit_order(client, settings, sofa_form(order_id="CON-PARTS", lines=[
        sofa_form().lines[0].model_dump(), bookcase]))
    view = await wait_for(client, "CON-PARTS", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    sofa_part, bookcase_part = view.parts
    warehouse = await staff_session(web, "token-warehouse")
    page = unescape((await warehouse.get("/staff/orders/CON-PARTS")).text)
    assert '<table id="parts">' in page and '<tr data-department="nordwood"><td>Nordwood Joinery</td>' in page
    assert str(bookcase_part.handover_date) in page and str(sofa_part.expected_fulfillment_date) in page
    assert 'value="SOFA-3S:1"' in page  # what can go now
    shipped = await staff_post(warehouse, "/staff/orders/CON-PARTS/ship", carrier="UPS", tracking_number="1ZC",
                               expected_delivery_date=str(date.today() + timedelta(days=4)), lines="SOFA-3S:1")
    assert "Shipment 1 recorded (1 x SOFA-3S)" in unescape(shipped.text), shipped.text

    maker = await staff_session(web, "token-manufacturer")
    ready = await staff_post(maker, "/staff/orders/CON-PARTS/ready", department="nordwood", by="Jo")
    assert "nordwood's part is at the warehouse and can ship" in unescape(ready.text), ready.text
    home = unescape((await warehouse.get("/staff")).text)
    assert 'id="queue-arrived" data-count="1"' in home and "from nordwood: 1 x BOOKCASE-MTM arrived" in home
    page = unescape((await warehouse.get("/staff/orders/CON-PARTS")).text)
    assert 'value="BOOKCASE-MTM:1"' in page and 'id="status">partially_shipped<' in page
    assert 'class="part-status">shipped' in page and 'class="part-status">ready' in page
    refused = await staff_post(warehouse, "/staff/orders/CON-PARTS/ship", carrier="UPS", tracking_number="1ZD",
                               expected_delivery_date=str(date.today() + timedelta(days=4)), lines="SOFA-3S:1")
    assert "SOFA-3S has already shipped in full" in unescape(refused.text)
    await warehouse.aclose()
    await maker.aclose()


async def test_the_console_marks_one_of_several_parcels_delivered(web, client, settings, engine):
    """Two parcels on their way: the console offers "Mark delivered" with the shipment to choose (the API could, the
    console could not), and delivering one leaves the other on its way."""
    cushions = {"sku": "CUSHION", "quantity": 4, "options": {"color": "sand"}}
    await orders.submit_order(client, settings, sofa_form(order_id="CON-TWO", lines=[
        sofa_form().lines[0].model_dump(), cushions]))
    await wait_for(client, "CON-TWO", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    soon = date.today() + timedelta(days=4)
    for tracking, line in (("1Z1", "SOFA-3S"), ("1Z2", "CUSHION")):
        await orders.act(client, "CON-TWO", "ship", Shipment(carrier="UPS", tracking_number=tracking,
                                                             expected_delivery_date=soon, lines=[line]))
    warehouse = await staff_session(web, "token-warehouse")
    page = unescape((await warehouse.get("/staff/orders/CON-TWO")).text)
    assert 'action="/staff/orders/CON-TWO/deliver"' in page
    assert '<option value="1"' in page and '<option value="2"' in page
    delivered = await staff_post(warehouse, "/staff/orders/CON-TWO/deliver", shipment="2")
    assert "Delivery of shipment 2 recorded" in unescape(delivered.text), delivered.text
    view = await orders.order_status(client, "CON-TWO")
    assert [s.delivered_at is not None for s in view.shipments] == [False, True]
    assert view.status is OrderStatus.partially_delivered
    await warehouse.aclose()
