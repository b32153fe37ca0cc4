"""`orderly payment` and `orderly refund`, and a completed order with a balance due that stays in accounts
receivable's queue (its workflow open) until it is paid and accounts receivable has acknowledged its work order.
Real `orderly` processes, the dev server, a worker and the web app."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowExecutionStatus

from models.order import Acknowledgement, Cancellation, FeedbackEntry, OrderStatus, Shipment
from starter import orders
from starter.orders import OrderError

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_bad_input import cli
from .test_payments import rows_until
from .test_web_pages import staff_session
from .test_work_queues import home_until, queue_of


@pytest.fixture(autouse=True)
def settle_before_closing(settings, monkeypatch):  # (after conftest's policy)
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "true")


@pytest.mark.usefixtures("worker")
async def test_cli_payment_and_refund_with_their_refusals(client, settings, engine):
    await orders.submit_order(client, settings, sofa_form(order_id="CLI-PAY"))
    await distributed(client, engine, "CLI-PAY")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    code, out, err = await cli(client, settings, "payment", "CLI-PAY", "--amount", "1250.00", "--method",
                               "bank_transfer", "--reference", "BDO-7781", "--received", yesterday, "--json")
    assert code == 0, err
    assert "paid 1,250.00 USD of 1,890.00 USD, 640.00 USD still due" in json.loads(out)["message"]
    view = await orders.order_status(client, "CLI-PAY")
    [payment] = view.payments
    assert (payment.amount, payment.reference, payment.received.isoformat()) == (Decimal("1250.00"), "BDO-7781",
                                                                                  yesterday)

    for args, reason in [
        (("--amount", "10.00", "--reference", "BDO-7781"), "Reference BDO-7781 is already recorded"),
        (("--amount", "700.00", "--reference", "X-2"), "is more than the balance due, 640.00 USD"),
        (("--amount", "10.00", "--reference", "X-3", "--currency", "PHP"), "a payment in PHP cannot be recorded"),
        (("--amount", "1.005", "--reference", "X-4"), "no more than 2 decimal places"),
        (("--amount", "ten", "--reference", "X-5"), "must be an amount such as 12500.00"),
        (("--amount", "10", "--reference", "X-6", "--method", "barter"), "method"),
    ]:
        code, out, err = await cli(client, settings, "payment", "CLI-PAY", *args)
        assert code == 1 and reason in err, (args, out, err)
    code, out, err = await cli(client, settings, "refund", "CLI-PAY", "--amount", "5.00", "--reference", "R-1")
    assert code == 1 and "Order CLI-PAY has no refund due" in err, err

    await orders.act(client, "CLI-PAY", "cancel", Cancellation(reason="Found one elsewhere"))
    await wait_for(client, "CLI-PAY", lambda v: bool(messages_of(engine, "CLI-PAY", "cancellation_notice")))
    code, out, err = await cli(client, settings, "refund", "CLI-PAY", "--amount", "1300.00", "--reference", "R-1")
    assert code == 1 and "more than the refund due, 1,250.00 USD" in err, err
    code, out, err = await cli(client, settings, "refund", "CLI-PAY", "--amount", "1250.00", "--method", "cash",
                               "--reference", "R-1")
    assert code == 0 and "nothing more to refund" in out, err
    assert (await orders.handle_for(client, "CLI-PAY").result()).status is OrderStatus.cancelled


async def test_a_completed_order_with_a_balance_stays_in_the_queue_until_settled(web, client, settings, engine):
    order_id = "PAY-COMPLETED"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    view = await distributed(client, engine, order_id)
    await orders.act(client, order_id, "acknowledge", Acknowledgement(department="warehouse"))
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z-PAY",
                                                         expected_delivery_date=view.received_at.date()
                                                         + timedelta(days=20)))
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
    await orders.act(client, order_id, "feedback", FeedbackEntry(rating=5))
    view = await wait_for(client, order_id, lambda v: any(e.kind == "awaiting_settlement" for e in v.timeline))
    assert view.status is OrderStatus.completed and view.balance_due == Decimal("1890.00")
    handle = orders.handle_for(client, order_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING  # held for accounts receivable

    found = await rows_until(engine, order_id, lambda r: "balance" in r and "wo" in r)
    assert found == {"balance": ["1,890.00 USD due of 1,890.00 USD"], "wo": ["completed"]}
    accounts = await staff_session(web, "token-accounts")
    home = await home_until(accounts, lambda h: order_id in queue_of(h, "balance"))
    entry = queue_of(home, "balance").split(f'data-order="{order_id}"')[1].split("</li>")[0]
    assert "completed" in entry and "(0 days)" in entry and "1,890.00 USD due" in entry
    assert order_id in queue_of(home, "wo-accounts-receivable")
    page = (await accounts.get(f"/staff/orders/{order_id}")).text
    assert 'id="action-payment"' in page and 'id="action-acknowledge"' in page

    with pytest.raises(OrderError, match="it is completed"):  # the warehouse's part of it is over
        await orders.act(client, order_id, "acknowledge", Acknowledgement(department="warehouse"))
    code, out, err = await cli(client, settings, "payment", order_id, "--amount", "1890.00", "--method", "card",
                               "--reference", "VISA-42")
    assert code == 0 and "paid in full" in out, err
    await rows_until(engine, order_id, lambda r: r == {"wo": ["completed"]})
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING, "its work order still waits"

    await orders.act(client, order_id, "acknowledge", Acknowledgement(department="accounts-receivable"))
    assert (await handle.result()).status is OrderStatus.completed
    assert await rows_until(engine, order_id, lambda r: not r) == {}
    await home_until(accounts, lambda h: order_id not in queue_of(h, "balance")
                     and order_id not in queue_of(h, "wo-accounts-receivable"))
    await accounts.aclose()


@pytest.mark.usefixtures("worker")
async def test_with_payments_taken_elsewhere_a_completed_order_closes_and_leaves_no_queue_entry(
        client, settings, engine, monkeypatch):
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "false")  # a web shop's checkout took the money
    order_id = "PAY-ELSEWHERE"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    view = await distributed(client, engine, order_id)
    await rows_until(engine, order_id, lambda r: "balance" in r)  # while it runs, the balance is shown
    await orders.act(client, order_id, "ship", Shipment(carrier="UPS", tracking_number="1Z-ELSE",
                                                         expected_delivery_date=view.received_at.date()
                                                         + timedelta(days=20)))
    await orders.act(client, order_id, "deliver")
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "feedback_request")))
    await orders.act(client, order_id, "feedback", FeedbackEntry(rating=4))
    assert (await orders.handle_for(client, order_id).result()).status is OrderStatus.completed
    view = await orders.order_status(client, order_id)
    assert view.money_outside and view.timeline[-1].kind == "settled"
    assert await rows_until(engine, order_id, lambda r: not r) == {}
