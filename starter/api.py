"""The HTTP API: services start and read orders, staff act on them. A thin layer over `starter.orders`;
the action routes are made from the actions table (`api_actions.py`).

Every error has one shape: `{"error": {"kind": ..., "message": ..., "details": [...]}}`
(404 not_found, 409 refused, 422 invalid, 401/403 unauthorized/forbidden, 503 unavailable).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels import resend as staff_resend
from channels.resend import ResendRefused
from store import message_log
from store.read_model import key_of, list_orders
from store.search import KINDS, search_orders
from models.catalog import Catalog
from models.inputs import RequiredLine, SingleLine
from models.messages import Delivery
from models.paging import MAX_OFFSET, cursor, position
from models.validation import field_path
from models.order import Input, OrderForm, OrderStatus, OrderView
from models.work_order import WorkOrderView

from . import orders
from .auth import Caller, require
from .orders import OrderError
from .actions import ALLOWED
from .api_actions import add_action_routes
from .request_guard import body_cap
from .read_scopes import may_see, message_visible, restricted, scope, shown

STATUS_OF = {"not_found": 404, "refused": 409, "invalid": 422, "forbidden": 403, "unavailable": 503}


class OrderSummary(BaseModel):
    order_id: str
    status: str
    channel: str
    total: str | None = Field(description="none for a manufacturer's token")
    currency: str
    expected_fulfillment_date: str | None
    received_at: str


class MessageSummary(BaseModel):
    key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    provider_id: str
    sent_at: str | None

    @classmethod
    def of(cls, m) -> "MessageSummary":  # noqa: ANN001
        return cls(key=m.key, kind=m.kind, channel=m.channel, recipient=m.recipient, subject=m.subject,
                   status=m.status, attempts=m.attempts, last_error=m.last_error, provider_id=m.provider_id,
                   sent_at=m.sent_at.isoformat() if m.sent_at else None)


class ResendRequest(Input):
    key: RequiredLine = Field(min_length=1, max_length=250, description="the message key, as `orderly outbox` shows it")
    by: SingleLine = Field(default="", max_length=100, description="who asks (kept in the message's attempts)")


class OrderPage(BaseModel):
    items: list[OrderSummary]
    limit: int
    offset: int
    next_offset: int | None = Field(description="the next page by `offset` (slower deep in a list than `next`)")
    next: str | None = Field(default=None, description="the next page's address, by position (`?after=`)")


def error(status: int, kind: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"kind": kind, "message": message, "details": details}})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OrderError)
    async def _order_error(_request: Request, e: OrderError) -> JSONResponse:
        return error(STATUS_OF.get(e.kind, 400), e.kind, e.message, e.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, e: RequestValidationError) -> JSONResponse:
        details = [{"field": field_path(*(p if isinstance(p, str) else str(p) for p in x["loc"] if p != "body")),
                    "message": x["msg"]} for x in e.errors()]
        return error(422, "invalid", "The request is not valid: " + "; ".join(
            f"{d['field']}: {d['message']}" for d in details), details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, e: StarletteHTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "too_large"}.get(
            e.status_code, "error")
        response = error(e.status_code, kind, body_cap(e, _request.app.state.settings.max_request_bytes))
        if e.headers:
            response.headers.update(e.headers)
        return response


def order_id_for_key(caller: Caller, key: str) -> str:
    """The same Idempotency-Key from the same caller always names the same order."""
    return "K-" + hashlib.sha256(f"{caller.role}:{caller.token_id}:{key}".encode()).hexdigest()[:20].upper()


async def visible_order(request: Request, caller: Caller, order_id: str) -> OrderView:
    """The order, if the caller may read it; another's order answers as an unknown one does (404)."""
    view = await orders.order_status(request.app.state.client, order_id)
    if not may_see(caller, view):
        raise OrderError("not_found", f"No order {order_id!r}")
    return await orders.staff_view(request.app.state.client, view, request.app.state.settings)


