"""When each staff or customer action makes sense, and for whom: one function per action, saying why not (or None).

Every action is decided here once, with its actor (`models.actors.Actor`: role, the manufacturer it is, the
person). The update's validator asks the rule when the update arrives, and the handler asks it again before it
changes anything, in the same step as the change: two updates accepted in one workflow task are both validated
against the order as it was, so only the handler's answer is final. The `available_actions` query offers exactly
the actions whose rule, asked for that actor without an input, finds nothing against them: the console cannot
offer what the workflow would refuse. Asked with the input, a rule also checks the input against the order (a date
in the past, a department that got no work order, another maker's part).

Who may take each action at all, and the one-at-a-time rule for actions that change the order's course, are in
`decisions.py`, which asks these rules last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.actors import OPERATOR_ROLE, Actor
    from models.amendments import Amendment
    from models.catalog import ACCOUNTS_RECEIVABLE
    from models.customer_requests import MAX_OPEN_REQUESTS, CustomerRequest, RequestResolution
    from models.feedback_call import ANSWERED, TRIES, CallOutcome
    from models.order import (Acknowledgement, Cancellation, DelayReport, DeliveryReport, FeedbackEntry,
                              FormCompletion, OrderStatus, Readiness, Shipment, ShipmentCorrection)
    from models.parts import allocate

from .money_rules import record_payment, record_refund
from .state import NOT_YET_CONFIRMED, OrderState

MAX_DELAY = timedelta(days=365)  # a new fulfillment date further away than this is a typo or a conversation
MAX_TRANSIT = timedelta(days=180)  # likewise for an expected delivery date

Rule = Callable[[OrderState, date, Actor, Any], "str | None"]


class Forbidden(str):
    """A refusal because of who acts (their role or reach), not of the order's state: the API answers 403."""

WHOLE_BUSINESS = ("admin", OPERATOR_ROLE)  # act for every department



def complete_form(s: OrderState, today: date, actor: Actor, completion: FormCompletion | None = None) -> str | None:
    if s.view.status is OrderStatus.received:
        return f"Order {s.order_id} is still being checked; try again in a moment"
    if s.view.status is not OrderStatus.incomplete or s.cancel_requested:
        return f"Order {s.order_id} is {_state(s)}; its form is no longer open"
    if completion is not None and completion.form.order_id not in (None, s.order_id):
        return f"This form is for order {completion.form.order_id}, not {s.order_id}"
    return None


def acknowledge(s: OrderState, today: date, actor: Actor, ack: Acknowledgement | None = None) -> str | None:
    """A repeated acknowledgement is answered, not refused (a retry must not fail): only unknown ones are."""
    if (reason := _not_closed(s, "acknowledge a work order for")) and not settling_accounts(s, actor, ack):
        return reason
    sent = s.view.work_orders
    if not sent:
        return f"No work orders have been sent for order {s.order_id} yet (it is {s.view.status.value})"
    if ack is None:
        if not s.pending_acknowledgements:
            return f"Every work order of order {s.order_id} has been acknowledged"
        return None if any(within_reach(actor, d) for d in s.pending_acknowledgements) else (
            f"Order {s.order_id} has no work order waiting for {actor}'s acknowledgement")
    if not within_reach(actor, ack.department):
        return Forbidden(f"{described(actor)} cannot acknowledge for {ack.department}: it acknowledges for "
                         f"{actor.department} only")
    if ack.department not in sent:
        return (f"Unknown department {ack.department!r} for order {s.order_id}; its work orders went to: "
                f"{', '.join(sent)}")
    return None


def report_delay(s: OrderState, today: date, actor: Actor, delay: DelayReport | None = None) -> str | None:
    if (reason := _open_for_fulfillment(s, "report a delay on")) or delay is None:
        return reason
    department = delay_department(actor, delay)
    if not within_reach(actor, department) and actor.role == "manufacturer":
        return Forbidden(f"{described(actor)} reports delays on its own part only ({actor.department}), not on "
                         + (f"{department}'s" if department else "every part"))
    parts = s.parts_named(department)
    if not parts:
        return (f"Order {s.order_id} has no part fulfilled by {department!r} still to ship; its parts to "
                f"ship: {', '.join(p.department for p in s.unshipped_parts())}")
    current = max(p.expected_fulfillment_date for p in parts)
    if delay.new_date <= today:
        return f"The new date {delay.new_date} is not in the future (today is {today})"
    if all(delay.new_date <= p.expected_fulfillment_date for p in parts):
        return f"That is not a delay: order {s.order_id} is already expected by {current}"
    if delay.new_date > today + MAX_DELAY:
        return (f"The new date {delay.new_date} is more than {MAX_DELAY.days} days away; an order that late "
                "should be discussed with the customer (or cancelled), not silently pushed back")
    return None


