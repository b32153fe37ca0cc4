"""Accounts receivable records payments and refunds through the API: refused with the reason when they cannot be
taken, the order's money in its view, its console page and the customer's status page, and a cancellation after a
payment making a refund due that keeps the order in accounts receivable's queue (and its workflow open) until the
refund is recorded. Against the real dev server, a worker and the web app."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus

from models.links import sign
from models.order import OrderStatus
from starter import orders

from .conftest import distributed, messages_of, sofa_form, wait_for
from .test_web_pages import staff_session
from .test_work_queues import count_of, home_until, queue_of


@pytest.fixture(autouse=True)
def settle_before_closing(settings, monkeypatch):  # (after conftest's policy)
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "true")  # as by default (conftest turns it off for 1.0's)


def api(web: str, role: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=web, headers={"Authorization": f"Bearer token-{role}"}, timeout=30)


async def started(client, settings, engine, order_id: str):  # noqa: ANN001, ANN201
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    return await distributed(client, engine, order_id)


async def rows(engine, order_id: str) -> dict[str, list[str]]:  # noqa: ANN001
    from sqlalchemy import select

    from models.tables import QueueEntry
    table = QueueEntry.__table__
    with engine.connect() as conn:
        found = conn.execute(select(table.c.queue, table.c.note).where(table.c.order_id == order_id,
                                                                       table.c.party == "")).all()  # staff's
    return {queue: [n for q, n in found if q == queue] for queue, _ in found}


async def rows_until(engine, order_id: str, predicate, timeout: float = 30) -> dict[str, list[str]]:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate(found := await rows(engine, order_id)):
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.2)
    return found


async def test_payments_through_the_api_with_every_refusal_and_its_reason(web, client, settings, engine):
    order_id = "PAY-API"
    await started(client, settings, engine, order_id)
    today = date.today().isoformat()
    accounts, warehouse = api(web, "accounts"), api(web, "warehouse")
    url = f"/api/orders/{order_id}/payments"

    paid = await accounts.post(url, json={"amount": "500.00", "method": "bank_transfer", "reference": "BDO-7781",
                                          "received": today})
    assert paid.status_code == 200, paid.text
    assert "paid 500.00 USD of 1,890.00 USD, 1,390.00 USD still due" in paid.json()["message"]

    order = (await accounts.get(f"/api/orders/{order_id}")).json()
    assert (order["total"], order["paid"], order["balance_due"], order["refund_due"]) == (
        "1890.00", "500.00", "1390.00", "0.00")  # Decimal as text in JSON, never a float
    [payment] = order["payments"]
    assert payment["amount"] == "500.00" and payment["method"] == "bank_transfer" and payment["received"] == today
    assert payment["recorded_by"].startswith("accounts") and payment["currency"] == "USD"
    event = [e for e in order["timeline"] if e["kind"] == "payment"][0]
    assert "Payment 1 of 500.00 USD received" in event["text"] and "BDO-7781" in event["text"]

    refused = await warehouse.post(url, json={"amount": "1.00", "reference": "W-1"})
    assert refused.status_code == 403 and "needs one of: accounts, admin" in refused.json()["error"]["message"]
    for body, reason in [
        ({"amount": "0", "reference": "Z-1"}, "greater than 0"),
        ({"amount": "-5.00", "reference": "Z-2"}, "greater than 0"),
        ({"amount": "12.345", "reference": "Z-3"}, "no more than 2 decimal places"),
        ({"amount": "twelve", "reference": "Z-4"}, "must be an amount such as 12500.00"),
        ({"amount": True, "reference": "Z-5"}, "must be an amount such as 12500.00"),
        ({"amount": "10.00", "reference": "Z-6", "method": "cheque"}, "method"),
    ]:
        response = await accounts.post(url, json=body)
        assert response.status_code == 422 and reason in response.json()["error"]["message"], (body, response.text)
    for body, reason in [
        ({"amount": "10.00", "currency": "EUR", "reference": "E-1"}, "is in USD: a payment in EUR cannot be recorded"),
        ({"amount": "10.00", "reference": "bdo-7781"}, "Reference bdo-7781 is already recorded on order PAY-API"),
        ({"amount": "1390.01", "reference": "OVER-1"}, "is more than the balance due, 1,390.00 USD"),
        ({"amount": "10.00", "reference": "F-1", "received": (date.today() + timedelta(days=2)).isoformat()},
         "is in the future"),
    ]:
        response = await accounts.post(url, json=body)
        assert response.status_code == 409 and reason in response.json()["error"]["message"], (body, response.text)
    refund = await accounts.post(f"/api/orders/{order_id}/refunds", json={"amount": "10.00", "reference": "R-0"})
    assert refund.status_code == 409 and "has no refund due" in refund.json()["error"]["message"]

    admin = api(web, "admin")  # a JSON number is read by its digits; the currency may be named
    more = await admin.post(url, json={"amount": 90.1, "currency": "usd", "method": "e_wallet", "reference": "GC-1"})
    assert more.status_code == 200, more.text
    view = await orders.order_status(client, order_id)
    assert view.paid == Decimal("590.10") and view.balance_due == Decimal("1299.90")
    assert [p.reference for p in view.payments] == ["BDO-7781", "GC-1"]

    found = await rows_until(engine, order_id, lambda r: r.get("balance") == ["1,299.90 USD due of 1,890.00 USD"])
    assert "refunds" not in found
    for http in (accounts, warehouse, admin):
        await http.aclose()


async def test_a_cancellation_after_a_payment_makes_a_refund_due_held_until_it_is_recorded(web, client, settings,
                                                                                         engine):
    order_id = "PAY-CANCEL"
    await started(client, settings, engine, order_id)
    accounts, service = api(web, "accounts"), api(web, "customer-service")
    assert (await accounts.post(f"/api/orders/{order_id}/payments", json={
        "amount": "1000.00", "method": "card", "reference": "VISA-1"})).status_code == 200
    cancelled = await service.post(f"/api/orders/{order_id}/cancellation", json={"reason": "Moving abroad"})
    assert cancelled.status_code == 200, cancelled.text

    view = await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "cancellation_notice")))
    assert view.status is OrderStatus.cancelled
    assert (view.owed, view.paid, view.balance_due, view.refund_due) == (0, Decimal("1000.00"), 0, Decimal("1000.00"))
    [mail] = messages_of(engine, order_id, "cancellation_notice")
    assert "A refund of 1,000.00 USD, what you paid us, is on its way to you." in mail.text
    assert 'id="refund-coming"' in mail.html
    def to_accounts(view):  # noqa: ANN001, ANN202  (the departments hear after the customer)
        return [m for m in messages_of(engine, order_id, "work_order_cancelled") if m.recipient.startswith("accounts@")]
    await wait_for(client, order_id, to_accounts)
    [accounts_notice] = to_accounts(None)
    assert "The customer paid 1,000.00 USD: a refund of 1,000.00 USD is due." in accounts_notice.text

    await rows_until(engine, order_id, lambda r: r.get("refunds") == [
        "refund 1,000.00 USD (paid 1,000.00 USD, refunded 0.00 USD)"])
    console = await staff_session(web, "token-accounts")
    home = await home_until(console, lambda h: order_id in queue_of(h, "refunds"))
    assert count_of(home, "refunds") >= 1 and order_id not in queue_of(home, "balance")
    page = (await console.get(f"/staff/orders/{order_id}")).text
    assert 'id="refund-due">refund due 1,000.00' in page and 'data-reference="VISA-1"' in page
    assert 'id="action-refund"' in page and 'value="1000.00"' in page.split('id="action-refund"')[1]
    status = await orders.order_status(client, order_id)
    assert (await orders.handle_for(client, order_id).describe()).status is WorkflowExecutionStatus.RUNNING

    refunds = f"/api/orders/{order_id}/refunds"
    too_much = await accounts.post(refunds, json={"amount": "1000.01", "reference": "RF-1"})
    assert too_much.status_code == 409
    assert "is more than the refund due, 1,000.00 USD (paid 1,000.00 USD" in too_much.json()["error"]["message"]
    duplicate = await accounts.post(refunds, json={"amount": "10.00", "reference": "VISA-1"})
    assert duplicate.status_code == 409 and "already recorded" in duplicate.json()["error"]["message"]
    part = await accounts.post(refunds, json={"amount": "400.00", "method": "card", "reference": "RF-1"})
    assert part.status_code == 200 and "600.00 USD still to refund" in part.json()["message"]
    await rows_until(engine, order_id, lambda r: r.get("refunds") == [
        "refund 600.00 USD (paid 1,000.00 USD, refunded 400.00 USD)"])
    assert (await orders.handle_for(client, order_id).describe()).status is WorkflowExecutionStatus.RUNNING

    rest = await accounts.post(refunds, json={"amount": "600.00", "method": "card", "reference": "RF-2"})
    assert rest.status_code == 200 and "nothing more to refund" in rest.json()["message"]
    outcome = await orders.handle_for(client, order_id).result()
    assert outcome.status is OrderStatus.cancelled
    assert await rows_until(engine, order_id, lambda r: not r) == {}
    home = await home_until(console, lambda h: order_id not in queue_of(h, "refunds"))
    view = await orders.order_status(client, order_id)
    assert view.refunded == Decimal("1000.00") and view.refund_due == 0
    assert [e.kind for e in view.timeline][-2:] == ["refund", "settled"]
    assert status.refund_due == Decimal("1000.00")
    for http in (accounts, service, console):
        await http.aclose()


async def test_the_customer_reads_what_was_paid_and_what_is_due(web, client, settings, engine):
    order_id = "PAY-PAGE"
    await started(client, settings, engine, order_id)
    await orders.act(client, order_id, "payment", orders_payment("700.00", "GCASH-9"))
    await wait_for(client, order_id, lambda v: v.paid > 0)
    path = f"/orders/{order_id}?t={sign(settings.secret_key.get_secret_value(), order_id, 'status')}"
    async with httpx.AsyncClient(base_url=web) as http:
        page = (await http.get(path)).text
    assert "Paid 700.00 USD of 1,890.00 USD, 1,190.00 USD due." in page
    assert "We received your payment of 700.00 USD" in page
    assert "GCASH-9" not in page and "recorded by" not in page  # staff details stay with staff


def orders_payment(amount: str, reference: str):  # noqa: ANN201
    from models.money import Payment
    return Payment(amount=amount, reference=reference, method="e_wallet")


async def test_the_filipino_customer_reads_it_in_filipino_and_hears_of_the_refund(web, client, settings, engine):
    order_id = "PAY-FIL"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id, language="fil"))
    await distributed(client, engine, order_id)
    await orders.act(client, order_id, "payment", orders_payment("700.00", "GCASH-10"))
    path = f"/orders/{order_id}?t={sign(settings.secret_key.get_secret_value(), order_id, 'status')}"
    async with httpx.AsyncClient(base_url=web) as http:
        page = (await http.get(path)).text
    assert "Nabayaran na ang" in page and "Natanggap namin ang bayad ninyong" in page
    assert "Paid " not in page and "We received your payment" not in page
    await orders.act(client, order_id, "cancel", orders_cancellation())
    await wait_for(client, order_id, lambda v: bool(messages_of(engine, order_id, "cancellation_notice")))
    [mail] = messages_of(engine, order_id, "cancellation_notice")
    assert "Parating na sa inyo ang refund na" in mail.text and "700.00" in mail.text


def orders_cancellation():  # noqa: ANN201
    from models.order import Cancellation
    return Cancellation(reason="Lilipat kami")


async def test_a_correction_that_lowers_a_paid_total_makes_a_refund_due_on_an_open_order(web, client, settings,
                                                                                        engine):
    from models.amendments import Amendment
    order_id = "PAY-AMEND"
    two = {"sku": "SOFA-3S", "quantity": 2, "options": {"fabric": "velvet", "color": "olive"}}
    await orders.submit_order(client, settings, sofa_form(order_id=order_id, lines=[two]))
    await distributed(client, engine, order_id)
    accounts = api(web, "accounts")
    paid = await accounts.post(f"/api/orders/{order_id}/payments", json={"amount": "3780.00", "reference": "BDO-2"})
    assert paid.status_code == 200 and "paid in full" in paid.json()["message"]
    await rows_until(engine, order_id, lambda r: "balance" not in r)

    await orders.act(client, order_id, "amend", Amendment(form=sofa_form(lines=[{**two, "quantity": 1}]),
                                                          reason="One sofa is enough"))
    view = await wait_for(client, order_id, lambda v: v.total == Decimal("1890.00"))
    assert view.status is OrderStatus.confirmed and (view.balance_due, view.refund_due) == (0, Decimal("1890.00"))
    await rows_until(engine, order_id, lambda r: r.get("refunds") == [
        "refund 1,890.00 USD (paid 3,780.00 USD, refunded 0.00 USD)"])
    refund = await accounts.post(f"/api/orders/{order_id}/refunds", json={"amount": "1890.00", "reference": "RF-2"})
    assert refund.status_code == 200, refund.text
    await rows_until(engine, order_id, lambda r: "refunds" not in r and "balance" not in r)
    view = await orders.order_status(client, order_id)
    assert (view.paid, view.refunded, view.balance_due, view.refund_due) == (
        Decimal("3780.00"), Decimal("1890.00"), 0, 0)
    await accounts.aclose()


async def test_two_payments_at_the_same_moment_are_decided_one_after_the_other(web, client, settings, engine):
    """Each is decided by its rule when it is taken, not only when it was validated: the same reference twice at
    once records one payment; two payments of the whole balance at once record one and refuse the other."""
    order_id = "PAY-TWICE"
    await started(client, settings, engine, order_id)
    accounts = api(web, "accounts")
    url = f"/api/orders/{order_id}/payments"
    same = await asyncio.gather(*(accounts.post(url, json={"amount": "100.00", "reference": "SAME-1"})
                                  for _ in range(2)))
    assert sorted(r.status_code for r in same) == [200, 409], [r.text for r in same]
    assert "Reference SAME-1 is already recorded" in next(r for r in same if r.status_code == 409).text
    whole = await asyncio.gather(*(accounts.post(url, json={"amount": "1790.00", "reference": f"ALL-{n}"})
                                   for n in range(2)))
    assert sorted(r.status_code for r in whole) == [200, 409], [r.text for r in whole]
    view = await orders.order_status(client, order_id)
    assert view.paid == Decimal("1890.00") and view.balance_due == 0 and len(view.payments) == 2
    await accounts.aclose()
