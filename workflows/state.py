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
    from models.calendar import business_days_before
    from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
    from models.order import (FieldProblem, FormCheck, OrderForm, OrderStart, OrderStatus, OrderView, Shipment,
                              ShipmentCorrection, TimelineEvent, described_changes)
    from models.parts import LineRef, Part, PartStatus, line_indexes, part_unshipped, unshipped
    from models.policy import Policy

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
    cancelled_from_temporal: bool = False  # the workflow closes as cancelled once everyone has been told
    temporal_cancel_refused: str = ""     # why a cancellation from Temporal was refused, until staff are alerted
    temporal_cancels_refused: int = 0
    request_keys: list[str] = field(default_factory=list)  # idempotency keys of the customer requests taken
    messages_dropped: int = 0              # signals from outside Orderly the order could not use
    acknowledgement_reminded: bool = False
    in_flight: str = ""                    # the course-changing action being carried out (decisions.CONFLICTING)
    in_flight_since: datetime | None = None
    date_changed: bool = False             # a delay moved a date: the deadline timer starts again
    shipments_told: int = 0                # shipments whose shipping notice has gone out
    work_orders_sent_at: datetime | None = None
    submitter_unreachable: bool = False    # the form gave no usable email address: nothing could be sent to them
    ever_sent_work_order: list[str] = field(default_factory=list)  # departments that got a work order at some time
    amendments: int = 0                    # corrections applied (the next is revision amendments + 2)
    shipment_corrections: dict[int, int] = field(default_factory=dict)  # shipment number -> corrections told
    deposit_asked_at: datetime | None = None  # the made-to-order parts wait for the deposit since (deposit.py)
    settling: bool = False                 # over, but held open for accounts receivable (money.py)
    version: int = 0                       # bumped by every change the read model should get

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
        """The one way anything enters the timeline; every recorded event is also a change for the read model."""
        self.view.timeline.append(TimelineEvent(seq=len(self.view.timeline) + 1, at=workflow.now(), kind=kind,
                                                text=text, data=data))
        self.version += 1

    def take_form(self, form: OrderForm, check: FormCheck) -> None:
        """A resubmitted form (complete or not) becomes the order's, with its check."""
        self.form = form.model_copy(update={"order_id": self.order_id})
        self.view.customer, self.view.shipping_address, self.view.notes = (form.customer, form.shipping_address,
                                                                           form.notes)
        self.view.language = form.language or self.view.language  # data only: no command depends on it
        self.view.problems = check.problems
        self.check = check

    def accept(self, policy: Policy, holidays: frozenset[date]) -> None:
        """Take the complete form's checked lines and promised dates into the order: one part per fulfiller, each
        with its own date."""
        check = self.check
        view = self.view
        view.problems = []
        view.lines = check.lines
        view.currency = check.currency
        everything = [LineRef(sku=line.sku, quantity=line.quantity, line=i) for i, line in enumerate(view.lines)]
        view.parts = []
        for department in dict.fromkeys(sorted((li.fulfiller for li in view.lines), key=lambda d: d != WAREHOUSE)):
            due = check.part_dates.get(department, check.expected_fulfillment_date)
            handover = (None if department == WAREHOUSE else
                        business_days_before(due, policy.warehouse_handling_days, holidays))
            view.parts.append(Part(department=department, expected_fulfillment_date=due,
                                   original_fulfillment_date=due, handover_date=handover,
                                   lines=[everything[i] for i in line_indexes(view.lines, department)]))
        view.original_fulfillment_date = check.expected_fulfillment_date
        self.refresh()
        self.accepted = True

    def refresh(self) -> None:
        """Each part's status and the order's dates, from what has happened to its lines."""
        view = self.view
        for part in view.parts:
            part.status = self.part_status(part)
        view.expected_fulfillment_date = max(p.expected_fulfillment_date for p in view.parts)
        open_dates = [p.expected_fulfillment_date for p in self.dated_parts()]  # (held for a deposit: none yet)
        view.next_fulfillment_date = min(open_dates) if open_dates else None

    def part_status(self, part: Part) -> PartStatus:
        view = self.view
        left = part_unshipped(part, view.lines, view.shipments)
        if not left:
            mine = {ref.line for ref in part.lines}
            carrying = [s for s in view.shipments if any(ref.line in mine for ref in s.lines or [])]
            return (PartStatus.delivered if all(s.delivered_at for s in carrying) else PartStatus.shipped)
        if sum(r.quantity for r in left) < sum(r.quantity for r in part.lines):
            return PartStatus.partially_shipped
        if part.late_for == part.expected_fulfillment_date:
            return PartStatus.late
        if part.expected_fulfillment_date > part.original_fulfillment_date:
            return PartStatus.delayed
        if part.ready_at is not None:
            return PartStatus.ready
        if part.department in view.acknowledged:
            return PartStatus.in_progress
        return PartStatus.awaiting_acknowledgement

    @property
    def in_one_part(self) -> bool:
        return len(self.view.parts) == 1

    def part_label(self, part: Part) -> str:
        """The part in words, for staff: its lines (`2 x Dining chair`)."""
        return ", ".join(f"{ref.quantity} x {self.view.lines[ref.line].name}" for ref in part.lines)

    def parts_label(self, parts: list[Part]) -> str:
        return "; ".join(self.part_label(p) for p in parts)

    def unshipped_parts(self) -> list[Part]:
        return [p for p in self.view.parts if part_unshipped(p, self.view.lines, self.view.shipments)]

    def parts_named(self, department: str | None) -> list[Part]:
        """The parts a staff action names (its department), or every part not yet shipped."""
        if department is None:  # (a part held for the deposit has no date to move yet)
            return self.dated_parts()
        return [p for p in self.dated_parts() if p.department == department]

    def record_shipment(self, shipment: Shipment, lines: list[LineRef]) -> Shipment:
        shipment = shipment.model_copy(update={"lines": lines, "number": len(self.view.shipments) + 1,
                                               "shipped_at": workflow.now()})
        self.view.shipments.append(shipment)
        self.refresh()
        return shipment

    def fulfilment_status(self) -> OrderStatus:
        """Shipped, delivered, or part of either: the order's status once something has shipped."""
        view = self.view
        everything_shipped = not unshipped(view.lines, view.shipments)
        delivered = [s for s in view.shipments if s.delivered_at is not None]
        if delivered:
            return (OrderStatus.delivered if everything_shipped and len(delivered) == len(view.shipments)
                    else OrderStatus.partially_delivered)
        return OrderStatus.shipped if everything_shipped else OrderStatus.partially_shipped

    def correct_shipment(self, correction: ShipmentCorrection, by: str = "") -> tuple[str, list[dict[str, str]]] | None:
        """Apply a shipment correction: the notice revision it is told as and each change as the customer reads it
        (now, was); None when nothing differs."""
        shipment = self.view.shipment_numbered(correction.shipment)
        changes = correction.changes_to(shipment)
        if not changes:
            return None
        corrected = shipment.model_copy(update={name: now for name, (_, now) in changes.items()})
        self.view.shipments[shipment.number - 1] = corrected
        number = shipment.number
        done = self.shipment_corrections.get(number, 0)
        self.shipment_corrections[number] = done + 1
        revision = str(2 + done) if number == 1 else f"shipment-{number}.{2 + done}"
        described = described_changes(changes)
        which = "" if len(self.view.shipments) == 1 else f" of shipment {number}"
        self.record("shipment_corrected", f"Shipping details{which} corrected{f' by {by}' if by else ''}: " + "; ".join(
            f"{c['label']} {c['now']} (was {c['was']})" for c in described), revision=revision, shipment=number, by=by)
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
        held = {p.department for p in self.held_parts()}  # their work order waits for the deposit (deposit.py)
        makers = sorted({line.fulfiller for line in self.view.lines if line.fulfiller not in (WAREHOUSE, *held)})
        return [WAREHOUSE, ACCOUNTS_RECEIVABLE, *makers]

    @property
    def pending_acknowledgements(self) -> list[str]:
        return [d for d in self.view.work_orders if d not in self.view.acknowledged]

    def shipped_or_new_date(self) -> bool:
        return len(self.view.shipments) > self.shipments_told or self.date_changed or self.deposit_paid()

    def held_parts(self) -> list[Part]:
        """The made-to-order parts waiting for the deposit."""
        return [p for p in self.view.parts if p.awaiting_deposit]

    def deposit_paid(self) -> bool:
        """Parts are held and the payments have reached the deposit: they can go ahead."""
        return bool(self.held_parts()) and self.view.paid >= self.view.deposit_due and not self.closed

    def dated_parts(self) -> list[Part]:
        """The parts not yet shipped that have a date to keep (a part held for the deposit has none yet)."""
        return [p for p in self.unshipped_parts() if not p.awaiting_deposit]

    def everything_shipped(self) -> bool:
        return not unshipped(self.view.lines, self.view.shipments)

    def delivered(self) -> bool:
        return self.everything_shipped() and all(s.delivered_at is not None for s in self.view.shipments)

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