def report_ready(s: OrderState, today: date, actor: Actor, readiness: Readiness | None = None) -> str | None:
    """A manufacturer's part handed over to the warehouse; a repeat is answered, not refused."""
    if reason := _open_for_fulfillment(s, "report a part ready for"):
        return reason
    made = [p for p in s.unshipped_parts() if p.made_by_manufacturer and not p.awaiting_deposit]
    if readiness is None:
        return None if any(p.ready_at is None and hands_over(actor, p.department) for p in made) else (
            f"Order {s.order_id} has no part {actor} still has to report handed over")
    if not hands_over(actor, readiness.department):
        return Forbidden(f"{described(actor)} reports its own part ready only ({actor.department}), not "
                         f"{readiness.department}'s")
    if readiness.department not in [p.department for p in made]:
        return (f"Order {s.order_id} has no part made by {readiness.department!r} still to ship"
                + (f"; its manufacturers' parts: {', '.join(p.department for p in made)}" if made else
                   "; nothing in it is made by a manufacturer"))
    return None


def mark_shipped(s: OrderState, today: date, actor: Actor, shipment: Shipment | None = None) -> str | None:
    if (shipped := s.view.shipment) is not None and s.everything_shipped():
        return (f"Order {s.order_id} already shipped on {shipped.shipped_at:%Y-%m-%d} with {shipped.carrier} "
                f"(tracking {shipped.tracking_number})" + ("" if len(s.view.shipments) == 1 else
                                                          f"; all {len(s.view.shipments)} shipments have gone"))
    if (reason := _open_for_fulfillment(s, "ship")) or shipment is None:
        return reason
    if isinstance(lines := allocate(shipment.lines, s.view.lines, s.view.shipments), str):
        return lines
    if shipment.ready_override is not None and actor.role not in WHOLE_BUSINESS:
        return Forbidden("Only an admin can ship a part before its manufacturer has handed it over")
    at_the_maker = [p for p in s.view.parts if p.made_by_manufacturer and p.ready_at is None
                    and any(ref.line == line.line for ref in p.lines for line in lines)]
    if at_the_maker and shipment.ready_override is None:
        return (f"{s.parts_label(at_the_maker)} has not been handed over to the warehouse by "
                f"{', '.join(p.department for p in at_the_maker)}: it can ship once it is reported ready "
                "(an admin can ship it anyway, giving the reason)")
    return _delivery_date_problem(shipment.expected_delivery_date, today)


def correct_shipment(s: OrderState, today: date, actor: Actor, correction: ShipmentCorrection | None = None) -> str | None:
    if not s.view.shipments:
        return (f"Order {s.order_id} has not shipped (it is {_state(s)}): there are no shipping details to "
                "correct")
    number = correction.shipment if correction is not None else None
    shipment = s.view.shipment_numbered(number)
    if shipment is None:
        return f"Order {s.order_id} has no shipment {number}; its shipments: {_numbers(s)}"
    if s.closed or (correction is None and all(x.delivered_at for x in s.view.shipments)) or (
            correction is not None and shipment.delivered_at is not None):
        return f"Order {s.order_id} is {_state(s)}: shipping details can only be corrected while it is on its way" + (
            "" if len(s.view.shipments) == 1 else f" (shipment {shipment.number} was delivered)")
    if correction is None:
        return None
    changes = correction.changes_to(shipment)
    if not changes:
        return (f"Nothing to correct: order {s.order_id} already ships with {shipment.carrier}, tracking "
                f"{shipment.tracking_number}, delivery expected {shipment.expected_delivery_date}")
    if "tracking_number" in changes and shipment.tracking_url and "tracking_url" not in changes:
        return ("The tracking number changes but the tracking link still points to the old one; give the new "
                "tracking link too")
    if "expected_delivery_date" in changes:
        return _delivery_date_problem(correction.expected_delivery_date, today)
    return None


