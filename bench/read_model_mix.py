"""A realistic mix of order views for the read model, for the read-model benchmark and the read model's tests.

Three years of a furniture business's orders ending at `now`: the older ones closed (most completed, a few
cancelled or expired), the newest ones spread over every open status, with several manufacturers, parts, shipments
(whole and partial), customers' requests, feedback calls due, late and at-risk dates, names and phones staff
search for ("Dela Cruz", "555 0142"), and money as accounts receivable records it (`with_money`: a closed order
settled, the open ones paid in full, in part or not yet, a few balances and refunds still due). Deterministic for a
seed: the same N orders every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from models.customer_requests import RequestRecord
from models.feedback_call import CallTry, FeedbackCall
from models.money import MoneyRecord, PaymentMethod
from models.order import (Address, Customer, FeedbackEntry, OrderStatus, OrderView, PricedLine, TimelineEvent)
from models.parts import LineRef, Part
from models.shipments import Shipment

MAKERS = ("nordwood", "oakline", "fabrica", "ironworks")
DEPARTMENTS = ("warehouse", "accounts-receivable")
FIRST = ("Maria", "Katherine", "Jean-Luc", "Ana María", "Wei", "Sam", "Olu", "Zoë", "Juan", "Priya", "Ahmed", "Lena",
         "Tomás", "Aiko", "Grace", "Pedro", "Fatima", "Noah", "Ines", "Ravi")
LAST = ("Dela Cruz", "Johnson", "Van der Berg", "López", "Chen", "Smith", "Adeyemi", "Brontë", "de la Rosa",
        "Natarajan", "Okafor", "Müller", "Kowalski", "Nguyen", "O'Brien", "Haddad", "Silva", "Tanaka", "Rossi", "Kim")
OPEN = (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped, OrderStatus.shipped,
        OrderStatus.partially_delivered, OrderStatus.delivered, OrderStatus.received, OrderStatus.incomplete)
OPEN_SHARE = 0.1  # the newest tenth of the orders is still open
SKUS = (("SOFA-3S", "warehouse"), ("TABLE-OAK", "warehouse"), ("CHAIR", "warehouse"), ("BOOKCASE-MTM", "nordwood"),
        ("DESK-MTM", "oakline"), ("ARMCHAIR-MTM", "fabrica"), ("BED-IRON", "ironworks"))


def order_views(n: int, now: datetime, seed: int = 26, prefix: str = "ORD") -> Iterator[OrderView]:
    """`n` order views, oldest first, the last one received shortly before `now`."""
    rng = random.Random(seed)
    span = timedelta(days=3 * 365)
    for i in range(n):
        received = now - span * (n - i) / n - timedelta(minutes=rng.randint(0, 59))
        is_open = i >= n * (1 - OPEN_SHARE)
        status = rng.choice(OPEN) if is_open else rng.choices(
            (OrderStatus.completed, OrderStatus.cancelled, OrderStatus.expired), (92, 6, 2))[0]
        yield order_view(rng, f"{prefix}-{i + 1:07d}", status, received, now)


def order_view(rng: random.Random, order_id: str, status: OrderStatus, received: datetime,
               now: datetime) -> OrderView:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    customer = Customer(name=name, email=f"{name.split()[-1].lower()}{rng.randint(1, 9999)}@example.com",
                        phone=f"+1 ({rng.randint(200, 999)}) 555-{rng.randint(0, 9999):04d}")
    address = Address(line1="1 Main St", city="Springfield", postal_code=f"{rng.randint(10000, 99999)}", country="US")
    picked = rng.sample(SKUS, rng.randint(1, 3))
    lines = [PricedLine(sku=sku, name=sku.title(), quantity=rng.randint(1, 2), options={},
                        unit_price=Decimal(rng.randint(100, 2500)), lead_time_days=14, fulfiller=fulfiller)
             for sku, fulfiller in picked]
    view = OrderView(order_id=order_id, status=status, channel=rng.choice(("web", "phone", "api")), customer=customer,
                     shipping_address=address, lines=lines, received_at=received)
    if status in (OrderStatus.received, OrderStatus.incomplete, OrderStatus.expired):
        return view
    return with_money(fulfilled(rng, view, status, now))


def fulfilled(rng: random.Random, view: OrderView, status: OrderStatus, now: datetime) -> OrderView:
    """The parts, work orders, acknowledgements, shipments, requests and calls an accepted order has by `status`."""
    fulfillers = list(dict.fromkeys(line.fulfiller for line in view.lines))
    start = view.received_at.date()
    parts = [Part(department=f, lines=[LineRef(sku=line.sku, quantity=line.quantity, line=k)
                                       for k, line in enumerate(view.lines) if line.fulfiller == f],
                  expected_fulfillment_date=(day := start + timedelta(days=rng.randint(10, 40))),
                  original_fulfillment_date=day,
                  handover_date=day - timedelta(days=2) if f != "warehouse" else None,
                  ready_at=view.received_at + timedelta(days=5) if f != "warehouse" and rng.random() < 0.4 else None)
             for f in fulfillers]
    work_orders = list(DEPARTMENTS) + [f for f in fulfillers if f != "warehouse"]
    closed = status in (OrderStatus.completed, OrderStatus.cancelled)
    acknowledged = {d: view.received_at + timedelta(hours=2) for d in work_orders if closed or rng.random() < 0.6}
    shipped_all = status in (OrderStatus.shipped, OrderStatus.partially_delivered, OrderStatus.delivered,
                             OrderStatus.completed)
    shipments = []
    if shipped_all or status is OrderStatus.partially_shipped:
        ship_parts = parts if shipped_all else parts[:1]
        shipments = [Shipment(carrier="UPS", tracking_number=f"1Z{rng.randint(10**8, 10**9)}", number=k + 1,
                              expected_delivery_date=p.expected_fulfillment_date + timedelta(days=3),
                              lines=[LineRef(sku=r.sku, quantity=r.quantity, line=r.line) for r in p.lines])
                     for k, p in enumerate(ship_parts)]
    shipped_lines = {r.line for s in shipments for r in s.lines or []}
    waiting = [p.expected_fulfillment_date for p in parts if any(r.line not in shipped_lines for r in p.lines)]
    requests = [RequestRecord(number=1, message="Could you deliver in the afternoon?",
                              received_at=view.received_at + timedelta(days=1),
                              resolved_at=None if rng.random() < 0.5 else view.received_at + timedelta(days=2))
                ] if rng.random() < 0.2 else []
    call = None
    if status in (OrderStatus.delivered, OrderStatus.completed) and rng.random() < 0.3:
        asked = min(now - timedelta(hours=1), view.received_at + timedelta(days=30))
        call = FeedbackCall(requested_at=asked, tries=[CallTry(at=asked + timedelta(hours=3), outcome="no_answer")]
                            if rng.random() < 0.3 else [])
    return view.model_copy(update={
        "parts": parts, "work_orders": work_orders, "acknowledged": acknowledged, "shipments": shipments,
        "expected_fulfillment_date": max(p.expected_fulfillment_date for p in parts),
        "next_fulfillment_date": min(waiting) if waiting else None, "requests": requests, "feedback_call": call,
        "feedback": FeedbackEntry(rating=rng.randint(3, 5)) if status is OrderStatus.completed and rng.random() < 0.5
        else None,
        "cancel_reason": "Changed my mind" if status is OrderStatus.cancelled else None})


def with_money(view: OrderView) -> OrderView:
    """What accounts receivable recorded (from a generator of the order's own, so the rest of the mix is as before):
    a completed order paid in full (1 in 100 still owing half), a cancelled one nothing or paid and refunded (1 in 20
    of those with the refund still due), an open one paid in full, half or not yet."""
    rng, total = random.Random(view.order_id), view.total
    def entry(number: int, amount: Decimal, kind: str) -> MoneyRecord:  # noqa: E306
        at = view.received_at + timedelta(days=number)
        return MoneyRecord(number=number, amount=amount, currency=view.currency, method=PaymentMethod.bank_transfer,
                           reference=f"{kind}-{view.order_id}-{number}", received=at.date(),
                           recorded_by="accounts (role token)", recorded_at=at)
    half = (total / 2).quantize(Decimal("0.01"))
    roll = rng.random()
    if view.status is OrderStatus.completed:
        paid = [entry(1, half, "PAY")] if roll < 0.01 else [entry(1, total, "PAY")]
        return view.model_copy(update={"payments": paid})
    if view.status is OrderStatus.cancelled:
        if roll < 0.7:
            return view
        refunds = [] if rng.random() < 0.05 else [entry(2, half, "REF")]
        return view.model_copy(update={"payments": [entry(1, half, "PAY")], "refunds": refunds})
    paid = [entry(1, total, "PAY")] if roll < 0.5 else [entry(1, half, "PAY")] if roll < 0.8 else []
    return view.model_copy(update={"payments": paid})


def first_events(view: OrderView) -> list[TimelineEvent]:
    """The timeline an order starts with, as the workflow's first read-model write carries it."""
    return [TimelineEvent(seq=1, at=view.received_at, kind="received", text="Order received"),
            TimelineEvent(seq=2, at=view.received_at, kind="status", text=f"Order {view.status.value}")]
