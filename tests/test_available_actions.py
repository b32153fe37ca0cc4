"""The console offers exactly what the workflow says makes sense, and the workflow refuses everything else.

For an order in each status it can be in, the staff console's order page (signed in as admin, who may take every
action, and as the warehouse) shows a form for exactly the actions that the workflow's `available_actions` query
returns and the role may take; and every action the query leaves out, sent anyway with an input that would
otherwise be valid, is refused by the workflow with its reason, and changes nothing.
"""

from __future__ import annotations

from contextlib import aclosing

import re
from datetime import date, timedelta

import pytest

from models.feedback_call import CallOutcome
from models.amendments import Amendment
from models.money import Payment, Refund
from models.order import (Acknowledgement, Cancellation, DelayReport, FeedbackEntry, FormCompletion, OrderStatus,
                          CustomerRequest, DeliveryReport, Readiness, RequestResolution, Shipment, ShipmentCorrection)
from starter import orders
from starter.actions import ACTIONS
from starter.orders import OrderError
from starter.auth import Caller
from tests.conftest import TOKENS, sofa_form, wait_for
from tests.test_web_pages import staff_session

SOON = date.today() + timedelta(days=5)
INPUTS = {  # an input for each action that is valid in itself: only the order's state can make it refused
    "complete_form": FormCompletion(form=sofa_form()),
    "acknowledge": Acknowledgement(department="warehouse"),
    "delay": DelayReport(new_date=date.today() + timedelta(days=90), reason="The mill is late"),
    "ship": Shipment(carrier="UPS", tracking_number="1Z1", expected_delivery_date=SOON),
    "correct_shipment": ShipmentCorrection(tracking_number="1Z-NEW"),
    "deliver": DeliveryReport(),
    "ready": Readiness(department="nordwood"),  # the sofa-only order has no manufacturer's part
    "request": CustomerRequest(message="The colour is wrong"),
    "amend": Amendment(form=sofa_form(lines=[{"sku": "SOFA-3S", "quantity": 2,
                                               "options": {"fabric": "linen", "color": "olive"}}])),
    "resolve_request": RequestResolution(note="Answered"),
    "cancel": Cancellation(reason="Changed my mind"),
    "feedback": FeedbackEntry(rating=4),
    "call_outcome": CallOutcome(outcome="no_answer"),
    "payment": Payment(amount="100.00", reference="AVAIL-PAY"),
    "refund": Refund(amount="100.00", reference="AVAIL-REFUND"),
}


async def offered(http, order_id: str) -> set[str]:
    page = (await http.get(f"/staff/orders/{order_id}")).text
    return set(re.findall(r'<form method="post" action="/staff/orders/[^/"]+/(\w+)" id="action-', page))


async def drive(client, settings, order_id: str, status: OrderStatus) -> None:
    """Take a new order to `status` the way staff would."""
    if status is OrderStatus.incomplete:
        await orders.submit_order(client, settings, sofa_form(order_id=order_id, lines=[{"sku": "SOFA-3S"}]))
        await wait_for(client, order_id, lambda v: v.status is OrderStatus.incomplete)
        return
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    steps = {OrderStatus.delayed: ["delay"], OrderStatus.cancelled: ["cancel"],
             OrderStatus.shipped: ["acknowledge", "ship"], OrderStatus.delivered: ["acknowledge all", "ship", "deliver"],
             OrderStatus.completed: ["acknowledge", "ship", "deliver", "feedback"]}.get(status, [])
    for name in steps:
        if name == "acknowledge all":
            for department in ("warehouse", "accounts-receivable"):
                await orders.act(client, order_id, "acknowledge", Acknowledgement(department=department))
            continue
        await orders.act(client, order_id, name, INPUTS[name])
        if name == "ship":
            await wait_for(client, order_id, lambda v: any(e.data.get("message_kind") == "shipping_notice"
                                                           for e in v.timeline))
    if status in (OrderStatus.completed, OrderStatus.cancelled):
        await orders.handle_for(client, order_id).result()
    await wait_for(client, order_id, lambda v: v.status is status)


@pytest.mark.parametrize("status", [OrderStatus.incomplete, OrderStatus.confirmed, OrderStatus.delayed,
                                    OrderStatus.shipped, OrderStatus.delivered, OrderStatus.completed,
                                    OrderStatus.cancelled], ids=lambda s: s.value)
async def test_the_console_offers_exactly_the_available_actions_and_the_rest_are_refused(
        web, client, settings, status):
    order_id = f"AVAIL-{status.value.upper()}"
    await drive(client, settings, order_id, status)
    available = await orders.available_actions(client, order_id)
    view = await orders.order_status(client, order_id)

    for role in ("admin", "warehouse"):
        async with aclosing(await staff_session(web, f"token-{role}")) as http:
            caller = Caller.of(TOKENS[f"token-{role}"], "")
            mine = await orders.available_actions(client, order_id, caller.actor)  # the workflow asks the actor
            assert set(mine) <= set(available)
            decided = await orders.action_choices(client, order_id, caller.actor)
            expected = {a.name for a in ACTIONS.values() if a.console and a.update_name in mine and a.may(role)
                        and all(pick(view, caller) for pick in a.choices.values())
                        and (not a.decided_choice or decided.get(a.update_name))}
            assert await offered(http, order_id) == expected, (role, available)
    if status is OrderStatus.delivered:
        assert not view.work_orders or all(d in view.acknowledged for d in view.work_orders)

    for action in ACTIONS.values():
        if action.update_name in available:
            continue
        arg = INPUTS[action.name]
        if action.name == "acknowledge" and status is OrderStatus.delivered:
            # Not offered because every work order is acknowledged; a repeat is answered (a retried request must
            # not fail), not refused - and it changes nothing, which is what matters here.
            answer = await orders.act(client, order_id, action.name, arg)
            assert "had already acknowledged" in answer.message
        else:
            with pytest.raises(OrderError) as refused:
                await orders.act(client, order_id, action.name, arg)
            assert refused.value.kind == "refused" and refused.value.message, (action.name, refused.value)
        after = await orders.order_status(client, order_id)
        assert after.model_dump(exclude={"timeline"}) == view.model_dump(exclude={"timeline"}), action.name
        # the order's own timers may send a message meanwhile (the feedback request after delivery): nothing else
        assert {e.kind for e in after.timeline[len(view.timeline):]} <= {"message"}, action.name
        view = after


async def test_an_expired_order_offers_nothing_and_refuses_everything(web, client, settings, monkeypatch):
    monkeypatch.setenv("ORDERLY_COMPLETION_REMINDER", "1")
    monkeypatch.setenv("ORDERLY_COMPLETION_EXPIRY", "2")
    await orders.submit_order(client, settings, sofa_form(order_id="AVAIL-EXPIRED", lines=[{"sku": "SOFA-3S"}]))
    assert (await orders.handle_for(client, "AVAIL-EXPIRED").result()).status is OrderStatus.expired
    assert await orders.available_actions(client, "AVAIL-EXPIRED") == []
    async with aclosing(await staff_session(web, "token-admin")) as http:
        assert await offered(http, "AVAIL-EXPIRED") == set()
    for action in ACTIONS.values():
        with pytest.raises(OrderError, match="expired and closed"):
            await orders.act(client, "AVAIL-EXPIRED", action.name, INPUTS[action.name])


def test_every_action_has_an_input_here_and_a_rule_in_the_workflow():
    from workflows.rules import RULES
    assert set(INPUTS) == set(ACTIONS)
    assert {a.update_name for a in ACTIONS.values()} == set(RULES)

