"""Customer pages reached through the signed links in their emails.

Each link is bound to one order and one purpose and expires; a tampered, expired or other-order link is refused
with a page saying so. (The order form, form completion and survey pages come next; see issue 3.)
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from models.links import LinkError, verify

from . import orders
from .orders import OrderError

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
CUSTOMER_EVENTS = ("received", "status:", "accepted", "form_completed", "feedback")


def page_context(request: Request, **values) -> dict:
    s = request.app.state.settings
    return {"company": s.company_name, "contact": f"{s.company_email} · {s.company_phone}", **values}


def refused(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "refused.html", page_context(request, heading=heading,
                                                                             message=message), status_code=status)


def router() -> APIRouter:
    pages = APIRouter()

    @pages.get("/orders/{order_id}", response_class=HTMLResponse, include_in_schema=False)
    async def order_status_page(order_id: str, request: Request, t: str = "") -> HTMLResponse:
        settings = request.app.state.settings
        try:
            verify(settings.secret_key.get_secret_value(), t, order_id, "status",
                   settings.link_max_age.total_seconds())
        except LinkError as e:
            return refused(request, 403, "This link cannot be used", e.message)
        try:
            view = await orders.order_status(request.app.state.client, order_id)
        except OrderError:
            return refused(request, 404, "Order not found", "We could not find this order.")
        timeline = [e for e in view.timeline if e.kind.startswith(CUSTOMER_EVENTS)]
        return templates.TemplateResponse(request, "status.html", page_context(request, order=view,
                                                                                timeline=timeline))

    return pages
