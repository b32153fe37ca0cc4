"""A batch of orders driven through their whole lifecycle by the tests, as staff and customers would, retrying
what an outage interrupted. Used by the fault tests: put the batch in mixed stages, break something, finish it,
then check that every order completed and every message arrived once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

from temporalio.service import RPCError

from models.order import Acknowledgement, FeedbackEntry, OrderStatus, OrderView, Shipment
from starter import orders
from starter.orders import OrderError

from .conftest import messages_of, sofa_form

STAGES = ("confirmed", "shipped", "delivered")
EXPECTED = {("order_confirmation", "customer"), ("work_order", "warehouse"), ("work_order", "accounts-receivable"),
            ("shipping_notice", "customer"), ("feedback_request", "customer")}
ALREADY_DONE = ("already shipped", "already delivered", "already received", "had already acknowledged")


async def retrying(call, timeout: float = 120.0):
    """Call until it gets an answer: an outage is waited out; a refusal saying it is already done counts as done
    (the first try may have landed before the outage ate its answer)."""
    deadline = asyncio.get_running_loop().time() + timeout
    delay = 0.2
    while True:
        try:
            return await call()
        except OrderError as e:
            if e.kind == "refused" and any(words in e.message for words in ALREADY_DONE):
                return None
            if e.kind != "unavailable" and e.kind != "refused":
                raise
            last = e
        except RPCError as e:  # the server is down or restarting
            last = e
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still failing after {timeout}s: {last}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


class Batch:
    def __init__(self, client, settings, engine, prefix: str, size: int, patience: float = 120.0) -> None:
        self.client, self.settings, self.engine, self.patience = client, settings, engine, patience
        self.ids = [f"{prefix}-{n}" for n in range(size)]

    async def view(self, order_id: str) -> OrderView:
        return await retrying(lambda: orders.order_status(self.client, order_id))

    async def until(self, order_id: str, predicate) -> OrderView:
        deadline = asyncio.get_running_loop().time() + self.patience
        while True:
            view = await self.view(order_id)
            if predicate(view):
                return view
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{order_id} stuck: {view.status.value}, "
                                     f"{[e.text for e in view.timeline[-3:]]}")
            await asyncio.sleep(0.3)

    async def submit(self) -> None:
        for order_id in self.ids:
            await retrying(lambda: orders.submit_order(self.client, self.settings, sofa_form(order_id=order_id)))

    async def to_stage(self, order_id: str, stage: str) -> None:
        """Take one order as far as `stage` (confirmed, shipped or delivered)."""
        await self.until(order_id, lambda v: bool(v.work_orders) or v.status.value in STAGES[1:])
        if stage == "confirmed":
            return
        for department in ("warehouse", "accounts-receivable"):
            await retrying(lambda: orders.act(self.client, order_id, "acknowledge", Acknowledgement(department=department)))
        await retrying(lambda: orders.act(self.client, order_id, "ship", Shipment(
            carrier="UPS", tracking_number=f"1Z-{order_id}", expected_delivery_date=date.today() + timedelta(days=5))))
        if stage == "delivered":
            await retrying(lambda: orders.act(self.client, order_id, "deliver"))

    async def spread(self) -> dict[str, str]:
        """Put the batch in mixed stages: a third confirmed, a third shipped, a third delivered."""
        stages = {order_id: STAGES[n % 3] for n, order_id in enumerate(self.ids)}
        await asyncio.gather(*(self.to_stage(o, s) for o, s in stages.items()))
        return stages

    async def finish(self, order_id: str) -> OrderView:
        await self.to_stage(order_id, "delivered")
        await self.until(order_id, lambda v: bool(messages_of(self.engine, order_id, "feedback_request")))
        await retrying(lambda: orders.act(self.client, order_id, "feedback", FeedbackEntry(rating=5)))
        return await self.until(order_id, lambda v: v.status is OrderStatus.completed)

    async def finish_all(self) -> list[OrderView]:
        return await asyncio.gather(*(self.finish(o) for o in self.ids))

    def check_messages(self) -> None:
        """Every order has exactly the expected messages in the send log, each logged as sent."""
        for order_id in self.ids:
            logged = messages_of(self.engine, order_id)
            kinds = {(m.kind, m.key.split("/")[2]) for m in logged}
            assert kinds == EXPECTED, (order_id, kinds ^ EXPECTED)
            assert all(m.status == "sent" for m in logged), [(m.key, m.status) for m in logged]


def deliveries_by_key(received) -> Counter:  # noqa: ANN001
    """How many times each message key reached the SMTP server."""
    return Counter(r.message["X-Orderly-Key"] for r in received)


class Count:
    """What the receiving server got, counted against what every order of the batch must have sent: the five
    EXPECTED messages (kind, recipient) per order. `lost` are expected messages that never arrived; `unexpected`
    arrived but belong to no order of the batch or to no expected (kind, recipient)."""

    def __init__(self, ids: list[str], deliveries: Counter) -> None:
        self.expected = {(o, kind, to) for o in ids for kind, to in EXPECTED}
        arrived: dict[tuple[str, str, str], int] = {}
        for key, n in deliveries.items():
            order_id, kind, to, *_ = key.split("/")
            arrived[(order_id, kind, to)] = arrived.get((order_id, kind, to), 0) + n
        self.deliveries = deliveries
        self.lost = sorted(self.expected - set(arrived))
        self.unexpected = sorted(set(arrived) - self.expected)
        self.delivered = sum(deliveries.values())
        self.repeats = {k: n for k, n in deliveries.items() if n > 1}

    def check(self) -> None:
        assert not self.lost, f"{len(self.lost)} expected message(s) never reached the server: {self.lost}"
        assert not self.unexpected, f"messages nobody expected reached the server: {self.unexpected}"

    def line(self, name: str, completed: int, orders: int) -> str:
        return (f"[fault] {name}: orders={orders} completed={completed} expected={len(self.expected)} "
                f"received={self.delivered} distinct={len(self.deliveries)} repeated={len(self.repeats)} "
                f"lost={len(self.lost)}")
