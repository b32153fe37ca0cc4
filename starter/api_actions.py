"""The HTTP API's action routes, one per row of the actions table: `POST /api/orders/{order_id}/{path}`.

Each takes the row's input model as its JSON body (unknown keys refused), lets in the row's roles, and answers with
the workflow's `ActionResult`, or an error in the API's one shape (409 with the workflow's reason when refused).
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Request

from models.order import ActionResult, FormCompletion

from . import orders
from .actions import ACTIONS, Action
from .auth import Caller, require
from .orders import OrderError
from .read_scopes import may_see, restricted


def add_action_routes(api: APIRouter) -> None:
    for action in ACTIONS.values():
        api.add_api_route(f"/orders/{{order_id}}/{action.path}", endpoint_for(action), methods=["POST"],
                          response_model=ActionResult, summary=action.label, description=action.summary,
                          name=action.name)


def endpoint_for(action: Action):  # noqa: ANN201
    body_model = action.body or action.input

    async def endpoint(order_id: str, request: Request, caller: Caller, body: Any = None) -> ActionResult:
        arg = FormCompletion(form=body) if action.body is not None else body
        if arg is None and action.input is not None:
            arg = action.input()  # an input with nothing required may be left out (delivery: the one on its way)
        if restricted(caller) and not may_see(caller, await orders.order_status(request.app.state.client, order_id)):
            raise OrderError("not_found", f"No order {order_id!r}")  # another's order: as if there were none
        return await orders.act(request.app.state.client, order_id, action.name, arg, request.app.state.catalog,
                                request.app.state.settings, actor=caller.actor)

    parameters = [
        inspect.Parameter("order_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("caller", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=Annotated[Caller, Depends(require(*action.roles))]),
    ]
    if body_model is not None:
        optional = action.body is None and not any(f.is_required() for f in body_model.model_fields.values())
        parameters.append(inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            annotation=Optional[body_model] if optional else body_model,
                                            default=None if optional else inspect.Parameter.empty))
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=ActionResult)
    endpoint.__name__ = action.name
    return endpoint
