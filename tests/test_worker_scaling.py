"""Several worker processes on one task queue share the orders: each handled once, none lost; the load can be split
into a workflows-only and an activities-only worker. Real `orderly worker` processes against the dev server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from temporalio.api.enums.v1 import EventType

from models.order import OrderStatus
from starter import orders
from starter.orders import handle_for
from tests.conftest import FAST_POLICY, messages_of, sofa_form, wait_for

ORDERLY = str(Path(sys.executable).parent / "orderly")
ORDERS = 12


def start_workers(dev_env, settings, modes: list[str], log_dir: Path) -> list[subprocess.Popen]:
    env = {**os.environ, **FAST_POLICY, "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
           "ORDERLY_TASK_QUEUE": settings.task_queue, "ORDERLY_VAR_DIR": str(settings.var_dir),
           "ORDERLY_DATABASE_URL": settings.db_url, "ORDERLY_SECRET_KEY": "test-secret-key",
           "ORDERLY_LOG_FORMAT": "json"}
    workers = [subprocess.Popen([ORDERLY, "worker"], env={**env, "ORDERLY_WORKER_MODE": mode},
                                stdout=open(log_dir / f"worker-{i}.log", "w"), stderr=subprocess.STDOUT)
               for i, mode in enumerate(modes)]
    deadline = time.monotonic() + 60
    for i, worker in enumerate(workers):  # every worker polls before the orders come (a slow start takes no part)
        log = log_dir / f"worker-{i}.log"
        while '"message": "worker (' not in log.read_text():
            assert worker.poll() is None, f"worker {i} exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"worker {i} did not start:\n{log.read_text()}"
            time.sleep(0.2)
    return workers


def stop(workers: list[subprocess.Popen]) -> list[int]:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    return [w.wait(timeout=60) for w in workers]


async def submit_and_confirm(client, settings, engine, prefix: str) -> list[str]:
    ids = [f"{prefix}-{i:02d}" for i in range(ORDERS)]
    await asyncio.gather(*(orders.submit_order(client, settings, sofa_form(order_id=i)) for i in ids))
    for order_id in ids:
        await wait_for(client, order_id, lambda v: v.status is OrderStatus.confirmed and len(v.work_orders) == 2,
                       timeout=90)
    for _ in range(100):  # the last work orders are logged just after the status changes
        if all(len(messages_of(engine, i)) == 3 for i in ids):
            break
        await asyncio.sleep(0.2)
    return ids


async def activity_workers(client, order_id: str) -> set[str]:
    """The identities of the workers that ran this order's activities, from its history."""
    history = await handle_for(client, order_id).fetch_history()
    return {e.activity_task_started_event_attributes.identity for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED}


async def test_two_worker_processes_share_the_orders_each_handled_once_none_lost(dev_env, client, settings, engine,
                                                                                 tmp_path):
    workers = start_workers(dev_env, settings, ["all", "all"], tmp_path)
    try:
        # Which worker gets a task is the server's choice (and an activity often runs eagerly on the worker whose
        # workflow task scheduled it): one batch may land on one worker alone. Rather than hope, send batches until
        # both workers have run activities (the event the test needs), at most four.
        ids = await submit_and_confirm(client, settings, engine, "TWO")
        for batch in range(1, 4):
            if len(set().union(*[await activity_workers(client, i) for i in ids])) == 2:
                break
            ids += await submit_and_confirm(client, settings, engine, f"TWO{batch}")
    finally:
        codes = stop(workers)
    assert codes == [0, 0], "a worker did not stop cleanly on SIGTERM"
    for order_id in ids:  # none lost, each handled once: one confirmation, one work order per department
        kinds = Counter(m.kind for m in messages_of(engine, order_id))
        assert kinds == {"order_confirmation": 1, "work_order": 2}, (order_id, kinds)
        assert all(m.status == "sent" and m.attempts == 1 for m in messages_of(engine, order_id))
    outbox = list((settings.var_dir / "outbox").rglob("*.eml"))
    assert len(outbox) == 3 * len(ids), "a message was written to the outbox twice (or never)"
    identities = set().union(*[await activity_workers(client, i) for i in ids])
    assert len(identities) == 2, f"both workers should have taken part: {identities}"


async def test_a_workflows_only_and_an_activities_only_worker_split_the_load(dev_env, client, settings, engine,
                                                                             tmp_path):
    workers = start_workers(dev_env, settings, ["workflows", "activities"], tmp_path)
    try:
        ids = await submit_and_confirm(client, settings, engine, "SPLIT")
    finally:
        codes = stop(workers)
    assert codes == [0, 0]
    assert all(len(messages_of(engine, i)) == 3 for i in ids)
    identities = set().union(*[await activity_workers(client, i) for i in ids])
    assert len(identities) == 1, "only the activities worker runs activities"
