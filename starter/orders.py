"""Starting orders and acting on them: each staff or customer action maps to one workflow update.

Every failure comes back as an `OrderError` with a kind the callers map to their own shape
(`not_found`, `refused`, `invalid`): the CLI to an exit code, the HTTP API to 404/409/422.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

from temporalio.client import (Client, WithStartWorkflowOperation, WorkflowExecutionStatus, WorkflowHandle,
                              WorkflowQueryFailedError, WorkflowQueryRejectedError,
                              WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError)
from temporalio.common import (QueryRejectCondition, SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy,
                               WorkflowIDReusePolicy)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models.actors import Actor
from models.order import (ActionResult, FieldProblem, FormCompletion, OrderForm, OrderOutcome, OrderStart,
                          OrderStatus, OrderView, workflow_id_for)
from models.work_queues import CLOSED as FINISHED
from models.catalog import Catalog, load_catalog
from models.settings import PolicySettings, Settings
from models.amendments import Amendment
from models.calendar import holidays_between
from models.form_check import check_form
from models.validation import invalid_values
from workflows.order import OrderWorkflow
from workflows.search_attributes import ORDER_STATUS

from plumbing.payload_encryption import PayloadDecryptionError

from .actions import ACTIONS
from .web_metrics import ORDERS_CREATED


# Actions taken with the operator's own access (the CLI, scripts, the tests): admin's reach, named as such
OPERATOR_AS_ADMIN = Actor(role="admin")
CLOSED_WITHOUT_FINISHING = (WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.TIMED_OUT)
UPDATE_TIMEOUT = timedelta(seconds=30)  # a staff action waits this long for the order's worker to answer
QUERY_TIMEOUT = timedelta(seconds=20)  # a read waits this long (an order whose workflow task keeps failing: 503)


class OrderError(Exception):
    def __init__(self, kind: str, message: str, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details


class OrderIdTaken(OrderError):
    """The order id names an order placed with a different form: the new form is refused, not silently dropped."""

    def __init__(self, order_id: str) -> None:
        super().__init__("refused", f"Order id {order_id} is taken by a different order (placed with another form); "
                                    "nothing was changed: use a new order id for a new order",
                         [{"field": "order_id", "message": "taken by a different order"}])
        self.order_id = order_id


def refuse_invalid_values(problems: list[FieldProblem]) -> None:
    """Refuse a form with values that cannot be accepted; only *missing* values make an order `incomplete`.

    An unknown product, an impossible choice or a malformed email is the sender's bug: answering it at once
    changes nothing, where starting an incomplete order would write to a customer about someone else's mistake.
    """
    problems = [p for p in problems if p.kind == "invalid"]
    if problems:
        raise OrderError("invalid", "The form has values that cannot be accepted: " + "; ".join(
            f"{p.field}: {p.message}" for p in problems), [p.model_dump(include={"field", "message"})
                                                          for p in problems])


def new_order_id() -> str:
    return "ORD-" + secrets.token_hex(4).upper()


def summary_of(start: OrderStart) -> str:
    """A readable one-liner for the Temporal UI; no personal data (the payload codec encrypts it, but it is meant
    to be safe to show to anyone who can see the workflow list)."""
    items = ", ".join(f"{line.quantity}x {line.sku}" for line in start.form.lines[:5]) or "no lines"
    return f"Order {start.order_id} ({start.form.channel.value}): {items}"


async def submit_order(client: Client, settings: Settings, form: OrderForm) -> ActionResult:
    """Start the order's workflow (or find the existing one with the same order id) and return its intake result.

    The form is checked once, here: the check travels in the workflow's input, so the workflow does not check it
    again, and `intake` answers once the order is settled (accepted, or incomplete with its problems)."""
    order_id = form.order_id or new_order_id()
    form = form.model_copy(update={"order_id": order_id, "language": form.language or settings.company_language})
    catalog = load_catalog(settings.catalog_path)
    check = check_form(form, catalog, datetime.now(timezone.utc), settings.company_timezone,
                       settings.company_holidays_country)
    refuse_invalid_values(for_staff(check.problems, form, catalog, settings))
    start = OrderStart(order_id=order_id, form=form, policy=PolicySettings().policy(),
                       timezone=settings.company_timezone, check=check,
                       holidays=holidays_between(date.today(), 730, settings.company_holidays_country))
    operation = WithStartWorkflowOperation(
        OrderWorkflow.run, start, id=workflow_id_for(order_id), task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_STATUS, "received")]),
        static_summary=summary_of(start))
    try:
        result = await client.execute_update_with_start_workflow(OrderWorkflow.intake, start_workflow_operation=operation)
    except WorkflowAlreadyStartedError:
        with contextlib.suppress(WorkflowAlreadyStartedError):  # collect the operation's own copy of the error
            await operation.workflow_handle()
        view = await order_status(client, order_id)
        result = ActionResult(order_id=order_id, status=view.status, duplicate=True,
                              message=f"Order {order_id} already exists (it is {view.status.value}); "
                                      "no new order was created")
    except WorkflowUpdateFailedError as e:
        raise _as_order_error(e, order_id) from e
    except PayloadDecryptionError as e:
        raise _undecryptable(e, order_id) from e
    except RPCError as e:
        with contextlib.suppress(RPCError):  # collect the operation's own copy of the error
            await operation.workflow_handle()
        _raise_if_unreachable(e, f"Order {order_id} could not be placed right now (sent again with the same order "
                                 "id or Idempotency-Key, an order that was placed is answered as a duplicate)")
        raise
    if not result.duplicate:
        ORDERS_CREATED.labels(form.channel.value).inc()
    elif not same_order(await original_form(client, order_id), form):
        raise OrderIdTaken(order_id)
    return staff_result(result, form, catalog, settings)


def for_staff(problems: list[FieldProblem], form: OrderForm, catalog: Catalog,
              settings: Settings) -> list[FieldProblem]:
    """A form's problems as staff read them, in the company's language (the customer reads them in the form's,
    on their pages and in their email): the same check, in the company's words."""
    if not problems or (form.language or settings.company_language) == settings.company_language:
        return problems
    return check_form(form.model_copy(update={"language": settings.company_language}), catalog,
                      datetime.now(timezone.utc), settings.company_timezone, settings.company_holidays_country).problems


