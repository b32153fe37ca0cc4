"""The deposit policy (ORDERLY_DEPOSIT_PERCENT): the made-to-order bookcase's work order waits for the deposit, its
dates count from the day it arrives, the stocked sofa goes ahead at once; the confirmation states the deposit and
how to pay (English and Filipino); a deposit not received by the deadline reminds the customer once and alerts
accounts receivable (on the time-skipping server)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from models.calendar import business_days_after
from models.money import Payment
from models.order import OrderStatus
from starter import orders
from store.queue_rows import queue_entries

from .conftest import messages_of, running_worker, sofa_form, wait_for
from .test_payments import rows_until
from .test_timers import business_settings, skipping_env  # noqa: F401  (fixtures)

BOOKCASE = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
SOFA = {"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}


@pytest.fixture(autouse=True)
def deposit_policy(monkeypatch):
    monkeypatch.setenv("ORDERLY_DEPOSIT_PERCENT", "50")
    monkeypatch.setenv("ORDERLY_DEPOSIT_DEADLINE", "P7D")


def form(order_id: str, **changes):  # noqa: ANN201
    return sofa_form(order_id=order_id, lines=[SOFA, BOOKCASE], **changes)


def payment(amount: str, reference: str) -> Payment:
    return Payment(amount=amount, reference=reference, method="bank_transfer")


async def sent(engine, order_id: str, kind: str, count: int = 1, timeout: float = 30) -> list:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while len(found := [m for m in messages_of(engine, order_id, kind) if m.status == "sent"]) < count:
        assert asyncio.get_running_loop().time() < deadline, (kind, found)
        await asyncio.sleep(0.2)
    return found


async def test_the_makers_work_order_waits_for_the_deposit_and_its_dates_count_from_it(client, settings, engine,
                                                                                       worker):
    order_id = "DEP-1"
    await orders.submit_order(client, settings, form(order_id))
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.deposit_due == Decimal("1050.00") and view.deposit_status == "awaited"  # 50% of the 2,100 bookcase
    assert set(view.work_orders) == {"warehouse", "accounts-receivable"}
    [accounts] = [m for m in await sent(engine, order_id, "work_order", 2)
                  if m.recipient == "accounts@orderly.example"]
    assert "Deposit due first: 1,050.00 USD" in accounts.text and "awaiting the deposit" in accounts.text
    [confirmation] = await sent(engine, order_id, "order_confirmation")
    assert "your deposit is due by" in confirmation.subject
    assert "Deposit due: 1,050.00 USD" in confirmation.text
    assert "BDO account 0012-3456-7890" in confirmation.text
    assert ("- Three-seat sofa: by " in confirmation.text and "\n- Made-to-measure bookcase, made for you by Nordwood "
            "Joinery: 20 business days after your deposit arrives\nWe will write again" in confirmation.text)
    bookcase = view.part_for("nordwood")
    assert bookcase.awaiting_deposit
    assert view.next_fulfillment_date == view.part_for("warehouse").expected_fulfillment_date  # the held one has none
    past = view.model_copy(update={"expected_fulfillment_date": date(2020, 1, 2)})  # (its date provisional)
    assert "overdue" not in {row["queue"] for row in queue_entries(past)}, "never overdue for the held part"
    found = await rows_until(engine, order_id, lambda r: "deposit" in r)  # accounts receivable's queue
    assert found["deposit"] == ["deposit 1,050.00 USD awaited (paid 0.00 USD)"], found

    await orders.act(client, order_id, "payment", payment("500.00", "BDO-1"))  # below the deposit: still held
    view = await wait_for(client, order_id, lambda v: v.paid == Decimal("500.00"))
    await asyncio.sleep(1)
    assert view.part_for("nordwood").awaiting_deposit and "nordwood" not in view.work_orders
    assert not [m for m in messages_of(engine, order_id, "work_order") if m.recipient != "warehouse@orderly.example"
                and m.recipient != "accounts@orderly.example"]

    await orders.act(client, order_id, "payment", payment("550.00", "BDO-2"))  # the deposit is in
    view = await wait_for(client, order_id, lambda v: "nordwood" in v.work_orders)
    assert view.deposit_status == "received"
    await rows_until(engine, order_id, lambda r: "deposit" not in r and "balance" in r)
    part = view.part_for("nordwood")
    deposit_day = view.deposit_received_at.astimezone(__import__("zoneinfo").ZoneInfo(settings.company_timezone))
    assert part.expected_fulfillment_date >= business_days_after(deposit_day.date(), 20)
    assert not part.awaiting_deposit and part.handover_date < part.expected_fulfillment_date
    past = view.model_copy(update={"expected_fulfillment_date": date(2020, 1, 2)})
    assert "overdue" in {row["queue"] for row in queue_entries(past)}, "dated now: overdue once its date passes"
    makers = await sent(engine, order_id, "work_order", 3)
    assert {m.recipient for m in makers} >= {"warehouse@orderly.example", "accounts@orderly.example"}
    assert view.original_fulfillment_date == view.expected_fulfillment_date == part.expected_fulfillment_date, (
        "the order's first promise is the one made when the deposit arrived")
    [told] = await sent(engine, order_id, "deposit_received")
    assert told.recipient == "ada@example.com"
    assert f"{part.expected_fulfillment_date.day} {part.expected_fulfillment_date:%B %Y}" in told.text


async def test_the_filipino_confirmation_states_the_deposit_and_how_to_pay(client, settings, engine, worker):
    order_id = "DEP-FIL"
    await orders.submit_order(client, settings, form(order_id, language="fil"))
    [confirmation] = await sent(engine, order_id, "order_confirmation")
    assert "1,050.00" in confirmation.text and "Bank transfer sa BDO" in confirmation.text
    assert "Deposit na babayaran: " in confirmation.text and "Deposit due" not in confirmation.text


async def test_an_order_of_stocked_parts_asks_no_deposit(client, settings, engine, worker):
    order_id = "DEP-STOCK"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed)
    assert view.deposit_due == 0 and view.deposit_status == ""
    [confirmation] = await sent(engine, order_id, "order_confirmation")
    assert "Deposit" not in confirmation.text


async def test_a_deposit_not_received_by_the_deadline_reminds_once_and_alerts_accounts(skipping_env,  # noqa: F811
                                                                                       business_settings, engine):
    client = skipping_env.client
    async with running_worker(client, business_settings):
        await orders.submit_order(client, business_settings, form("DEP-LATE"))
        await wait_for(client, "DEP-LATE", lambda v: v.status is OrderStatus.confirmed)
        await skipping_env.sleep(timedelta(days=8))
        await wait_for(client, "DEP-LATE", lambda v: v.deposit_reminded_at is not None)
        [reminder] = await sent(engine, "DEP-LATE", "deposit_reminder")
        assert reminder.recipient == "ada@example.com" and "1,050.00 USD" in reminder.text
        [alert] = await sent(engine, "DEP-LATE", "deposit_overdue_alert")
        assert alert.recipient == "accounts@orderly.example"
        # the held bookcase is never late: no late notice for it, and no second reminder
        await skipping_env.sleep(timedelta(days=10))
        assert len(messages_of(engine, "DEP-LATE", "deposit_reminder")) == 1
        late = messages_of(engine, "DEP-LATE", "late_notice")  # the sofa, stocked, is late by now; not the bookcase
        assert late and all("Bookcase" not in m.text for m in late), [m.text for m in late]
        view = await orders.order_status(client, "DEP-LATE")
        assert view.part_for("nordwood").awaiting_deposit and "nordwood" not in view.work_orders


async def test_cancelling_while_the_deposit_is_awaited_tells_only_who_had_a_work_order(client, settings, engine,
                                                                                        worker):
    order_id = "DEP-CANCEL"
    await orders.submit_order(client, settings, form(order_id))
    await sent(engine, order_id, "work_order", 2)
    from models.order import Cancellation
    await orders.act(client, order_id, "cancel", Cancellation(reason="changed plans"))
    cancelled = await sent(engine, order_id, "work_order_cancelled", 2)
    assert {m.recipient for m in cancelled} == {"warehouse@orderly.example", "accounts@orderly.example"}
    view = await wait_for(client, order_id, lambda v: v.status is OrderStatus.cancelled)
    assert "nordwood" not in view.work_orders
    await rows_until(engine, order_id, lambda r: "deposit" not in r)  # nothing awaited from a cancelled order
    assert not messages_of(engine, order_id, "deposit_received")


async def test_the_deposit_on_the_api_the_console_and_the_customers_page(web, client, settings, engine):
    import httpx

    from models.links import sign

    from .test_payments import api
    from .test_web_pages import staff_session
    order_id = "DEP-PAGES"
    await orders.submit_order(client, settings, form(order_id))
    await sent(engine, order_id, "work_order", 2)
    async with api(web, "accounts") as accounts:
        order = (await accounts.get(f"/api/orders/{order_id}")).json()
    assert order["deposit_due"] == "1050.00" and order["deposit_status"] == "awaited", order
    console = await staff_session(web, "token-accounts")
    page = (await console.get(f"/staff/orders/{order_id}")).text
    assert "deposit 1,050.00 awaited" in page and "awaiting the deposit" in page
    home = (await console.get("/staff")).text
    assert "Deposits awaited" in home and "deposit 1,050.00 USD awaited" in home
    await console.aclose()
    path = f"/orders/{order_id}?t={sign(settings.secret_key.get_secret_value(), order_id, 'status')}"
    async with httpx.AsyncClient(base_url=web) as http:
        status = (await http.get(path)).text
    assert "A deposit of 1,050.00 USD is due before we start making" in status
    # no date is promised for the held bookcase until the deposit arrives: the page says when it will be ready instead
    assert "Expected fulfillment date: 20 business days after your deposit arrives" in status
    assert "Made-to-measure bookcase: 20 business days after your deposit arrives" in status
    held = (await orders.order_status(client, order_id)).part_for("nordwood").expected_fulfillment_date
    assert f"{held.day} {held:%B %Y}" not in status


async def test_a_correction_while_the_deposit_is_awaited_keeps_the_part_held_and_reprices_it(client, settings,
                                                                                               engine, worker):
    from models.amendments import Amendment
    order_id = "DEP-AMEND"
    await orders.submit_order(client, settings, form(order_id))
    await sent(engine, order_id, "work_order", 2)
    await orders.act(client, order_id, "amend", Amendment(form=sofa_form(lines=[SOFA, {**BOOKCASE, "quantity": 2}]),
                                                          reason="Two bookcases"))
    view = await wait_for(client, order_id, lambda v: v.deposit_due == Decimal("2100.00"))
    assert view.part_for("nordwood").awaiting_deposit and "nordwood" not in view.work_orders
    await orders.act(client, order_id, "payment", payment("2100.00", "BDO-A1"))
    view = await wait_for(client, order_id, lambda v: "nordwood" in v.work_orders)
    assert not view.part_for("nordwood").awaiting_deposit
    await sent(engine, order_id, "deposit_received")
