"""The order's invoice (issue 27, optional part): a printable page of the lines with their prices, the total, every
payment and refund recorded and what is still due either way, for accounts receivable, customer service and admin.
Against the real dev server, a worker and the web app."""

from __future__ import annotations

import re

import pytest

from models.order import Cancellation
from starter import orders

from .conftest import distributed, sofa_form, wait_for
from .test_payments import api
from .test_web_pages import staff_session


@pytest.fixture(autouse=True)
def settle_before_closing(settings, monkeypatch):  # (after conftest's policy)
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "true")


def cell(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</t[dr]>', page, re.S)
    assert found, f"no #{element_id} in the invoice"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


async def test_the_invoice_shows_the_lines_the_payments_and_what_is_due(web, client, settings, engine):
    order_id = "INV-1"
    await orders.submit_order(client, settings, sofa_form(order_id=order_id))
    await distributed(client, engine, order_id)
    accounts = api(web, "accounts")
    assert (await accounts.post(f"/api/orders/{order_id}/payments", json={
        "amount": "500.00", "method": "bank_transfer", "reference": "BDO-7781"})).status_code == 200

    console = await staff_session(web, "token-accounts")
    order_page = (await console.get(f"/staff/orders/{order_id}")).text
    assert f'id="invoice-link" href="/staff/orders/{order_id}/invoice"' in order_page
    page = (await console.get(f"/staff/orders/{order_id}/invoice")).text
    view = await orders.order_status(client, order_id)
    [line] = view.lines
    assert f"{line.unit_price:,.2f} USD" in page and line.name in page and settings.company_address in page
    assert view.customer.name in cell(page, "bill-to") and cell(page, "invoice-total") == "1,890.00 USD"
    assert "BDO-7781" in page and "bank transfer" in page
    assert cell(page, "invoice-paid") == "500.00 USD" and cell(page, "invoice-balance") == "1,390.00 USD"
    assert 'id="invoice-settled"' not in page

    await orders.act(client, order_id, "cancel", Cancellation(reason="The customer moved abroad"))
    await wait_for(client, order_id, lambda v: v.refund_due > 0)
    page = (await console.get(f"/staff/orders/{order_id}/invoice")).text
    assert "(order cancelled)" in page and cell(page, "invoice-refund-due") == "500.00 USD"
    assert 'id="invoice-balance"' not in page
    assert (await accounts.post(f"/api/orders/{order_id}/refunds", json={
        "amount": "500.00", "method": "bank_transfer", "reference": "RF-1"})).status_code == 200
    await orders.handle_for(client, order_id).result()  # settled: the order closes, its invoice stays readable
    page = (await console.get(f"/staff/orders/{order_id}/invoice")).text
    assert "RF-1" in page and "&minus;500.00 USD" in page and cell(page, "invoice-paid") == "0.00 USD"
    assert 'id="invoice-settled"' in page
    await console.aclose()
    await accounts.aclose()


async def test_no_invoice_for_an_incomplete_form_nor_for_the_warehouse(web, client, settings, engine):
    order_id = "INV-INCOMPLETE"
    form = sofa_form(order_id=order_id)
    form.lines[0].options.pop("fabric")
    await orders.submit_order(client, settings, form)
    await wait_for(client, order_id, lambda v: v.status.value == "incomplete")
    service = await staff_session(web, "token-customer-service")
    refused = await service.get(f"/staff/orders/{order_id}/invoice")
    assert refused.status_code == 409 and "its form is not complete, so it has no total to invoice" in refused.text
    assert 'id="invoice-link"' not in (await service.get(f"/staff/orders/{order_id}")).text
    await service.aclose()
    warehouse = await staff_session(web, "token-warehouse")
    assert (await warehouse.get(f"/staff/orders/{order_id}/invoice")).status_code == 403
    await warehouse.aclose()
