"""Every staff and customer action on an order, declared once.

A row names the action, the workflow update it is, its input model, the roles that may take it and its label. The
HTTP API routes (`api_actions.py`), the CLI commands (`cli_actions.py`) and the staff console's forms
(`console.py`) are all made from this table; the workflow says which actions make sense right now (its
`available_actions` query, computed by the same rules as the update validators). Adding an action is one workflow
update, one row here, and its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from models.feedback_call import ANSWERED, NO_ANSWER, CallOutcome
from models.money import Payment, PaymentMethod, Refund
from models.amendments import Amendment
from models.order import (Acknowledgement, Cancellation, CustomerRequest, DelayReport, DeliveryReport, FeedbackEntry,
                          FormCompletion, OrderForm, OrderView, Readiness, RequestResolution, Shipment,
                          ShipmentCorrection)
from models.work_queues import ready_to_ship
from models.actors import ROLES
from workflows.order import OrderWorkflow
from workflows.decisions import ROLES as RULE_ROLES

from .auth import Caller

STAFF_ROLES = tuple(r for r in ROLES if r != "service")


def lines_ready_to_ship(view: OrderView) -> str:
    """The console's ship form, filled in with what can go now (`models.work_queues.ready_to_ship`): `SKU:QTY, ...`."""
    return ", ".join(f"{ref.sku}:{ref.quantity}" for ref in ready_to_ship(view))