def mark_delivered(s: OrderState, today: date, actor: Actor, report: DeliveryReport | None = None) -> str | None:
    if s.view.delivered_at is not None:
        return f"Order {s.order_id} was already delivered on {s.view.delivered_at:%Y-%m-%d}"
    on_the_way = [x for x in s.view.shipments if x.delivered_at is None]
    if not on_the_way or s.closed:
        return (f"Order {s.order_id} cannot be marked delivered: it is {_state(s)}, and only a shipped order can "
                "be delivered")
    if report is None:  # asked without an input (what the console offers): any shipment on its way can be
        return None
    number = report.shipment
    if number is None:
        if len(on_the_way) > 1:
            return (f"Order {s.order_id} has {len(on_the_way)} shipments on their way "
                    f"({', '.join(str(x.number) for x in on_the_way)}): say which one was delivered")
        return None
    shipment = s.view.shipment_numbered(number)
    if shipment is None:
        return f"Order {s.order_id} has no shipment {number}; its shipments: {_numbers(s)}"
    if shipment.delivered_at is not None:
        return f"Shipment {number} of order {s.order_id} was already delivered on {shipment.delivered_at:%Y-%m-%d}"
    return None


def submit_feedback(s: OrderState, today: date, actor: Actor, feedback: FeedbackEntry | None = None) -> str | None:
    if s.view.feedback is not None:
        return f"Feedback for order {s.order_id} was already received"
    if s.view.status is not OrderStatus.delivered:
        return f"Order {s.order_id} is {s.view.status.value}; feedback is taken after delivery"
    return None


def record_call_outcome(s: OrderState, today: date, actor: Actor, outcome: CallOutcome | None = None) -> str | None:
    """A try of customer service's feedback call: only while the call is open, a rating only when answered."""
    call = s.view.feedback_call
    if s.view.feedback is not None:
        return f"Feedback for order {s.order_id} was already received"
    if call is None:
        return (f"Order {s.order_id} has no feedback call to make (it is {_state(s)}"
                + ("; its customer was sent the online survey)" if s.view.status is OrderStatus.delivered else ")"))
    if call.closed:
        return f"The feedback call for order {s.order_id} was closed after {TRIES} tries without an answer"
    if s.view.status is not OrderStatus.delivered:
        return f"Order {s.order_id} is {_state(s)}; its feedback call is over"
    if outcome is None:
        return None
    if outcome.outcome == ANSWERED and outcome.rating is None:
        return "The customer answered: record their rating (1-5), or choose no_answer"
    if outcome.outcome != ANSWERED and outcome.rating is not None:
        return "A call without an answer has no rating; choose answered to record one"
    return None


def cancel(s: OrderState, today: date, actor: Actor, cancellation: Cancellation | None = None) -> str | None:
    if s.cancel_requested:
        return f"Order {s.order_id} is already cancelled"
    if reason := _not_closed(s, "cancel"):
        return reason
    if s.view.shipments or s.view.status in (OrderStatus.shipped, OrderStatus.delivered):
        return (f"Order {s.order_id} has already shipped and can no longer be cancelled; arrange a return instead"
                if s.everything_shipped() else f"Order {s.order_id} has already shipped in part and can no longer "
                "be cancelled; what has not shipped can be changed by correcting the order")
    return None


def customer_request(s: OrderState, today: date, actor: Actor, request: CustomerRequest | None = None) -> str | None:
    """The customer tells us something is wrong ("Tell us"): while the order is open, a few at a time."""
    if reason := _not_closed(s, "send a request about"):
        return reason
    if len([r for r in s.view.requests if r.resolved_at is None]) >= MAX_OPEN_REQUESTS:
        return (f"Order {s.order_id} already has {MAX_OPEN_REQUESTS} requests waiting for customer service; they "
                "will answer those first")
    return None


