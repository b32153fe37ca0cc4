"""The order's state inside the workflow: one model the steps and the handlers read and change.

`view` is what the status query returns and the read model stores; the rest is what the process needs to remember
about itself (the checked form, whether a date changed, the lateness alerts). `record` is the one way anything
enters the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
    from models.order import (FieldProblem, FormCheck, OrderForm, OrderStart, OrderStatus, OrderView,
                              ShipmentCorrection, TimelineEvent, described_changes)

NOT_YET_CONFIRMED = (OrderStatus.received, OrderStatus.incomplete)
CLOSED = (OrderStatus.cancelled, OrderStatus.expired, OrderStatus.completed)


@dataclass
class OrderState:
    view: OrderView
    form: OrderForm
    check: FormCheck | None = None
    accepted: bool = False                 # the complete form's lines and date are the order's
    intake_answered: bool = False          # what `intake` waits for: accepted, or told what is missing
    intake_calls: int = 0
    cancel_requested: bool = False
    date_changed: bool = False             # a delay moved the date: the lateness timer starts again
    late_for: date | None = None           # the date the customer was last told is missed
    late_alerts: int = 0
    last_late_alert_at: datetime | None = None
    work_orders_sent_at: datetime | None = None
    work_orders_on_the_way: list[str] = field(default_factory=list)  # sent with the confirmation, not yet told

    @classmethod
    def received(cls, start: OrderStart) -> OrderState:
        form = start.form
        view = OrderView(order_id=start.order_id, status=OrderStatus.received, channel=form.channel,
                         customer=form.customer, shipping_address=form.shipping_address, notes=form.notes,
                         language=form.language, received_at=workflow.now())
        state = cls(view=view, form=form, check=start.check)
        state.record("received", f"Order received by {form.channel.value}")
        return state

    @property
    def order_id(self) -> str:
        return self.view.order_id

    def record(self, kind: str, text: str, **data: Any) -> None:
        self.view.timeline.append(TimelineEvent(seq=len(self.view.timeline) + 1, at=workflow.now(), kind=kind,
                                                text=text, data=data))

    def take_form(self, form: OrderForm, check: FormCheck) -> None:
        """A resubmitted form (complete or not) becomes the order's, with its check."""
        self.form = form.model_copy(update={"order_id": self.order_id})
        self.view.customer, self.view.shipping_address, self.view.notes = (form.customer, form.shipping_address,
                                                                           form.notes)
        self.view.language = form.language or self.view.language  # data only: no command depends on it
        self.view.problems = check.problems
        self.check = check

    def accept(self) -> None:
        """Take the complete form's checked lines and promised date into the order."""
        check = self.check
        self.view.problems = []
        self.view.lines = check.lines
        self.view.currency = check.currency
        self.view.expected_fulfillment_date = check.expected_fulfillment_date
        self.view.original_fulfillment_date = check.expected_fulfillment_date
        self.accepted = True

    def correct_shipment(self, correction: ShipmentCorrection) -> tuple[int, list[dict[str, str]]] | None:
        """Apply a shipment correction: the notice revision it is told as and each change as the customer reads it
        (now, was); None when nothing differs."""
        changes = correction.changes_to(self.view.shipment)
        if not changes:
            return None
        self.view.shipment = self.view.shipment.model_copy(update={name: now for name, (_, now) in changes.items()})
        revision = 2 + sum(e.kind == "shipment_corrected" for e in self.view.timeline)
        described = described_changes(changes)
        self.record("shipment_corrected", "Shipping details corrected: " + "; ".join(
            f"{c['label']} {c['now']} (was {c['was']})" for c in described), revision=revision)
        return revision, described

    # ---- what the steps and the rules ask ----

    @property
    def form_complete(self) -> bool:
        return self.check is not None and self.check.complete

    @property
    def closed(self) -> bool:
        return self.cancel_requested or self.view.status in CLOSED

    def departments(self) -> list[str]:
        """Who gets a work order: the warehouse, accounts receivable, and each manufacturer making a line."""
        makers = sorted({line.fulfiller for line in self.view.lines if line.fulfiller != WAREHOUSE})
        return [WAREHOUSE, ACCOUNTS_RECEIVABLE, *makers]

    @property
    def pending_acknowledgements(self) -> list[str]:
        return [d for d in self.view.work_orders if d not in self.view.acknowledged]

    def acknowledged_or_moved_on(self) -> bool:
        return not self.pending_acknowledgements or not self.view.status.is_open_for_fulfillment

    def shipped_or_new_date(self) -> bool:
        return self.view.shipment is not None or self.date_changed

    def delivered(self) -> bool:
        return self.view.delivered_at is not None

    def has_feedback(self) -> bool:
        return self.view.feedback is not None

    def feedback_settled(self) -> bool:
        """Feedback received, or the feedback call closed after its tries went unanswered."""
        call = self.view.feedback_call
        return self.has_feedback() or (call is not None and call.closed)

    def show_problems(self, problems: list[FieldProblem]) -> str:
        self.view.problems = problems
        fields = ", ".join(p.field for p in problems)
        return f"Form incomplete, {len(problems)} problem(s): {fields}"
