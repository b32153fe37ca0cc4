"""The whole order lifecycle against a real Temporal dev server, step by step, asserting what people receive."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.catalog import load_catalog
from models.order import (Acknowledgement, Cancellation, DelayReport, FeedbackEntry, FormCompletion, OrderForm, OrderStatus,
                          Shipment)
from starter import orders
from starter.orders import OrderError
from tests.conftest import distributed, messages_of, sofa_form, wait_for

pytestmark = pytest.mark.usefixtures("worker")


def later(view, days: int):
    return view.received_at.date() + timedelta(days=days)


async def confirmed(client, settings, form: OrderForm):
    result = await orders.submit_order(client, settings, form)
    return await wait_for(client, result.order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders)
                          and all(e.kind != "status:received" for e in v.timeline))


async def test_sofa_without_fabric_is_sent_back_then_completed_and_confirmed(client, settings, engine):
    form = sofa_form(order_id="SOFA-NOFAB", lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive"}}])
    result = await orders.submit_order(client, settings, form)

    assert result.status is OrderStatus.incomplete
    assert [p.field for p in result.problems] == ["lines[0].options.fabric"]
    [returned] = messages_of(engine, "SOFA-NOFAB", "form_incomplete")
    assert returned.recipient == "ada@example.com"
    assert "Line 1 (Three-seat sofa): missing: Fabric (one of: linen, velvet, leather, wool)" in returned.text
    assert "/orders/SOFA-NOFAB/form" in returned.text
    assert not messages_of(engine, "SOFA-NOFAB", "order_confirmation")

    # a second try that still misses something is answered with what remains, and changes nothing else
    still = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "linen"}}])
    answer = await orders.act(client, "SOFA-NOFAB", "complete_form", FormCompletion(form=still), load_catalog())
    assert answer.status is OrderStatus.incomplete
    assert [(p.field, p.kind) for p in answer.problems] == [("lines[0].options.color", "missing")]
    # a value that cannot be accepted is refused at once and never reaches the order
    wrong = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive", "fabric": "silk"}}])
    with pytest.raises(OrderError) as refused:
        await orders.act(client, "SOFA-NOFAB", "complete_form", FormCompletion(form=wrong), load_catalog())
    assert refused.value.kind == "invalid" and "'silk' is not available" in refused.value.message
    assert (await orders.order_status(client, "SOFA-NOFAB")).problems == answer.problems

    fixed = sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 1, "options": {"color": "olive", "fabric": "linen"}}])
    answer = await orders.act(client, "SOFA-NOFAB", "complete_form", FormCompletion(form=fixed))
    assert answer.problems == []
    view = await wait_for(client, "SOFA-NOFAB", lambda v: v.status is OrderStatus.confirmed)
    assert view.lines[0].options == {"fabric": "linen", "color": "olive"}
    assert len(messages_of(engine, "SOFA-NOFAB", "order_confirmation")) == 1


async def test_confirmation_email_has_every_detail_and_the_contact_information(client, settings, engine):
    form = sofa_form(order_id="CONF-1", lines=[
        {"sku": "SOFA-2S", "quantity": 1, "options": {"fabric": "leather", "color": "sand", "leather_grade": "aniline",
                                                      "stain_protection": "yes"}},
        {"sku": "CUSHION", "quantity": 3, "options": {"color": "navy"}}])
    view = await confirmed(client, settings, form)
    [mail] = messages_of(engine, "CONF-1", "order_confirmation")
    due = view.expected_fulfillment_date

    assert mail.recipient == "ada@example.com"
    assert mail.subject == f"Order CONF-1 confirmed: expected ready by {due:%A}, {due.day} {due:%B %Y}"
    for text in (mail.text, mail.html):
        assert "Two-seat sofa" in text and "Scatter cushion" in text
        assert "Fabric: leather" in text and "Leather grade: aniline" in text and "Stain protection: yes" in text
        assert "Colour: navy" in text
        assert f"Expected fulfillment date: {due:%A}, {due.day} {due:%B %Y}" in text
        assert "1,585.00 USD" in text  # 1450 + 3 x 45
        assert settings.company_phone in text and settings.company_email in text and settings.company_address in text
        assert "If anything here is wrong" in text
        assert "verify" not in text.lower()
    assert "3 x Scatter cushion (CUSHION): 135.00 USD" in mail.text
    assert "<td>3</td>" in mail.html
    assert "12 Analytical Row" in mail.text and "Please call before delivery" in mail.text
    assert view.expected_fulfillment_date == view.original_fulfillment_date


async def test_work_orders_go_to_every_department_and_each_manufacturer_with_the_date(client, settings, engine):
    form = sofa_form(order_id="WO-1", lines=[
        {"sku": "TABLE-OAK", "quantity": 1, "options": {"finish": "white oil", "length_cm": "220"}},
        {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "walnut", "height_cm": 200, "width_cm": 90}}])
    view = await confirmed(client, settings, form)
    due = view.expected_fulfillment_date
    assert (due - view.received_at.date()).days >= 28  # 20 business days for the made-to-measure bookcase

    await distributed(client, engine, "WO-1")  # the view names the departments before their messages are out
    work_orders = {m.recipient: m for m in messages_of(engine, "WO-1", "work_order")}
    assert set(work_orders) == {"warehouse@orderly.example", "accounts@orderly.example", "orders@nordwood.example"}
    for mail in work_orders.values():
        assert f"Expected fulfillment date: {due:%A}, {due.day} {due:%B %Y}" in mail.text
    maker = work_orders["orders@nordwood.example"].text
    assert "Made-to-measure bookcase" in maker and "Wood: walnut" in maker and "Oak dining table" not in maker
    assert "USD" not in maker  # manufacturers are not shown prices
    assert "Ship to:" in work_orders["warehouse@orderly.example"].text
    assert "3,340.00 USD" in work_orders["accounts@orderly.example"].text
    assert view.work_orders == ["warehouse", "accounts-receivable", "nordwood"]

    answer = await orders.act(client, "WO-1", "acknowledge", Acknowledgement(department="nordwood", by="Sven"))
    assert answer.message == "Work order acknowledged by nordwood"
    again = await orders.act(client, "WO-1", "acknowledge", Acknowledgement(department="nordwood"))
    assert "already acknowledged" in again.message
    view = await orders.order_status(client, "WO-1")
    assert list(view.acknowledged) == ["nordwood"]


async def test_staff_delay_tells_the_customer_the_reason_and_the_departments_the_date(client, settings, engine):
    view = await confirmed(client, settings, sofa_form(order_id="DELAY-1"))
    new_date = view.expected_fulfillment_date + timedelta(days=9)
    result = await orders.act(client, "DELAY-1", "delay", DelayReport(
        new_date=new_date, reason="Our velvet supplier is <b>two weeks</b> behind"))
    assert result.status is OrderStatus.delayed
    [notice] = messages_of(engine, "DELAY-1", "delay_notice")
    assert "Why: Our velvet supplier is <b>two weeks</b> behind" in notice.text
    assert "Our velvet supplier is &lt;b&gt;two weeks&lt;/b&gt; behind" in notice.html  # escaped in HTML
    assert f"New expected fulfillment date: {new_date:%A}, {new_date.day} {new_date:%B %Y}" in notice.text
    changes = messages_of(engine, "DELAY-1", "work_order_change")
    assert {m.recipient for m in changes} == {"warehouse@orderly.example", "accounts@orderly.example"}
    view = await orders.order_status(client, "DELAY-1")
    assert view.expected_fulfillment_date == new_date and view.original_fulfillment_date != new_date


async def test_full_lifecycle_from_shipping_notice_to_feedback(client, settings, engine):
    view = await confirmed(client, settings, sofa_form(order_id="LIFE-1"))
    await orders.act(client, "LIFE-1", "acknowledge", Acknowledgement(department="warehouse"))
    delivery = later(view, 20)
    shipped = await orders.act(client, "LIFE-1", "ship", Shipment(
        carrier="UPS", tracking_number="1Z999AA10123456784", tracking_url="https://ups.example/t/1Z999AA10123456784",
        expected_delivery_date=delivery))
    assert shipped.status is OrderStatus.shipped
    await wait_for(client, "LIFE-1", lambda v: bool(messages_of(engine, "LIFE-1", "shipping_notice")))
    [notice] = messages_of(engine, "LIFE-1", "shipping_notice")
    assert "Carrier: UPS" in notice.text and "Tracking number: 1Z999AA10123456784" in notice.text
    assert "Track it: https://ups.example/t/1Z999AA10123456784" in notice.text
    assert f"Expected delivery date: {delivery:%A}, {delivery.day} {delivery:%B %Y}" in notice.text
    assert 'href="https://ups.example/t/1Z999AA10123456784"' in notice.html

    delivered = await orders.act(client, "LIFE-1", "deliver")
    assert delivered.status is OrderStatus.delivered
    await wait_for(client, "LIFE-1", lambda v: bool(messages_of(engine, "LIFE-1", "feedback_request")))
    [ask] = messages_of(engine, "LIFE-1", "feedback_request")
    assert ask.recipient == "ada@example.com" and "/orders/LIFE-1/survey" in ask.text

    thanks = await orders.act(client, "LIFE-1", "feedback", FeedbackEntry(rating=5, comment="Beautiful sofa"))
    assert thanks.message == "Thank you: feedback recorded"
    await orders.handle_for(client, "LIFE-1").result()
    view = await orders.order_status(client, "LIFE-1")  # (the result leaves the timeline to the read model)
    assert view.status is OrderStatus.completed
    assert view.feedback.rating == 5 and view.feedback.comment == "Beautiful sofa"
    kinds = [e.kind for e in view.timeline]
    assert kinds.index("status:shipped") < kinds.index("status:delivered") < kinds.index("feedback")
    # the read model has the same story, written by the workflow's activities
    from store.read_model import list_orders, timeline
    [row] = [r for r in list_orders(engine) if r.order_id == "LIFE-1"]
    assert row.status == "completed" and row.feedback_rating == 5
    assert [t.seq for t in timeline(engine, "LIFE-1")] == [e.seq for e in view.timeline]


async def test_high_value_orders_get_a_customer_service_call_instead_of_a_survey(client, settings, engine):
    form = sofa_form(order_id="CALL-1", lines=[{"sku": "SOFA-3S", "quantity": 2,
                                                "options": {"fabric": "wool", "color": "navy"}}])
    view = await confirmed(client, settings, form)
    await orders.act(client, "CALL-1", "ship", Shipment(carrier="DHL", tracking_number="JD1",
                                                          expected_delivery_date=later(view, 15)))
    await wait_for(client, "CALL-1", lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, "CALL-1", "deliver")
    await wait_for(client, "CALL-1", lambda v: bool(messages_of(engine, "CALL-1", "feedback_call")))
    [task] = messages_of(engine, "CALL-1", "feedback_call")
    assert task.recipient == "customer-service@orderly.example"
    assert "+1 555 0199" in task.text and "3,780.00 USD" in task.text
    assert not messages_of(engine, "CALL-1", "feedback_request")
    await orders.act(client, "CALL-1", "feedback", FeedbackEntry(rating=4, comment="by phone"))
    await wait_for(client, "CALL-1", lambda v: v.status is OrderStatus.completed)


async def test_cancellation_tells_the_customer_and_every_department(client, settings, engine):
    form = sofa_form(order_id="CANCEL-1", lines=[
        {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "ash", "height_cm": 180, "width_cm": 80}}])
    await confirmed(client, settings, form)
    result = await orders.act(client, "CANCEL-1", "cancel", Cancellation(reason="Customer moved abroad"))
    assert "Cancellation accepted" in result.message
    view = await wait_for(client, "CANCEL-1", lambda v: v.status is OrderStatus.cancelled
                          and len(messages_of(engine, "CANCEL-1", "work_order_cancelled")) == 3)
    [notice] = messages_of(engine, "CANCEL-1", "cancellation_notice")
    assert "Reason: Customer moved abroad" in notice.text
    assert {m.recipient for m in messages_of(engine, "CANCEL-1", "work_order_cancelled")} == {
        "warehouse@orderly.example", "accounts@orderly.example", "orders@nordwood.example"}
    assert view.cancel_reason == "Customer moved abroad"
    await orders.handle_for(client, "CANCEL-1").result()
    with pytest.raises(OrderError, match="Order CANCEL-1 is cancelled and closed"):
        await orders.act(client, "CANCEL-1", "cancel", Cancellation(reason="again"))


async def test_an_incomplete_order_can_be_cancelled_and_no_department_hears_of_it(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="CANCEL-2", lines=[{"sku": "SOFA-3S"}]))
    await orders.act(client, "CANCEL-2", "cancel", Cancellation(reason="Changed my mind"))
    assert (await orders.handle_for(client, "CANCEL-2").result()).status is OrderStatus.cancelled
    assert [m.kind for m in messages_of(engine, "CANCEL-2")] == ["form_incomplete", "cancellation_notice"]


async def test_refused_actions_leave_the_workflow_running(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="REFUSE-1", lines=[{"sku": "SOFA-3S"}]))
    ship = Shipment(carrier="UPS", tracking_number="1Z", expected_delivery_date=later(
        await orders.order_status(client, "REFUSE-1"), 10))

    async def refused(action: str, *args, match: str):
        with pytest.raises(OrderError, match=match) as caught:
            await orders.act(client, "REFUSE-1", action, *args)
        assert caught.value.kind == "refused"

    await refused("ship", ship, match="its form is incomplete")
    await refused("deliver", match="only a shipped order can be delivered")
    await refused("acknowledge", Acknowledgement(department="warehouse"), match="No work orders have been sent")
    await refused("feedback", FeedbackEntry(rating=3), match="feedback is taken after delivery")

    await orders.act(client, "REFUSE-1", "complete_form", FormCompletion(form=sofa_form()))
    view = await wait_for(client, "REFUSE-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await refused("complete_form", FormCompletion(form=sofa_form()), match="its form is no longer open")
    await refused("acknowledge", Acknowledgement(department="shipping"), match="Unknown department 'shipping'")
    await refused("delay", DelayReport(new_date=view.received_at.date() - timedelta(days=1), reason="x"),
                  match="is not in the future")
    await refused("delay", DelayReport(new_date=view.expected_fulfillment_date, reason="x"),
                  match="That is not a delay")
    past = ship.model_copy(update={"expected_delivery_date": view.received_at.date() - timedelta(days=2)})
    await refused("ship", past, match="is in the past")

    await orders.act(client, "REFUSE-1", "ship", ship)
    await refused("ship", ship, match="already shipped")
    await refused("cancel", Cancellation(reason="too late"), match="can no longer be cancelled")
    await refused("delay", DelayReport(new_date=later(view, 30), reason="x"), match="it is shipped")
    await orders.act(client, "REFUSE-1", "deliver")
    await refused("deliver", match="was already delivered on")
    await orders.act(client, "REFUSE-1", "feedback", FeedbackEntry(rating=2))
    await refused("feedback", FeedbackEntry(rating=5), match="already received|completed and closed")

    view = await wait_for(client, "REFUSE-1", lambda v: v.status is OrderStatus.completed)
    assert view.feedback.rating == 2
    handle = orders.handle_for(client, "REFUSE-1")
    assert (await handle.result()).status is OrderStatus.completed  # the workflow itself finished normally


async def test_unknown_order_and_malformed_update_input(client):
    with pytest.raises(OrderError) as caught:
        await orders.order_status(client, "NO-SUCH-ORDER")
    assert caught.value.kind == "not_found"
    with pytest.raises(OrderError) as caught:
        await orders.act(client, "NO-SUCH-ORDER", "deliver")
    assert caught.value.kind == "not_found"


async def test_resubmitting_the_same_order_id_never_makes_a_second_order(client, settings, engine):
    first = await orders.submit_order(client, settings, sofa_form(order_id="IDEM-1"))
    assert not first.duplicate
    await wait_for(client, "IDEM-1", lambda v: v.status is OrderStatus.confirmed)
    second = await orders.submit_order(client, settings, sofa_form(order_id="IDEM-1"))
    assert second.duplicate and "already exists" in second.message
    with pytest.raises(OrderError) as taken:  # the id with another form: refused, never silently dropped (issue 15)
        await orders.submit_order(client, settings, sofa_form(order_id="IDEM-1", notes="retry"))
    assert taken.value.kind == "refused" and "taken by a different order" in taken.value.message
    assert len(messages_of(engine, "IDEM-1", "order_confirmation")) == 1

    await orders.act(client, "IDEM-1", "cancel", Cancellation(reason="test"))
    await wait_for(client, "IDEM-1", lambda v: v.status is OrderStatus.cancelled)
    await orders.handle_for(client, "IDEM-1").result()
    third = await orders.submit_order(client, settings, sofa_form(order_id="IDEM-1"))
    assert third.duplicate and third.status is OrderStatus.cancelled
    assert len(messages_of(engine, "IDEM-1", "order_confirmation")) == 1
    view = await orders.order_status(client, "IDEM-1")
    assert view.notes == "Please call before delivery"


async def test_short_policy_reminds_and_expires_an_incomplete_form(client, settings, engine, monkeypatch):
    monkeypatch.setenv("ORDERLY_COMPLETION_REMINDER", "1")
    monkeypatch.setenv("ORDERLY_COMPLETION_EXPIRY", "2")
    await orders.submit_order(client, settings, sofa_form(order_id="EXPIRE-FAST", lines=[{"sku": "CUSHION"}]))
    await orders.handle_for(client, "EXPIRE-FAST").result()
    view = await orders.order_status(client, "EXPIRE-FAST")
    assert view.status is OrderStatus.expired
    assert [m.kind for m in messages_of(engine, "EXPIRE-FAST")] == ["form_incomplete", "form_reminder", "form_expired"]
    assert "Line 1 (Scatter cushion): missing: Colour" in messages_of(engine, "EXPIRE-FAST", "form_reminder")[0].text
    assert view.timeline[-2].text == "Closed: the form was not completed in time"


# test_unacknowledged_work_orders_remind_only_the_silent_departments is in tests/test_timers.py: here it acknowledged
# against a 2-second reminder on the wall clock, and an acknowledgement later than that (a busy machine) reminded
# both departments. On the time-skipping server the reminder fires only when the test moves time past it.


async def test_a_form_without_an_email_is_answered_to_the_caller_only(client, settings, engine):
    form = sofa_form(order_id="NOEMAIL-1", customer={"name": "Ada", "email": ""})
    result = await orders.submit_order(client, settings, form)
    assert result.status is OrderStatus.incomplete
    assert result.problems[0].field == "customer.email"
    assert messages_of(engine, "NOEMAIL-1") == []
    view = await orders.order_status(client, "NOEMAIL-1")
    assert "no valid email address" in view.timeline[-1].text


async def test_a_form_with_a_malformed_email_is_refused_and_starts_nothing(client, settings, engine):
    form = sofa_form(order_id="BADEMAIL-1", customer={"name": "Ada", "email": "not-an-email"})
    with pytest.raises(OrderError) as refused:
        await orders.submit_order(client, settings, form)
    assert refused.value.kind == "invalid"
    assert refused.value.details[0]["field"] == "customer.email"
    with pytest.raises(OrderError) as missing:
        await orders.order_status(client, "BADEMAIL-1")
    assert missing.value.kind == "not_found"


async def test_search_attributes_let_ops_filter_orders(client, settings):
    view = await confirmed(client, settings, sofa_form(order_id="SA-1"))
    query = f"WorkflowId = 'order-SA-1' AND OrderStatus = 'confirmed' AND ExpectedFulfillmentDate > " \
            f"'{view.received_at:%Y-%m-%dT00:00:00Z}'"
    for _ in range(50):  # visibility is eventually consistent
        if (await client.count_workflows(query)).count == 1:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"no workflow matched {query}")
    description = await orders.handle_for(client, "SA-1").describe()
    assert await description.static_summary() == "Order SA-1 (web): 1x SOFA-3S"
