"""The staff console (`/staff`): orders by status with overdue ones first, each department's queue of unacknowledged
work orders, an order's detail with its timeline and messages, and a form for every staff action.

Staff sign in with their own account (name and password) or a role's token; the session (`staff_sessions.py`) is
checked on every request, so a disabled account or a removed token loses it at once. Every action carries the
signed-in person (`Caller.actor`), and the timeline names them: "warehouse (Maria Santos)".
Every action goes through the same workflow update as the API; a refusal is shown with the workflow's reason. The
forms are made from the actions table (`actions.py`, fields by `console_forms.py`), and an order's page offers
exactly the actions its workflow says make sense now (`available_actions`) that the role may take.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from channels import resend as staff_resend
from channels.resend import ResendRefused
from store import message_log, read_model, search
from models.amendments import Amendment
from models.inputs import SingleLine
from models import paging
from models.paging import page_number
from models.parts import unshipped
from models.order import Channel, OrderStatus

from . import orders
from .auth import Caller
from .order_form import blank_page, correction_page, read_post
from .orders import OrderError
from .read_scopes import may_see, message_visible, restricted, scope, shown
from .pages import Refusal, posted_form, redirect, render
from .actions import ACTIONS, PERMISSIONS, may
from .console_forms import action_input, form_field, offered_forms
from .console_queues import overdue as overdue_entries, queues_for
from .staff_sessions import SESSION_COOKIE, sign_in, signed_in, start_session
from .web import as_refusal, place

FLASH_COOKIE = "orderly_flash"
OPEN = (OrderStatus.confirmed.value, OrderStatus.delayed.value)
COUNT_CAP = 1_000  # the status filters count each status up to here ("1,000+"): an index range, not the history

def require_staff(request: Request, action: str = "read") -> Caller:
    caller = signed_in(request)
    if caller is None:
        raise Refusal(401, "Please sign in", "You are not signed in to the staff console, or your session ended.",
                      "/staff/login", "Sign in")
    if not may(caller.role, action):
        raise Refusal(403, "Not allowed", f"The {caller.role} role cannot do this; it needs one of: "
                                          f"{', '.join(PERMISSIONS[action])}.")
    return caller


def today(request: Request):  # noqa: ANN201
    return datetime.now(ZoneInfo(request.app.state.settings.company_timezone)).date()


def overview(request: Request, caller: Caller, status: str | None, q: str, pages: dict[str, int],
             after: tuple | None = None) -> dict[str, Any]:
    """The home page: what a search found (first, when one is made), the caller's work queues
    (`console_queues.py`), overdue orders, and the orders by status, a page at a time (`?after=` for the next)."""
    engine, settings = request.app.state.engine, request.app.state.settings
    now, size, party = today(request), settings.console_page_size, scope(caller)
    queues = queues_for(engine, settings, caller, now, pages)
    overdue, overdue_count = overdue_entries(engine, caller, now, size)
    page = max(1, pages.get("orders", 1))
    if q.strip():
        kinds = ("order",) if restricted(caller) else search.KINDS
        listed = search.search_orders(engine, q, status, size + 1, (page - 1) * size, party, kinds, after)
    else:
        listed = read_model.list_orders(engine, status, size + 1, (page - 1) * size, party, after=after)
    more, listed = len(listed) > size, listed[:size]
    after_this = paging.cursor(*read_model.key_of(listed[-1])) if more else None
    overdue_ids = {r.order_id for r in listed if r.status in OPEN and r.expected_fulfillment_date
                   and r.expected_fulfillment_date < now}
    listed.sort(key=lambda r: r.order_id not in overdue_ids)  # stable: overdue first, then newest first
    return {"overdue": overdue, "overdue_count": overdue_count, "queues": queues, "orders": listed,
            "overdue_ids": overdue_ids, "chosen": status,
            "counts": read_model.count_by_status(engine, party, cap=COUNT_CAP), "count_cap": COUNT_CAP,
            "statuses": list(OrderStatus), "work_order_only": restricted(caller), "q": q, "page": page,
            "more": more, "after": after_this, "paged_by_key": after is not None, "call_form": call_form(caller),
            "today": now}


def call_form(caller: Caller):  # noqa: ANN201
    """The feedback call's outcome form for the calls queue, made from its actions-table row like the order page's."""
    action = ACTIONS["call_outcome"]
    if not action.may(caller.role):
        return None
    choices = {name: pick(None, caller) for name, pick in action.choices.items()}
    return [form_field(action, name, action.input.model_fields[name], choices.get(name), "")
            for name in action.input_fields()]


async def order_for(request: Request, caller: Caller, order_id: str):  # noqa: ANN201
    """The order as `caller` may read it for a printout; another party's order answers as if there were none."""
    try:
        view = await orders.order_status(request.app.state.client, order_id)
    except OrderError as e:
        raise as_refusal(e) from e
    if not may_see(caller, view):
        raise as_refusal(OrderError("not_found", f"No order {order_id!r}"))
    return view