@dataclass(frozen=True)
class Action:
    name: str                                  # permissions, console URLs (/staff/orders/{id}/{name})
    update: Callable[..., Any]                 # the workflow update; its name is what `available_actions` reports
    input: type[BaseModel] | None              # the update's argument (None: it takes none)
    label: str                                 # the console's heading and button
    summary: str                               # the CLI command's help and the API route's description
    path: str                                  # API: POST /api/orders/{order_id}/{path}
    cli: str | None = None                     # the CLI command (None: made by hand, e.g. `complete` reads a file)
    flags: dict[str, str] = field(default_factory=dict)  # input field -> CLI option, where not --field-name
    fields: tuple[str, ...] | None = None      # the input fields people fill in (None: all of them)
    body: type[BaseModel] | None = None        # the API body when it is not the input (completing: the form)
    console: bool = True                       # offered in the staff console
    choices: dict[str, Callable[[OrderView, Caller], list[str]]] = field(default_factory=dict)  # field -> the
    #   values the console offers, by order and caller (no values: the action is not offered to that caller)
    decided_choice: str | None = None          # the field whose values the workflow offers this caller
    #   (its `action_choices` query: the departments the actor may name; none: not offered to that caller)
    note: str = ""                             # a line under the console form's heading
    prefill: dict[str, Callable[[OrderView], str]] = field(default_factory=dict)  # field -> the console's initial
    #   value, by order (e.g. the lines ready to ship)
    labels: dict[str, str] = field(default_factory=dict)  # field -> the console's label, where the rule says more
    #   than the input model can (the call's rating: required when answered)

    @property
    def update_name(self) -> str:
        return self.update.__name__

    @property
    def roles(self) -> tuple[str, ...]:
        """The staff and service roles that may take it: the workflow's rule says (`workflows.rules.ROLES`)."""
        return tuple(r for r in RULE_ROLES[self.update_name] if r in ROLES)

    def input_fields(self) -> list[str]:
        if self.input is None:
            return []
        return list(self.fields) if self.fields is not None else list(self.input.model_fields)

    def may(self, role: str) -> bool:
        return role in self.roles


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("complete_form", OrderWorkflow.complete_form, FormCompletion, "Complete the form", "Send the completed form for an incomplete order.", "form", body=OrderForm,
           console=False),
    Action("acknowledge", OrderWorkflow.acknowledge, Acknowledgement, "Acknowledge work order",
           "Acknowledge a work order on behalf of a department.", "acknowledgements", cli="ack",
           decided_choice="department"),
    Action("delay", OrderWorkflow.report_delay, DelayReport, "Report a delay", "Report a delay of a part (--department: the warehouse's or a manufacturer's; none: "
           "every part not yet shipped): the customer is told which items are late, why and the new date.",
           "delays", cli="delay", flags={"new_date": "--until"}, decided_choice="department",
           note="A manufacturer reports delays on its own part; others may delay every part not yet shipped."),
    Action("ready", OrderWorkflow.report_ready, Readiness, "Report a part ready", "Report a manufacturer's part handed over to the warehouse: it can ship.",
           "readiness", cli="ready", decided_choice="department",
           note="The manufacturer has handed the part over to the warehouse."),
    Action("ship", OrderWorkflow.mark_shipped, Shipment, "Mark shipped",
           "Record a shipment (--line SKU[:QTY], repeated; none: everything not yet shipped); the customer gets "
           "the carrier, tracking number, expected delivery date and what is still to come.",
           "shipments", cli="ship", flags={"tracking_number": "--tracking", "expected_delivery_date": "--delivery-date",
                                           "lines": "--line"},
           fields=("carrier", "tracking_number", "tracking_url", "expected_delivery_date", "lines"),
           prefill={"lines": lines_ready_to_ship},
           note="Lines: what is in this parcel, SKU:QTY separated by commas (filled in with what is ready)."),
    Action("correct_shipment", OrderWorkflow.correct_shipment, ShipmentCorrection, "Correct the shipment", "Correct a shipped order's tracking or delivery date; the customer is told what "
           "changed.", "shipment-corrections", cli="correct-shipment",
           flags={"tracking_number": "--tracking", "expected_delivery_date": "--delivery-date"},
           note="Only what you fill in changes; the customer is told what changed."),
    Action("deliver", OrderWorkflow.mark_delivered, DeliveryReport, "Mark delivered",
           "Mark a shipment delivered (--shipment N; none: the one on its way); feedback is requested after the "
           "policy's delay once every shipment has arrived.", "delivery", cli="deliver",
           choices={"shipment": lambda view, caller: [str(s.number) for s in view.shipments if s.delivered_at is None]},
           note="The customer has the parcel."),
    Action("amend", OrderWorkflow.amend_order, Amendment, "Correct this order",
           "Correct a confirmed order with the whole corrected form and a reason: what has not shipped changes, the "
           "customer and every affected department are told exactly what changed.", "amendments", console=False),
    Action("request", OrderWorkflow.customer_request, CustomerRequest, "Record what the customer says", "Record what the customer says is wrong (the status page's \"Tell us\" "
           "sends it too): a task for customer service, in the timeline.", "requests", cli="request", console=False),
    Action("resolve_request", OrderWorkflow.resolve_request, RequestResolution, "Resolve the customer's request", "Resolve a customer's request, saying what was done (after correcting "
           "the order or replying).", "request-resolutions", cli="resolve-request",
           choices={"number": lambda view, caller: [str(r.number) for r in view.requests if r.resolved_at is None]},
           note="Say what was done; the request leaves customer service's queue."),
    Action("cancel", OrderWorkflow.cancel, Cancellation, "Cancel the order",
           "Cancel an order before it ships; the customer and every department are told (--reason: the message the "
           "customer reads, as written; --note: for staff and the departments only).", "cancellation",
           cli="cancel", labels={"reason": "Message to the customer (sent to them as written)",
                                 "note": "Internal note (staff and departments only; optional)"},
           note="The customer reads the message word for word; keep anything internal for the note."),
    Action("feedback", OrderWorkflow.submit_feedback, FeedbackEntry, "Record feedback from a call", "Record the customer's feedback (from the survey or a customer-service "
           "call).", "feedback", cli="feedback", fields=("rating", "comment")),
    Action("call_outcome", OrderWorkflow.record_call_outcome, CallOutcome, "Record the feedback call", "Record a feedback call: the customer's rating and comment, or no answer (one "
           "more try the next business day, then the call is closed without feedback).", "call-outcomes",
           cli="call-outcome", choices={"outcome": lambda view, caller: [ANSWERED, NO_ANSWER]},
           labels={"rating": "Rating 1-5 (required when answered)", "comment": "Comment (optional)"},
           note="Answered: give the rating (required). No answer: leave the rating empty."),
    Action("payment", OrderWorkflow.record_payment, Payment, "Record a payment",
           "Record a payment received from the customer (amount, method, the bank's or provider's reference, the date "
           "received; none: today): the balance due goes down. Refused: another currency, more than is due, a "
           "reference already recorded.", "payments", cli="payment",
           choices={"method": lambda view, caller: [m.value for m in PaymentMethod]},
           prefill={"amount": lambda view: f"{view.balance_due:.2f}"},
           note="The amount is filled in with the balance due; the currency is the order's."),
    Action("refund", OrderWorkflow.record_refund, Refund, "Record a refund",
           "Record a refund paid back to the customer, against the refund due (a cancellation after a payment): "
           "never more than was paid.", "refunds", cli="refund",
           choices={"method": lambda view, caller: [m.value for m in PaymentMethod]},
           prefill={"amount": lambda view: f"{view.refund_due:.2f}"},
           note="The amount is filled in with the refund due; the order leaves the refunds queue once nothing is due."),
)}
BY_UPDATE = {a.update_name: a for a in ACTIONS.values()}

# What each role may do besides the actions: read every order, start orders, resend a failed message.
READS_AND_STARTS: dict[str, tuple[str, ...]] = {
    "read": ROLES,
    "create": ("service", "customer-service", "admin"),
    "resend": ("customer-service", "admin"),
    "insights": ("customer-service", "admin", "manufacturer"),  # a manufacturer's own figures (starter/insights.py)
}
ALLOWED: dict[str, tuple[str, ...]] = READS_AND_STARTS | {a.name: a.roles for a in ACTIONS.values()}  # API and console
CONSOLE_ONLY: dict[str, tuple[str, ...]] = {  # the console's papers and lists (console_printouts.py, console_invoice.py)
    "print": ("warehouse", "customer-service", "admin"),  # packing slips and the pick list
    "export": ("accounts", "admin"),  # an order list as CSV
    "invoice": ("accounts", "customer-service", "admin"),  # the order's invoice (console_invoice.py)
}
PERMISSIONS = ALLOWED | CONSOLE_ONLY


def may(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