async def staff_view(client: Client, view: OrderView, settings: Settings) -> OrderView:
    """The order as staff read it (the API, the CLI, the console): an incomplete form's problems in the company's
    language."""
    if not view.problems or (view.language or settings.company_language) == settings.company_language:
        return view
    try:
        form = await submitted_form(client, view.order_id)
    except OrderError:
        return view  # (closed since it was read: its problems no longer matter)
    return view.model_copy(update={"problems": for_staff(view.problems, form, load_catalog(settings.catalog_path),
                                                         settings)})


def staff_result(result: ActionResult, form: OrderForm, catalog: Catalog, settings: Settings) -> ActionResult:
    """The workflow's answer to staff (the API, the CLI, the console): its problem list in the company's language."""
    if not result.problems:
        return result
    return result.model_copy(update={"problems": for_staff(result.problems, form, catalog, settings)})


def same_order(first: OrderForm, again: OrderForm) -> bool:
    """The same form sent again (a retry, a double click) is the same order: it is answered as a duplicate."""
    return first.model_dump(exclude={"order_id"}) == again.model_dump(exclude={"order_id"})


def handle_for(client: Client, order_id: str) -> WorkflowHandle[OrderWorkflow, OrderOutcome]:
    return client.get_workflow_handle_for(OrderWorkflow.run, workflow_id_for(order_id))


async def order_status(client: Client, order_id: str) -> OrderView:
    """The order as its workflow tells it; `terminated` when the workflow was terminated or timed out before the
    order finished (no workflow code ran to say so: its status query would answer the state it was last in), as the
    reconciliation marks it in the list. One status everywhere: API, CLI, console and customer pages read it here."""
    try:  # an open order (nearly every read) answers at once; a closed one says how it closed
        return await _query(client, order_id, OrderWorkflow.status, reject_condition=QueryRejectCondition.NOT_OPEN)
    except WorkflowQueryRejectedError as closed:
        view: OrderView = await _query(client, order_id, OrderWorkflow.status)
        if closed.status in CLOSED_WITHOUT_FINISHING and view.status not in FINISHED:
            view = view.model_copy(update={"status": OrderStatus.terminated})
        return view


async def available_actions(client: Client, order_id: str, actor: Actor | None = None) -> list[str]:
    """The workflow updates that make sense for the order now, for this actor (the same rules its validators and
    handlers apply); none once the workflow has closed, however it closed (a terminated one would otherwise answer
    as it last was)."""
    try:
        return await _query(client, order_id, OrderWorkflow.available_actions, actor,
                            reject_condition=QueryRejectCondition.NOT_OPEN)
    except WorkflowQueryRejectedError:
        return []


async def action_choices(client: Client, order_id: str, actor: Actor | None = None) -> dict[str, list[str]]:
    """The departments this actor may name now, by workflow update (acknowledge, report_ready, report_delay)."""
    try:
        return await _query(client, order_id, OrderWorkflow.action_choices, actor,
                            reject_condition=QueryRejectCondition.NOT_OPEN)
    except WorkflowQueryRejectedError:
        return {}


async def submitted_form(client: Client, order_id: str) -> OrderForm:
    """The order's form as last submitted (for pre-filling the completion page)."""
    return await _query(client, order_id, OrderWorkflow.submitted_form)


async def original_form(client: Client, order_id: str) -> OrderForm:
    """The form the order was started with (the workflow's input, first event of its history)."""
    async for event in handle_for(client, order_id).fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        try:
            [start] = await client.data_converter.decode(payloads, [OrderStart])
        except PayloadDecryptionError as e:
            raise _undecryptable(e, order_id) from e
        return start.form
    raise OrderError("not_found", f"No order {order_id!r}")


