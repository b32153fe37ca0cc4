"""A read model with known outcomes for the insights tests, written through `read_model.save_order` as the workflow's
activity writes it (an incomplete form saved first, then the order once accepted; the events with their saves).

Eleven orders received on 1 October 2026, every part promised for 20 October:
- I-01..I-09: a sofa from the warehouse; I-10: a made-to-measure bookcase from nordwood; I-11: never completed,
  expired (its form missed the customer's phone).
- I-01 and I-02 arrived without the sofa's fabric; completed 1.5 days later (accepted on 2 October).
- three late: I-08 (warehouse, shipped the 25th: 5 days late; a delay "Fabric out of stock" reported on the 15th,
  before the date, and "Carrier strike" on the 22nd), I-09 (warehouse, the 23rd: 3 days; only the lateness timer
  told the customer) and I-10 (nordwood, the 24th: 4 days; "Fabric out of stock" reported on the 18th). The others
  shipped on the 19th.
- ratings 5 (I-03, survey, "Lovely sofa"), 5 (I-04, survey), 4 (I-05, call) and 2 (I-08, late, survey, "Too
  slow"); I-06 and I-07 completed without feedback (survey), I-09's call went unanswered.
- requests: I-01 (5 Oct, resolved in 2 days), I-02 (1 Nov, open), I-10 (10 Oct, resolved in half a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from models.customer_requests import RequestRecord
from models.feedback_call import CallTry, FeedbackCall
from models.order import (Address, Customer, FeedbackEntry, FieldProblem, OrderStatus, OrderView, PricedLine,
                          TimelineEvent)
from models.parts import LineRef, Part
from models.shipments import Shipment
from store import read_model

TODAY = date(2026, 11, 30)
RECEIVED = datetime(2026, 10, 1, 10, 0, tzinfo=timezone.utc)
PROMISED = date(2026, 10, 20)
SHIPPED = {"I-08": date(2026, 10, 25), "I-09": date(2026, 10, 23), "I-10": date(2026, 10, 24)}
DELAYS = {"I-08": [(date(2026, 10, 15), "Fabric out of stock"), (date(2026, 10, 22), "Carrier strike")],
          "I-10": [(date(2026, 10, 18), "Fabric out of stock")]}
FEEDBACK = {"I-03": (5, "Lovely sofa", date(2026, 10, 28), "survey"), "I-04": (5, "", date(2026, 11, 2), "survey"),
            "I-05": (4, "", date(2026, 11, 3), "call"), "I-08": (2, "Too slow", date(2026, 11, 5), "survey")}
REQUESTS = {"I-01": (datetime(2026, 10, 5, 9, tzinfo=timezone.utc), timedelta(days=2)),
            "I-02": (datetime(2026, 11, 1, 9, tzinfo=timezone.utc), None),
            "I-10": (datetime(2026, 10, 10, 9, tzinfo=timezone.utc), timedelta(hours=12))}
FABRIC = FieldProblem(field="lines[0].options.fabric", message="missing: Fabric", kind="missing")
PHONE = FieldProblem(field="customer.phone", message="missing: phone", kind="missing")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def base(order_id: str) -> OrderView:
    return OrderView(order_id=order_id, status=OrderStatus.received, channel="web",
                     customer=Customer(name=f"Customer {order_id}", email=f"{order_id.lower()}@example.com"),
                     shipping_address=Address(line1="1 Main St", city="Springfield", country="US"),
                     received_at=RECEIVED)


def seed(engine) -> None:  # noqa: ANN001
    for n in range(1, 11):
        order_id = f"I-{n:02d}"
        events = [TimelineEvent(seq=1, at=RECEIVED, kind="received", text="Order received by web")]
        if n <= 2:  # the form arrived without the fabric: saved as incomplete first
            incomplete = base(order_id).model_copy(update={"status": OrderStatus.incomplete, "problems": [FABRIC]})
            events.append(TimelineEvent(seq=2, at=RECEIVED, kind="status:incomplete", text="Form incomplete"))
            read_model.save_order(engine, incomplete, events)
            events = [TimelineEvent(seq=3, at=RECEIVED + timedelta(days=1, hours=12), kind="form_completed",
                                    text="The missing details arrived")]
        view, more = accepted(order_id, seq=len(events) + (2 if n <= 2 else 1))
        read_model.save_order(engine, view, events + more)
    expired = base("I-11").model_copy(update={"status": OrderStatus.expired, "problems": [PHONE]})
    read_model.save_order(engine, expired, [TimelineEvent(seq=1, at=RECEIVED, kind="status:incomplete",
                                                          text="Form incomplete")])


def accepted(order_id: str, seq: int) -> tuple[OrderView, list[TimelineEvent]]:
    maker = "nordwood" if order_id == "I-10" else "warehouse"
    line = (PricedLine(sku="BOOKCASE-MTM", name="Bookcase", quantity=1, options={}, unit_price=Decimal("900"),
                       lead_time_days=19, fulfiller="nordwood", product_type="bookcase") if maker == "nordwood" else
            PricedLine(sku="SOFA-3S", name="Sofa", quantity=1, options={"fabric": "linen"}, unit_price=Decimal("1200"),
                       lead_time_days=19, fulfiller="warehouse", product_type="sofa"))
    events, delay_reason = [], ""
    for day, reason in DELAYS.get(order_id, []):
        events.append(TimelineEvent(seq=seq + len(events), at=at(day), kind="status:delayed", text=f"Delayed: {reason}",
                                    data={"date": "2026-10-30", "previous_date": "2026-10-20", "reason": reason}))
        delay_reason = reason
    late_for = None
    if order_id == "I-09":  # the lateness timer: a delayed status without a reason (not a delay staff reported)
        late_for = PROMISED
        events.append(TimelineEvent(seq=seq + len(events), at=at(date(2026, 10, 21), 6), kind="status:delayed",
                                    text="Late: expected by 2026-10-20 and not shipped"))
    shipped = SHIPPED.get(order_id, date(2026, 10, 19))
    part = Part(department=maker, lines=[LineRef(sku=line.sku, quantity=1, line=0)],
                expected_fulfillment_date=shipped if order_id in DELAYS else PROMISED,
                original_fulfillment_date=PROMISED, delay_reason=delay_reason, late_for=late_for, status="shipped")
    shipment = Shipment(carrier="UPS", tracking_number="1Z1", expected_delivery_date=shipped + timedelta(days=2),
                        lines=[LineRef(sku=line.sku, quantity=1, line=0)], number=1, shipped_at=at(shipped, 15),
                        delivered_at=at(shipped + timedelta(days=2)))
    rating = FEEDBACK.get(order_id)
    call = None
    if (rating and rating[3] == "call") or order_id == "I-09":
        call = FeedbackCall(requested_at=at(date(2026, 10, 27)), tries=[CallTry(
            at=at(date(2026, 10, 28)), outcome="answered" if rating else "no_answer")])
    completed = order_id not in ("I-01", "I-02", "I-10")
    requests = []
    if order_id in REQUESTS:
        received, took = REQUESTS[order_id]
        requests = [RequestRecord(number=1, message="Please call first", received_at=received,
                                  resolved_at=received + took if took else None)]
    view = base(order_id).model_copy(update={
        "status": OrderStatus.completed if completed else OrderStatus.delivered, "lines": [line], "parts": [part],
        "expected_fulfillment_date": part.expected_fulfillment_date, "original_fulfillment_date": PROMISED,
        "work_orders": ["warehouse", "accounts-receivable"] + ([maker] if maker != "warehouse" else []),
        "shipments": [shipment], "delivered_at": shipment.delivered_at, "feedback_call": call, "requests": requests,
        "feedback": FeedbackEntry(rating=rating[0], comment=rating[1], received_at=at(rating[2])) if rating else None})
    return view, events