def router() -> APIRouter:
    api = APIRouter(prefix="/api")

    def client(request: Request):
        return request.app.state.client

    @api.get("/catalog", summary="Product types with their order-form fields, and the products")
    async def catalog(request: Request) -> Catalog:
        return request.app.state.catalog

    @api.post("/orders", status_code=201, responses={
        200: {"description": "the same order (the same form) already existed: nothing new was created"},
        409: {"description": "the order id (or Idempotency-Key) is taken by an order with a different form"}})
    async def create_order(form: OrderForm, request: Request,
                           caller: Annotated[Caller, Depends(require(*ALLOWED["create"]))],
                           idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Any:
        """Start an order. A well-formed but incomplete form starts it as `incomplete`, with the problems listed."""
        if idempotency_key and form.order_id and idempotency_key != form.order_id:
            raise OrderError("invalid", f"The Idempotency-Key {idempotency_key!r} and the order_id "
                                        f"{form.order_id!r} disagree: send one of them (or the same value in both)",
                             [{"field": "order_id", "message": "disagrees with the Idempotency-Key header"}])
        keyed = bool(idempotency_key and not form.order_id)
        if keyed:
            form = form.model_copy(update={"order_id": order_id_for_key(caller, idempotency_key)})
        try:
            result = await orders.submit_order(client(request), request.app.state.settings, form)
        except orders.OrderIdTaken as e:
            if not keyed:
                raise
            raise OrderError("refused", f"This Idempotency-Key was already used for order {e.order_id} with a "
                                        "different form: the order id is taken by a different order; use a new key "
                                        "for a new order", e.details) from e
        return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.duplicate else 201)

    @api.get("/orders")
    async def list_all(request: Request, caller: Annotated[Caller, Depends(require(*ALLOWED["read"]))],
                       status: OrderStatus | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                       q: Annotated[SingleLine, Query(max_length=200, description=(
                           "find orders by order number, customer name, email, phone or postcode (a prefix of "
                           "any of them); a manufacturer's token by order number only"))] = "",
                       after: Annotated[str, Query(max_length=200, description=(
                           "the position a page's `next` link gives: the rows after it (keyset paging)"))] = ""
                       ) -> OrderPage:
        """Orders newest first, or those `q` finds; a manufacturer's token lists only the orders it has a work order
        for, without totals. Follow `next` for the next page (it stays fast however deep); `offset` works too."""
        try:
            key = position(after) if after else None
        except ValueError as e:
            raise OrderError("invalid", f"after: {e}", [{"field": "after", "message": str(e)}]) from None
        engine, chosen, party = request.app.state.engine, status.value if status else None, scope(caller)
        rows = (search_orders(engine, q, chosen, limit + 1, offset, party,
                              kinds=("order",) if restricted(caller) else KINDS, after=key) if q.strip()
                else list_orders(engine, chosen, limit + 1, offset, party, after=key))
        hide, more = restricted(caller), len(rows) > limit
        items = [OrderSummary(order_id=r.order_id, status=r.status, channel=r.channel,
                              total=None if hide else r.total, currency=r.currency,
                              received_at=r.received_at.isoformat(),
                              expected_fulfillment_date=r.expected_fulfillment_date.isoformat()
                              if r.expected_fulfillment_date else None) for r in rows[:limit]]
        params = {k: v for k, v in request.query_params.items() if k not in ("after", "offset")}
        link = f"/api/orders?{urlencode(params | {'after': cursor(*key_of(rows[limit - 1]))})}" if more else None
        return OrderPage(items=items, limit=limit, offset=offset,
                         next_offset=offset + limit if more and key is None else None, next=link)

    @api.get("/orders/{order_id}")
    async def get_order(order_id: str, request: Request,
                        caller: Annotated[Caller, Depends(require(*ALLOWED["read"]))]) -> OrderView | WorkOrderView:
        """The order with its timeline; for a manufacturer's token, its work order only (`WorkOrderView`)."""
        return shown(caller, await visible_order(request, caller, order_id))

    @api.get("/orders/{order_id}/messages")
    async def order_messages(order_id: str, request: Request,
                             caller: Annotated[Caller, Depends(require(*ALLOWED["read"]))]) -> list[MessageSummary]:
        """Every message sent (or being retried, or failed) for the order, with its delivery status; for a
        manufacturer's token, the messages sent to it."""
        await visible_order(request, caller, order_id)  # 404 for an unknown order, or another's
        return [MessageSummary.of(m) for m in message_log.list_messages(request.app.state.engine, order_id)
                if message_visible(caller, m.key)]

    @api.post("/messages/resend")
    async def resend(body: ResendRequest, request: Request,
                     caller: Annotated[Caller, Depends(require(*ALLOWED["resend"]))]) -> Delivery:
        """A new attempt at a failed message, under the same key (logged with who asked)."""
        try:
            return await asyncio.to_thread(staff_resend.resend, request.app.state.engine, request.app.state.settings,
                                           body.key, body.by or caller.role)
        except ResendRefused as e:
            raise OrderError(e.kind, e.message) from e

    add_action_routes(api)
    return api
