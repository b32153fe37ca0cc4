"""The staff console's "Complete the form" (`/staff/orders/<id>/form`): customer service completes an incomplete
order with the details the customer gave by phone or by reply.

The page is the order form pre-filled with the form as submitted, each problem beside its field (as the customer's
completion page shows it, in the company's language: staff read it); what is posted goes through the same check as every other entry (`read_post`, the whole
form check) and then the workflow's own `complete_form` update, the actions table's row, with the signed-in person as
the actor: the timeline says "The missing details arrived from customer-service (Ana Reyes)". A form still missing
something comes back with its problems and everything typed kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models.order import FormCompletion, OrderStatus

from . import orders
from .actions import ACTIONS
from .auth import Caller
from .console import require_staff, with_flash
from .order_form import page_for, read_post
from .orders import OrderError
from .pages import Refusal, posted_form, redirect, render
from .web import as_refusal

ACTION = ACTIONS["complete_form"]


def router() -> APIRouter:
    console = APIRouter(prefix="/staff", include_in_schema=False)

    def form_page(request: Request, caller: Caller, order_id: str, page, status: int = 200,  # noqa: ANN001
                  refused: str = "") -> HTMLResponse:
        return render(request, "order_form.html", status, staff=caller, form=page, catalog=request.app.state.catalog,
                      heading=f"{ACTION.label}: order {order_id}", action=f"/staff/orders/{order_id}/{ACTION.path}",
                      submit_label="Send the completed form", fixed_lines=True, refused=refused)

    async def incomplete(request: Request, order_id: str):  # noqa: ANN202
        try:
            view = await orders.order_status(request.app.state.client, order_id)
        except OrderError as e:
            raise as_refusal(e) from e
        if view.status is not OrderStatus.incomplete:
            raise Refusal(409, "Nothing is missing", f"Order {order_id} is {view.status.value}: its form is complete "
                          "or closed.", f"/staff/orders/{order_id}", "Back to the order")
        return view

    @console.get(f"/orders/{{order_id}}/{ACTION.path}", response_class=HTMLResponse)
    async def completion_page(order_id: str, request: Request) -> HTMLResponse:
        caller = require_staff(request, ACTION.name)
        view = await incomplete(request, order_id)
        form = await orders.submitted_form(request.app.state.client, order_id)
        catalog, settings = request.app.state.catalog, request.app.state.settings
        problems = orders.for_staff(view.problems, form, catalog, settings)  # in the company's language
        return form_page(request, caller, order_id, page_for(form, problems, catalog))

    @console.post(f"/orders/{{order_id}}/{ACTION.path}", response_class=HTMLResponse)
    async def complete(order_id: str, request: Request) -> Response:
        caller = require_staff(request, ACTION.name)
        data = await posted_form(request)
        view = await incomplete(request, order_id)
        catalog, settings = request.app.state.catalog, request.app.state.settings
        form, page = read_post(data, catalog, view.channel, settings, staff=True)
        if form is None:
            return form_page(request, caller, order_id, page, 422)
        try:
            result = await orders.act(request.app.state.client, order_id, ACTION.name, FormCompletion(form=form),
                                      catalog, settings, actor=caller.actor)
        except OrderError as e:
            if e.kind == "not_found":
                raise as_refusal(e) from e
            return form_page(request, caller, order_id, page, 409, refused=f"Refused: {e.message}")
        if result.problems:  # the workflow's own check found more missing
            return form_page(request, caller, order_id, page_for(form, result.problems, catalog), 422,
                             refused=result.message)
        return with_flash(redirect(request, f"/staff/orders/{order_id}"), result.message)

    return console