async def detail(request: Request, caller: Caller, order_id: str, status: int = 200, **notes: Any) -> HTMLResponse:
    client = request.app.state.client
    try:
        view, available, decided = await asyncio.gather(orders.order_status(client, order_id),
                                                        orders.available_actions(client, order_id, caller.actor),
                                                        orders.action_choices(client, order_id, caller.actor))
    except OrderError as e:
        raise as_refusal(e) from e
    if not may_see(caller, view):
        raise as_refusal(OrderError("not_found", f"No order {order_id!r}"))  # another's order: as if there were none
    view = await orders.staff_view(client, view, request.app.state.settings)  # problems in the company's words
    failed = notes.get("action")
    forms = offered_forms(view, available, decided, caller, failed, notes.get("values", {}))
    makers = {m.id: m.name for m in request.app.state.catalog.manufacturers} | {"warehouse": "Warehouse"}
    messages = [m for m in message_log.list_messages(request.app.state.engine, order_id)
                if message_visible(caller, m.key)]
    return render(request, "staff_order.html", status, staff=caller, order=shown(caller, view), forms=forms,
                  makers=makers, work_order_only=restricted(caller), today=today(request), messages=messages,
                  to_ship=unshipped(view.lines, view.shipments),
                  may_amend="amend_order" in available and may(caller.role, "amend"),
                  may_complete="complete_form" in available and may(caller.role, "complete_form"),
                  may_resend=may(caller.role, "resend"), may_print=may(caller.role, "print"),
                  may_invoice=may(caller.role, "invoice"), ok=notes.get("ok"), error=notes.get("error"))


