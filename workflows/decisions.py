"""Deciding an action once, with its actor: who may take it, one course-changing action at a time, then its rule.

`refusal` is what the update's validator and handler ask (`OrderWorkflow.decide`), and `available` and `choices`
what the console is offered: the same decision everywhere. Actions that change the order's course (`CONFLICTING`)
are decided one at a time: while one is being carried out (its messages still going out, up to `SAME_MOMENT`), another
is refused with the reason, so two sent at the same moment never both go through and nobody hears two contradicting
things.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import OPERATOR_ROLE, Actor
    from models.amendments import Amendment
    from models.customer_requests import CustomerRequest, RequestResolution
    from models.feedback_call import CallOutcome
    from models.money import Payment, Refund
    from models.order import (Acknowledgement, Cancellation, DelayReport, DeliveryReport, FeedbackEntry,
                              FormCompletion, Readiness, Shipment, ShipmentCorrection)

from .rules import RULES, Forbidden, described, hands_over, settling_accounts, within_reach
from .state import OrderState

# Who may take each action (the update's name): the API's, the CLI's and the console's permissions come from here.
ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "complete_form": ("service", "customer-service", "admin", "customer"),
    "acknowledge": ("warehouse", "accounts", "manufacturer", "admin"),
    "report_delay": ("warehouse", "manufacturer", "admin"),
    "report_ready": ("manufacturer", "warehouse", "admin"),
    "mark_shipped": ("warehouse", "admin"),
    "correct_shipment": ("warehouse", "admin"),
    "mark_delivered": ("warehouse", "admin"),
    "submit_feedback": ("customer-service", "admin", "customer"),
    "record_call_outcome": ("customer-service", "admin"),
    "customer_request": ("customer-service", "admin", "customer"),
    "resolve_request": ("customer-service", "admin"),
    "amend_order": ("customer-service", "admin"),
    "cancel": ("customer-service", "admin"),
    "record_payment": ("accounts", "admin"),
    "record_refund": ("accounts", "admin"),
})
# The input model of each update: one sent by Temporal's own tools without an actor arrives undecoded (the SDK
# decodes with the handler's types only when every argument is given) and is read here (`as_input`).
INPUTS: Mapping[str, type] = MappingProxyType({
    "complete_form": FormCompletion, "acknowledge": Acknowledgement, "report_delay": DelayReport,
    "report_ready": Readiness, "mark_shipped": Shipment, "correct_shipment": ShipmentCorrection,
    "mark_delivered": DeliveryReport, "submit_feedback": FeedbackEntry, "record_call_outcome": CallOutcome,
    "customer_request": CustomerRequest, "resolve_request": RequestResolution, "amend_order": Amendment,
    "cancel": Cancellation, "record_payment": Payment, "record_refund": Refund})
# How long a course-changing action holds the others back while its messages go out: they normally take
# milliseconds; when a provider is down and they are being retried, the order is not held for the length of the outage
SAME_MOMENT = timedelta(seconds=30)
CONFLICTING = frozenset({"complete_form", "amend_order", "cancel", "report_delay", "mark_shipped", "correct_shipment",
                         "mark_delivered"})


def refusal(name: str, s: OrderState, today: date, actor: Actor, arg: Any = None, again: bool = False) -> str | None:
    """Why `actor` may not take the action `name` (with `arg`) on the order now, or None: its role, another
    action being carried out (`again`: this is that action, asked again after its own wait), then its own rule."""
    if actor.role not in ROLES[name] and actor.role != OPERATOR_ROLE:
        return Forbidden(f"{described(actor)} cannot {name.replace('_', ' ')}; it needs one of: {', '.join(ROLES[name])}")
    if name in CONFLICTING and s.in_flight and not again and workflow.now() - s.in_flight_since < SAME_MOMENT:
        return (f"Order {s.order_id} is busy: {s.in_flight} is being carried out; nothing changed, try again in a "
                "moment")
    return RULES[name](s, today, actor, arg)


def as_input(name: str, arg: Any) -> Any:
    """The update's argument as its input model (a dict from a client that named no actor is read as one); a
    ValueError says what is wrong with it."""
    model = INPUTS[name]
    if arg is None and not any(f.is_required() for f in model.model_fields.values()):
        return model()  # an input with nothing required, left out (delivery: the one shipment on its way)
    if arg is None or isinstance(arg, model):
        return arg
    try:
        return model.model_validate(arg)
    except ValidationError as e:
        raise ValueError("The input cannot be accepted: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}" for err in e.errors())) from None


def available(s: OrderState, today: date, actor: Actor) -> list[str]:
    """The updates that make sense for the order as it is now, for this actor."""
    return [name for name in RULES if refusal(name, s, today, actor) is None]


def choices(s: OrderState, today: date, actor: Actor) -> dict[str, list[str]]:
    """The departments this actor may name now, by action: whose work order it may acknowledge, whose part it may
    report ready or delayed (the console offers these as a choice)."""
    return {"acknowledge": [d for d in s.pending_acknowledgements if within_reach(actor, d)
                            and (not s.closed or settling_accounts(s, actor, Acknowledgement(department=d)))],
            "report_ready": [p.department for p in s.unshipped_parts() if p.made_by_manufacturer and p.ready_at is None
                             and hands_over(actor, p.department)],
            "report_delay": ([] if actor.role == "manufacturer" else [""])  # "": every part not yet shipped
            + [p.department for p in s.unshipped_parts() if within_reach(actor, p.department)
               or actor.role == "warehouse"]}
