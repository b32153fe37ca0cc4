"""The order's invoice, a printable page for accounts receivable (issue 27): the company, who is billed and where it
ships, each line with its unit price and amount, the total, every payment and refund recorded, and what is still due
either way — from the order's own view, so it always agrees with the order page and the timeline.

- `/staff/orders/<id>/invoice`: accounts, customer service and admin (`invoice` in `starter/actions.py`). An order
  whose form is not complete has no total yet, and so no invoice: refused with the reason.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from models.money import METHOD_LABELS
from models.order import OrderStatus

from .console import order_for, require_staff, today
from .pages import Refusal, render


def router() -> APIRouter:
    console = APIRouter(prefix="/staff", include_in_schema=False)

    @console.get("/orders/{order_id}/invoice", response_class=HTMLResponse)
    async def invoice(order_id: str, request: Request) -> HTMLResponse:
        caller = require_staff(request, "invoice")
        view = await order_for(request, caller, order_id)
        if not view.lines:
            raise Refusal(409, "No invoice yet", f"Order {order_id} is {view.status.value}: its form is not "
                          "complete, so it has no total to invoice.", f"/staff/orders/{order_id}", "Back to the order")
        return render(request, "invoice.html", staff=caller, order=view, methods=METHOD_LABELS, today=today(request),
                      cancelled=view.status is OrderStatus.cancelled, settings=request.app.state.settings)

    return console