def router() -> APIRouter:
    console = APIRouter(prefix="/staff", include_in_schema=False)

    @console.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> HTMLResponse:
        return render(request, "staff_login.html")

    @console.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        session, refusal = await sign_in(request, await posted_form(request))
        if session is None:
            return render(request, "staff_login.html", 401, error=refusal)
        return start_session(request, redirect(request, "/staff"), session)

    @console.post("/logout")
    async def logout(request: Request) -> Response:
        await posted_form(request)
        response = redirect(request, "/staff/login")
        response.delete_cookie(SESSION_COOKIE, path="/staff")
        return response

    @console.get("", response_class=HTMLResponse)
    async def home(request: Request, status: str = "",
                   q: Annotated[SingleLine, Query(max_length=200)] = "",
                   after: Annotated[str, Query(max_length=200)] = "") -> Response:
        caller = signed_in(request)
        if caller is None:
            return redirect(request, "/staff/login")
        try:
            key = paging.position(after) if after else None
        except ValueError as e:
            raise Refusal(422, "Not a page of this list", str(e), "/staff", "Back to the first page") from None
        chosen = status if status in {s.value for s in OrderStatus} else None
        pages = {k.removeprefix("page-"): page_number(v) for k, v in request.query_params.items()
                 if k.startswith("page-")}
        params = {k: v for k, v in request.query_params.items() if k != "after"}
        later = {k: v for k, v in params.items() if k != "page-orders"}
        response = render(request, "staff_home.html", staff=caller, ok=request.cookies.get(FLASH_COOKIE),
                          can=lambda permission: may(caller.role, permission),
                          query=lambda key, page: urlencode({**params, f"page-{key}": page}),
                          after_query=lambda position: urlencode({**later, "after": position}),
                          **overview(request, caller, chosen, q, pages, key))
        response.delete_cookie(FLASH_COOKIE, path="/staff")
        return response

    def phone_form(request: Request, caller: Caller, page, status: int = 200):  # noqa: ANN001, ANN202
        return render(request, "order_form.html", status, staff=caller, form=page, catalog=request.app.state.catalog,
                      heading="New phone order", action="/staff/orders/new", submit_label="Create the order")

    @console.get("/orders/new", response_class=HTMLResponse)
    async def new_phone_order(request: Request) -> HTMLResponse:
        caller = require_staff(request, "create")
        return phone_form(request, caller, blank_page(request.app.state.catalog))

    @console.post("/orders/new", response_class=HTMLResponse)
    async def create_phone_order(request: Request) -> Response:
        caller = require_staff(request, "create")
        data = await posted_form(request)
        form, page = read_post(data, request.app.state.catalog, Channel.phone, request.app.state.settings,
                               staff=True)  # the problems in the company's language
        if form is None:
            return phone_form(request, caller, page, 422)
        result = await place(request, form)
        return with_flash(redirect(request, f"/staff/orders/{result.order_id}"), result.message)

    @console.get("/orders/{order_id}", response_class=HTMLResponse)
    async def order_page(order_id: str, request: Request) -> Response:
        caller = signed_in(request)
        if caller is None:
            return redirect(request, "/staff/login")
        response = await detail(request, caller, order_id, ok=request.cookies.get(FLASH_COOKIE))
        response.delete_cookie(FLASH_COOKIE, path="/staff")
        return response

    def correction_form(request: Request, caller: Caller, order_id: str, page, status: int = 200,  # noqa: ANN001, ANN202
                        refused: str = ""):
        return render(request, "order_form.html", status, staff=caller, form=page, catalog=request.app.state.catalog,
                      heading=f"Correct order {order_id}", action=f"/staff/orders/{order_id}/correct",
                      submit_label="Send the correction", reason_field=True, refused=refused)

    @console.get("/orders/{order_id}/correct", response_class=HTMLResponse)
    async def correct_page(order_id: str, request: Request) -> HTMLResponse:
        """"Correct this order": the phone-order form, filled in with the order as it stands."""
        caller = require_staff(request, "amend")
        try:
            form = await orders.submitted_form(request.app.state.client, order_id)
        except OrderError as e:
            raise as_refusal(e) from e
        return correction_form(request, caller, order_id, correction_page(form, request.app.state.catalog))

    @console.post("/orders/{order_id}/correct", response_class=HTMLResponse)
    async def send_correction(order_id: str, request: Request) -> Response:
        caller = require_staff(request, "amend")
        data = await posted_form(request)
        settings, catalog = request.app.state.settings, request.app.state.catalog
        view = await orders.order_status(request.app.state.client, order_id)
        form, page = read_post(data, catalog, view.channel, settings, staff=True)
        page.values["reason"] = str(data.get("reason", ""))
        if form is None:
            return correction_form(request, caller, order_id, page, 422)
        try:
            amendment = Amendment(form=form, reason=str(data.get("reason", "")),
                                  by=caller.name or caller.party or caller.role)
            result = await orders.act(request.app.state.client, order_id, "amend", amendment, catalog, settings,
                                      actor=caller.actor)
        except ValidationError as e:
            return correction_form(request, caller, order_id, page, 422, refused=f"Not sent: {e.errors()[0]['msg']}")
        except OrderError as e:
            if e.kind == "not_found":
                raise as_refusal(e) from e
            return correction_form(request, caller, order_id, page, 409, refused=f"Refused: {e.message}")
        return with_flash(redirect(request, f"/staff/orders/{order_id}"), result.message)

    @console.get("/orders/{order_id}/{action}", include_in_schema=False)
    async def action_url(order_id: str, action: str, request: Request) -> Response:
        return redirect(request, f"/staff/orders/{order_id}")  # a reload or a bookmark of a form's address

    @console.post("/messages/resend", response_class=HTMLResponse)
    async def resend(request: Request) -> HTMLResponse:
        caller = require_staff(request, "resend")
        data = await posted_form(request)
        key, order_id = str(data.get("key", "")), str(data.get("order_id", ""))
        try:
            delivery = await asyncio.to_thread(staff_resend.resend, request.app.state.engine,
                                               request.app.state.settings, key, f"console:{caller.actor}")
        except ResendRefused as e:
            return await detail(request, caller, order_id, 409, error=f"Not resent: {e.message}")
        if delivery.status == "sent":
            return with_flash(redirect(request, f"/staff/orders/{order_id}"), f"Resent {key} to {delivery.recipient}")
        return await detail(request, caller, order_id, 502, error=f"The resend of {key} failed too: {delivery.error}")

    @console.post("/orders/{order_id}/{action}", response_class=HTMLResponse)
    async def act(order_id: str, action: str, request: Request) -> HTMLResponse:
        row = ACTIONS.get(action)
        if row is None or not row.console:
            raise Refusal(404, "No such action", f"There is no staff action called {action!r}.")
        caller = require_staff(request, action)
        data = {k: str(v).strip() for k, v in (await posted_form(request)).items() if k != "csrf"}
        back = data.pop("next", "")  # a queue's form returns to the queue
        back = back if back.startswith("/staff") and "//" not in back else f"/staff/orders/{order_id}"
        if restricted(caller):
            try:
                theirs = may_see(caller, await orders.order_status(request.app.state.client, order_id))
            except OrderError as e:
                raise as_refusal(e) from e
            if not theirs:
                raise as_refusal(OrderError("not_found", f"No order {order_id!r}"))
        try:
            arg = action_input(row, data)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg']}"
                                 for err in e.errors())
            return await detail(request, caller, order_id, 422, error=f"Not sent: {problems}", values=data,
                                action=action)
        try:
            result = await orders.act(request.app.state.client, order_id, action, arg, actor=caller.actor)
        except OrderError as e:
            if e.kind == "not_found":
                raise as_refusal(e) from e
            return await detail(request, caller, order_id, 409, error=f"Refused: {e.message}", values=data,
                                action=action)
        told = result.message if back == f"/staff/orders/{order_id}" else f"Order {order_id}: {result.message}"
        return with_flash(redirect(request, back), told)

    return console


def with_flash(response: Response, message: str) -> Response:
    """Carry an action's result to the page the browser is sent to next (post, redirect, get)."""
    response.set_cookie(FLASH_COOKIE, message[:300], max_age=60, httponly=True, samesite="strict", path="/staff")
    return response
