"""Accounts receivable works its queue in a real headless Chromium (as tests/test_browser.py): the balance due, a
payment recorded from the order page (and a duplicate refused with its reason), the payments table; after a
cancellation, the refund due, recorded from the console, and the order leaving the refunds queue."""

from __future__ import annotations

import pytest

from models.order import Cancellation
from starter import orders

from .conftest import distributed, sofa_form, wait_for
from .test_browser import chromium, shot  # noqa: F401  (the fixture)
from .test_browser_queues import reload_until, sign_in


@pytest.fixture(autouse=True)
def settle_before_closing(settings, monkeypatch):
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "true")


async def test_accounts_receivable_records_a_payment_and_a_refund_in_the_console(chromium, web, client, settings,
                                                                                engine):
    order_id = "PAY-BROWSER"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    await distributed(client, engine, order_id)

    clerk = await sign_in(chromium, web, "token-accounts")
    entry = f"#queue-balance li[data-order='{order_id}']"
    await reload_until(clerk, entry)
    text = await clerk.locator(entry).inner_text()
    assert "1,890.00 USD due of 1,890.00 USD" in text and "(0 days)" in text and "confirmed" in text
    await clerk.click(f"{entry} a")
    await clerk.wait_for_selector("#action-payment")
    assert await clerk.locator("#payment-amount").input_value() == "1890.00"  # the balance due, filled in
    assert "No payments recorded." in await clerk.locator("#payments").inner_text()

    await clerk.fill("#payment-amount", "1000.00")
    await clerk.select_option("#payment-method", "cash")
    await clerk.fill("#payment-reference", "OR-77")
    await clerk.click("#action-payment button[type=submit]")
    await clerk.wait_for_selector("#action-ok")
    assert "890.00 USD still due" in await clerk.locator("#action-ok").inner_text()
    await shot(clerk, "console-payments")
    row = await clerk.locator("#payments tr[data-reference='OR-77']").inner_text()
    assert "1,000.00 USD" in row and "cash" in row and "accounts" in row
    assert await clerk.locator("#balance-due").inner_text() == "890.00"

    await clerk.click("#invoice-link")  # the invoice, printable: the line, the payment, what is still due
    await clerk.wait_for_selector("#invoice")
    lines = await clerk.locator("#invoice-lines").inner_text()
    assert "1,890.00 USD" in lines and await clerk.locator("#invoice-total").inner_text() == "1,890.00 USD"
    assert "OR-77" in await clerk.locator("#invoice-payments").inner_text()
    assert await clerk.locator("#invoice-balance").inner_text() == "890.00 USD"
    await shot(clerk, "console-invoice")
    await clerk.go_back()
    await clerk.wait_for_selector("#action-payment")

    await clerk.fill("#payment-amount", "10.00")
    await clerk.fill("#payment-reference", "or-77")
    await clerk.click("#action-payment button[type=submit]")
    await clerk.wait_for_selector("#action-error")
    assert "Reference or-77 is already recorded on order PAY-BROWSER" in await clerk.locator(
        "#action-error").inner_text()

    await orders.act(client, order_id, "cancel", Cancellation(reason="The customer moved abroad"))
    await wait_for(client, order_id, lambda v: v.refund_due > 0 and any(e.kind == "awaiting_settlement"
                                                                          for e in v.timeline))
    await clerk.goto(web + "/staff")
    refund_entry = f"#queue-refunds li[data-order='{order_id}']"
    await reload_until(clerk, refund_entry)
    assert await clerk.locator(f"#queue-balance li[data-order='{order_id}']").count() == 0
    await clerk.click(f"{refund_entry} a")
    await clerk.wait_for_selector("#action-refund")
    assert await clerk.locator("#refund-amount").input_value() == "1000.00"  # the refund due, filled in
    await clerk.select_option("#refund-method", "cash")
    await clerk.fill("#refund-reference", "RF-77")
    await clerk.click("#action-refund button[type=submit]")
    await clerk.wait_for_selector("#action-ok")
    assert "nothing more to refund" in await clerk.locator("#action-ok").inner_text()
    await orders.handle_for(client, order_id).result()  # settled: the order closes

    await clerk.goto(web + "/staff")
    for _ in range(100):
        if await clerk.locator(refund_entry).count() == 0:
            break
        await clerk.wait_for_timeout(200)
        await clerk.reload()
    assert await clerk.locator(refund_entry).count() == 0
    await clerk.close()