async def _query(client: Client, order_id: str, query: Any, *args: Any, **options: Any) -> Any:
    try:
        return await handle_for(client, order_id).query(query, *args, rpc_timeout=QUERY_TIMEOUT, **options)
    except WorkflowQueryFailedError as e:
        raise OrderError("unavailable", f"Order {order_id} cannot be read right now: {e}") from e
    except PayloadDecryptionError as e:
        raise _undecryptable(e, order_id) from e
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            raise OrderError("not_found", f"No order {order_id!r}") from e
        _raise_if_stuck(e, f"Order {order_id} cannot be read right now")
        _raise_if_unreachable(e, f"Order {order_id} cannot be read right now")
        raise


def _raise_if_stuck(e: RPCError, what: str) -> None:
    """The order's workflow cannot run ("Workflow Task in failed state": its worker fails each workflow task, e.g. on
    a message it cannot decrypt) or no worker answered in time: `unavailable` (503), never a 500."""
    if e.status in (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.CANCELLED):
        raise OrderError("unavailable", f"{what}: its workflow is not answering ({e.message}); nothing was changed. "
                                        "Is a worker running? Its log says why a workflow task fails") from e


def _undecryptable(e: PayloadDecryptionError, order_id: str) -> OrderError:
    """A payload this process cannot decrypt (its ORDERLY_ENCRYPTION_KEYS lack the key a worker wrote with):
    a configuration to fix, answered as 503, never a 500."""
    return OrderError("unavailable", f"Order {order_id} cannot be read by this Orderly process: {e}")


async def _update(client: Client, order_id: str, update: Any, arg: Any, actor: Actor) -> ActionResult:
    handle = handle_for(client, order_id)
    try:
        return await handle.execute_update(update, args=[arg, actor], rpc_timeout=UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as e:
        raise _as_order_error(e, order_id) from e
    except WorkflowUpdateRPCTimeoutOrCancelledError as e:
        raise OrderError("unavailable", f"Order {order_id} did not answer within {UPDATE_TIMEOUT.seconds} s: "
                                        "is a worker running? Ask again later; the same action is never applied "
                                        "twice") from e
    except PayloadDecryptionError as e:
        raise _undecryptable(e, order_id) from e
    except RPCError as e:
        if e.status != RPCStatusCode.NOT_FOUND:
            _raise_if_stuck(e, f"Order {order_id} did not take the action right now")
            _raise_if_unreachable(e, f"Order {order_id} did not take the action right now")
            raise
        view = await order_status(client, order_id)  # raises not_found for an unknown order
        raise OrderError("refused", f"Order {order_id} is {view.status.value} and closed; "
                                    "it accepts no more actions") from e


UNREACHABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED)


def _raise_if_unreachable(e: RPCError, what: str) -> None:
    """Temporal itself cannot be reached or is overloaded (a restart, a network cut): `unavailable`, so callers
    answer "try again" (HTTP 503) instead of failing; the caller re-raises any other RPC error as it is."""
    if e.status in UNREACHABLE:
        raise OrderError("unavailable", f"{what}: Temporal cannot be reached ({e.message}); please try again in a "
                                        "moment") from e


def _as_order_error(e: WorkflowUpdateFailedError, order_id: str) -> OrderError:
    cause = e.cause
    if isinstance(cause, ApplicationError) and cause.type == "ActionRefused":
        return OrderError("refused", cause.message)
    if isinstance(cause, ApplicationError) and cause.type == "ActionForbidden":
        return OrderError("forbidden", cause.message)
    return OrderError("invalid", f"Order {order_id}: {getattr(cause, 'message', None) or cause or e}")


async def act(client: Client, order_id: str, name: str, arg: Any = None, catalog: Catalog | None = None,
              settings: Settings | None = None, actor: Actor | None = None) -> ActionResult:
    """Take the action `name` (a row of `starter.actions.ACTIONS`) on the order: its workflow update with `arg`,
    taken by `actor` (none: an operator with the CLI's or the tests' own access, as admin).

    With the catalog, a completed form with values that cannot be accepted is refused before it is sent; with the
    settings too, by the whole check (date options within their bounds as well)."""
    action = ACTIONS[name]
    if isinstance(arg, Amendment) and catalog is not None and settings is not None:
        problems = for_staff(check_form(arg.form, catalog, datetime.now(timezone.utc), settings.company_timezone,
                                        settings.company_holidays_country).problems, arg.form, catalog, settings)
        if problems:  # a correction is taken whole or not at all: a missing option is refused too
            raise OrderError("invalid", "The correction cannot be taken as it is; nothing changed: " + "; ".join(
                f"{p.field}: {p.message}" for p in problems), [p.model_dump(include={"field", "message"})
                                                               for p in problems])
    if isinstance(arg, FormCompletion) and catalog is not None:
        refuse_invalid_values(invalid_values(arg.form, catalog) if settings is None else for_staff(check_form(
            arg.form, catalog, datetime.now(timezone.utc), settings.company_timezone,
            settings.company_holidays_country).problems, arg.form, catalog, settings))
    result = await _update(client, order_id, action.update, arg, actor or OPERATOR_AS_ADMIN)
    if isinstance(arg, FormCompletion) and catalog is not None and settings is not None:
        return staff_result(result, arg.form, catalog, settings)  # staff asked (the API, the CLI, the console)
    return result