def resolve_request(s: OrderState, today: date, actor: Actor, resolution: RequestResolution | None = None) -> str | None:
    waiting = [r.number for r in s.view.requests if r.resolved_at is None]
    if not waiting:
        return f"Order {s.order_id} has no customer request waiting"
    if resolution is not None and resolution.number is not None and resolution.number not in waiting:
        return (f"Request {resolution.number} of order {s.order_id} is not waiting; waiting: "
                f"{', '.join(map(str, waiting))}")
    return None


def amend_order(s: OrderState, today: date, actor: Actor, amendment: Amendment | None = None) -> str | None:
    """A confirmed order corrected (the customer called): what has not shipped can change."""
    if reason := _not_closed(s, "correct"):
        return reason
    if s.view.status in NOT_YET_CONFIRMED:
        return (f"Order {s.order_id} is {s.view.status.value}: complete its form instead" if s.view.status is
                OrderStatus.incomplete else f"Order {s.order_id} has not been confirmed yet")
    if s.view.delivered_at is not None:
        return f"Order {s.order_id} was delivered on {s.view.delivered_at:%Y-%m-%d}: arrange a return instead"
    if amendment is None:
        return None
    if not amendment.form.lines:
        return "A correction that leaves no lines is a cancellation: cancel the order instead"
    if amendment.form.order_id not in (None, s.order_id):
        return f"This form is for order {amendment.form.order_id}, not {s.order_id}"
    return None


RULES: Mapping[str, Rule] = MappingProxyType({rule.__name__: rule for rule in (
    complete_form, acknowledge, report_delay, report_ready, mark_shipped, correct_shipment, mark_delivered, submit_feedback,
    record_call_outcome, customer_request, resolve_request, amend_order, cancel, record_payment, record_refund)})  # keyed by the name of the workflow update each one guards


def delay_department(actor: Actor, delay: DelayReport) -> str | None:
    """The part a delay is about: the one named; a manufacturer naming none means its own."""
    if delay.department is None and actor.role == "manufacturer":
        return actor.department
    return delay.department


# ---- shared conditions ----

def settling_accounts(s: OrderState, actor: Actor, ack: Acknowledgement | None = None) -> bool:
    """A completed order left open for accounts receivable (`money.py`): its work order can still be acknowledged."""
    return (s.view.status is OrderStatus.completed and s.settling and ACCOUNTS_RECEIVABLE in s.pending_acknowledgements
            and within_reach(actor, ACCOUNTS_RECEIVABLE) and (ack is None or ack.department == ACCOUNTS_RECEIVABLE))


def within_reach(actor: Actor, department: str | None) -> bool:
    """Whether the actor acts for this department (None: every part) — admin and operators for any."""
    return actor.role in WHOLE_BUSINESS or (department is not None and department == actor.department)


def hands_over(actor: Actor, department: str) -> bool:
    """A manufacturer reports its own part ready; the warehouse, which receives it, any."""
    return actor.role == "warehouse" or within_reach(actor, department)


def described(actor: Actor) -> str:
    text = str(actor)
    return text[:1].upper() + text[1:]

def _state(s: OrderState) -> str:
    return "cancelled" if s.cancel_requested else s.view.status.value


def _not_closed(s: OrderState, action: str) -> str | None:
    if s.closed:
        return f"Cannot {action} order {s.order_id}: it is {_state(s)}"
    return None


def _open_for_fulfillment(s: OrderState, action: str) -> str | None:
    if reason := _not_closed(s, action):
        return reason
    if s.view.status in NOT_YET_CONFIRMED:
        detail = ("its form is incomplete; it must be completed and confirmed first"
                  if s.view.status is OrderStatus.incomplete else "it has not been confirmed yet")
        return f"Cannot {action} order {s.order_id}: {detail}"
    if not s.view.status.is_open_for_fulfillment or s.everything_shipped():
        return f"Cannot {action} order {s.order_id}: it is {s.view.status.value}"
    return None


def _numbers(s: OrderState) -> str:
    return ", ".join(str(x.number) for x in s.view.shipments)


def _delivery_date_problem(day: date, today: date) -> str | None:
    if day < today:
        return f"The expected delivery date {day} is in the past (today is {today})"
    if day > today + MAX_TRANSIT:
        return f"The expected delivery date {day} is more than {MAX_TRANSIT.days} days away; check the date"
    return None
