"""Plays every role of an order (customer, warehouse, accounts receivable, customer service) for N orders at once,
and the same roles for the bare baseline workflow, recording when each step started and ended."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from models.catalog import ACCOUNTS_RECEIVABLE, WAREHOUSE
from models.order import (Acknowledgement, FeedbackEntry, OrderForm, OrderStart, OrderView, Shipment,
                          workflow_id_for)
from models.settings import PolicySettings, Settings
from starter import orders
from workflows.order import OrderWorkflow
from workflows.search_attributes import ORDER_STATUS

from .baseline import BaselineWorkflow
from .retries import ApiError, Retrier  # noqa: F401  (ApiError: raised by the HTTP calls below)
from .straightforward import StraightforwardWorkflow

DEPARTMENTS = (WAREHOUSE, ACCOUNTS_RECEIVABLE)
# what one sofa order that goes all the way sends: kind -> count
EXPECTED_MESSAGES = {"order_confirmation": 1, "work_order": len(DEPARTMENTS), "shipping_notice": 1,
                     "feedback_request": 1}
ROLE_FOR = {WAREHOUSE: "warehouse", ACCOUNTS_RECEIVABLE: "accounts"}


def sofa_form(order_id: str, channel: str = "api") -> OrderForm:
    return OrderForm.model_validate({
        "order_id": order_id, "channel": channel,
        "customer": {"name": "Bench Customer", "email": f"{order_id.lower()}@example.com", "phone": "+1 555 0199"},
        "shipping_address": {"line1": "1 Load Street", "city": "Springfield", "region": "IL",
                             "postal_code": "62704", "country": "US"},
        "lines": [{"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}],
    })


@dataclass
class Recorder:
    """Every timed step: (name, order, start, end) in wall-clock seconds, so they line up with the send log."""

    steps: list[tuple[str, str, float, float]] = field(default_factory=list)

    async def timed(self, name: str, order_id: str, action: Awaitable):
        start = time.time()
        result = await action
        self.steps.append((name, order_id, start, time.time()))
        return result


class MessageWatch:
    """Follows the send log (the read model's `messages` table) so staff act when their email arrives, as they would:
    one query every `every` seconds for the rows added since the last one, however many orders are waiting."""

    def __init__(self, db_path: Path, every: float = 0.05) -> None:
        self.db_path, self.every = db_path, every
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.waiters: dict[tuple[str, str], list[tuple[int, asyncio.Future]]] = defaultdict(list)
        self.last_rowid = 0
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> "MessageWatch":
        self.task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()

    async def wait(self, order_id: str, kind: str, count: int = 1, timeout: float = 120) -> None:
        key = (order_id, kind)
        if self.counts[key] >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self.waiters[key].append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RuntimeError(f"order {order_id}: {count} {kind} message(s) not logged within {timeout:.0f}s "
                               f"(saw {self.counts[key]})") from None

    def _read(self) -> list[tuple[int, str, str]]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT rowid, order_id, kind FROM messages WHERE rowid > ? ORDER BY rowid",
                              (self.last_rowid,)).fetchall()

    async def _poll(self) -> None:
        while True:
            if self.waiters:
                for rowid, order_id, kind in await asyncio.to_thread(self._read):
                    self.last_rowid = rowid
                    key = (order_id, kind)
                    self.counts[key] += 1
                    still = []
                    for count, future in self.waiters.get(key, []):
                        if self.counts[key] >= count and not future.done():
                            future.set_result(None)
                        elif not future.done():
                            still.append((count, future))
                    if still:
                        self.waiters[key] = still
                    else:
                        self.waiters.pop(key, None)
            await asyncio.sleep(self.every)


async def run_pool(ids: list[str], concurrency: int, rate: float | None, job: Callable[[str], Awaitable[None]],
                   advance: Callable[[], None]) -> tuple[float, float]:
    """Run `job(id)` for every id: at most `concurrency` at once, or (with `rate`) one started every 1/rate s.
    Returns (start, end) wall-clock time of the whole phase. The first failure ends the phase."""
    start = time.time()
    if rate:
        async def paced(i: int, order_id: str) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - time.time()))
            await job(order_id)
            advance()
        await _gather_or_fail([paced(i, x) for i, x in enumerate(ids)])
    else:
        queue = list(reversed(ids))

        async def lane() -> None:
            while queue:
                await job(queue.pop())
                advance()
        await _gather_or_fail([lane() for _ in range(min(concurrency, len(ids)))])
    return start, time.time()


async def _gather_or_fail(coros: list[Awaitable]) -> None:
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class OrderDriver:
    """Drives Orderly orders through the HTTP API (`api`) or the Temporal client (`client`), as the roles would."""

    def __init__(self, client: Client, settings: Settings, http: httpx.AsyncClient, tokens: dict[str, str],
                 watch: MessageWatch, recorder: Recorder, retry: Retrier | None = None,
                 wait_timeout: float = 120) -> None:
        self.client, self.settings, self.http, self.tokens = client, settings, http, tokens
        self.watch, self.rec = watch, recorder
        self.retry, self.wait_timeout = retry, wait_timeout  # with a Retrier, every call rides out faults

    async def _try(self, step: str, order_id: str, attempt: Callable[[], Awaitable],
                   applied: Callable[[OrderView], bool] | None = None):
        """`attempt()`, and with a Retrier, again while it fails; `applied(view)` tells an action already taken."""
        if self.retry is None:
            return await attempt()
        check = None if applied is None else (lambda: self._view_shows(order_id, applied))
        return await self.retry(step, attempt, check)

    async def _view_shows(self, order_id: str, applied: Callable[[OrderView], bool]) -> bool:
        return applied(await orders.order_status(self.client, order_id))

    async def call(self, role: str, path: str, body: dict | None = None, **headers: str) -> dict:
        response = await self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.tokens[role]}",
                                                                   **headers})
        if response.status_code >= 300:
            raise ApiError(response.status_code, f"POST {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    async def submit(self, order_id: str, via: str) -> None:
        # a submission sent again is answered as a duplicate of the first (same order id, same form): safe to retry
        if via == "api":
            form = sofa_form(order_id, "api").model_dump(mode="json", exclude_none=True)
            answer = await self.rec.timed("submit:api", order_id, self._try(
                "submit:api", order_id, lambda: self.call("service", "/api/orders", form)))
            problems = answer.get("problems")
        else:
            result = await self.rec.timed("submit:client", order_id, self._try(
                "submit:client", order_id, lambda: orders.submit_order(self.client, self.settings, sofa_form(order_id))))
            problems = result.problems
        if problems:
            raise RuntimeError(f"order {order_id} was not accepted: {problems}")

    async def start_raw(self, order_id: str) -> None:
        """What `submit_order` does without waiting for the intake answer: a bare `start_workflow`."""
        start = OrderStart(order_id=order_id, form=sofa_form(order_id), policy=PolicySettings().policy(),
                           timezone=self.settings.company_timezone)
        await self.rec.timed("submit:raw-start", order_id, self.client.start_workflow(
            OrderWorkflow.run, start, id=workflow_id_for(order_id), task_queue=self.settings.task_queue,
            search_attributes=TypedSearchAttributes([SearchAttributePair(ORDER_STATUS, "received")]),
            static_summary=orders.summary_of(start)))

    async def act(self, name: str, order_id: str, via: str, role: str, path: str, body: dict | None,
                  through_client: Callable[[], Awaitable], applied: Callable[[OrderView], bool]) -> None:
        """One staff or customer action: a POST to the API with the role's token, or the update through the client.
        `applied(view)` says whether the order shows it taken (looked up before a retry, see `Retrier`)."""
        if via == "api":
            attempt = lambda: self.call(role, f"/api/orders/{order_id}{path}", body)  # noqa: E731
        else:
            attempt = through_client
        await self.rec.timed(name, order_id, self._try(name, order_id, attempt, applied))

    async def lifecycle(self, order_id: str, via: str) -> None:
        c = self.client
        start = time.time()
        await self.submit(order_id, via)
        # the departments get their work orders
        await self.watch.wait(order_id, "work_order", len(DEPARTMENTS), timeout=self.wait_timeout)
        for dept in DEPARTMENTS:
            ack = Acknowledgement(department=dept, by="bench")
            await self.act(f"update:acknowledge {dept}", order_id, via, ROLE_FOR[dept], "/acknowledgements",
                           ack.model_dump(), lambda: orders.act(c, order_id, "acknowledge", ack),
                           lambda view, dept=dept: dept in view.acknowledged)
        today = date.today()
        shipment = Shipment(carrier="UPS", tracking_number=f"1Z{order_id}", expected_delivery_date=today
                            + timedelta(days=3))
        await self.act("update:ship", order_id, via, "warehouse", "/shipments",
                       shipment.model_dump(mode="json", exclude_none=True), lambda: orders.act(c, order_id, "ship", shipment),
                       lambda view: view.shipment is not None)
        await self.act("update:deliver", order_id, via, "warehouse", "/delivery", None,
                       lambda: orders.act(c, order_id, "deliver"), lambda view: view.delivered_at is not None)
        # the customer gets the survey link
        await self.watch.wait(order_id, "feedback_request", timeout=self.wait_timeout)
        entry = FeedbackEntry(rating=5, comment="bench")
        await self.act("update:feedback", order_id, via, "customer-service", "/feedback",
                       entry.model_dump(exclude_none=True), lambda: orders.act(c, order_id, "feedback", entry),
                       lambda view: view.feedback is not None)
        view = await self._try("result", order_id, lambda: orders.handle_for(c, order_id).result())
        if view.status.value != "completed":
            raise RuntimeError(f"order {order_id} ended {view.status.value}, not completed")
        self.rec.steps.append((f"lifecycle:{via}", order_id, start, time.time()))


class BaselineDriver:
    """The same roles for `BaselineWorkflow`: start with the intake update, 2 acknowledgements, ship, deliver,
    feedback, then the result — all through the client."""

    def __init__(self, client: Client, task_queue: str, feedback_delay: float, recorder: Recorder) -> None:
        self.client, self.task_queue, self.feedback_delay, self.rec = client, task_queue, feedback_delay, recorder

    async def lifecycle(self, workflow_id: str) -> None:
        start = time.time()
        operation = WithStartWorkflowOperation(BaselineWorkflow.run, self.feedback_delay, id=workflow_id,
                                               task_queue=self.task_queue,
                                               id_conflict_policy=WorkflowIDConflictPolicy.FAIL)
        await self.rec.timed("submit:baseline", workflow_id, self.client.execute_update_with_start_workflow(
            BaselineWorkflow.intake, start_workflow_operation=operation))
        handle = await operation.workflow_handle()
        for dept in DEPARTMENTS:
            await self.rec.timed(f"update:acknowledge {dept}", workflow_id,
                                 handle.execute_update(BaselineWorkflow.acknowledge, dept))
        await self.rec.timed("update:ship", workflow_id, handle.execute_update(BaselineWorkflow.mark_shipped))
        await self.rec.timed("update:deliver", workflow_id, handle.execute_update(BaselineWorkflow.mark_delivered))
        await self.rec.timed("update:feedback", workflow_id, handle.execute_update(BaselineWorkflow.submit_feedback))
        await handle.result()
        self.rec.steps.append(("lifecycle:baseline", workflow_id, start, time.time()))


class StraightforwardDriver:
    """The same roles for `StraightforwardWorkflow`: a plain start, 2 acknowledgements, ship, deliver, feedback."""

    def __init__(self, client: Client, task_queue: str, feedback_delay: float, recorder: Recorder) -> None:
        self.client, self.task_queue, self.feedback_delay, self.rec = client, task_queue, feedback_delay, recorder

    async def lifecycle(self, workflow_id: str) -> None:
        start = time.time()
        handle = await self.rec.timed("submit:straightforward", workflow_id, self.client.start_workflow(
            StraightforwardWorkflow.run, self.feedback_delay, id=workflow_id, task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL))
        for dept in DEPARTMENTS:
            await self.rec.timed(f"update:acknowledge {dept}", workflow_id,
                                 handle.execute_update(StraightforwardWorkflow.acknowledge, dept))
        await self.rec.timed("update:ship", workflow_id, handle.execute_update(StraightforwardWorkflow.mark_shipped))
        await self.rec.timed("update:deliver", workflow_id,
                             handle.execute_update(StraightforwardWorkflow.mark_delivered))
        await self.rec.timed("update:feedback", workflow_id,
                             handle.execute_update(StraightforwardWorkflow.submit_feedback))
        await handle.result()
        self.rec.steps.append(("lifecycle:straightforward", workflow_id, start, time.time()))
