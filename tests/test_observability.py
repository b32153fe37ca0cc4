"""Metrics (a real scrape of the web app's and the worker's endpoints), /healthz and /readyz, JSON logs."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import socket

import httpx
import pytest
from sqlalchemy import create_engine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from models.order import OrderStatus
from starter import orders
from plumbing.observability import order_context, setup_logging, worker_runtime
from plumbing.connection import connect
from starter.web_app import create_app
from tests.conftest import TEST_DATABASE, messages_of, running_worker, serving, sofa_form, wait_for

SERVICE = {"Authorization": "Bearer token-service"}


def free_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def samples(text: str, name: str) -> dict[str, float]:
    """`{labels: value}` of every sample of one metric in a Prometheus text scrape."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line.rpartition(" ")
            found[labels.removeprefix(name)] = float(value)
    return found


async def test_web_metrics_count_requests_orders_by_channel_and_messages_by_kind(web, client, engine):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        form = sofa_form(order_id="MET-1", channel="api").model_dump(mode="json", exclude_none=True)
        assert (await http.post("/api/orders", json=form, headers=SERVICE)).status_code == 201
        assert (await http.post("/api/orders", json=form, headers=SERVICE)).status_code == 200  # a duplicate
        await wait_for(client, "MET-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
        for _ in range(100):  # the work orders are logged just after the status changes
            if len(messages_of(engine, "MET-1")) >= 3:
                break
            await asyncio.sleep(0.1)
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200 and scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    requests = samples(text, "orderly_http_requests_total")
    assert requests['{method="POST",route="/api/orders",status="201"}'] >= 1
    assert requests['{method="POST",route="/api/orders",status="200"}'] >= 1
    assert samples(text, "orderly_http_request_duration_seconds_count")['{method="POST",route="/api/orders"}'] >= 2
    assert samples(text, "orderly_orders_created_total")['{channel="api"}'] >= 1
    messages = samples(text, "orderly_messages")
    assert messages['{kind="order_confirmation",status="sent"}'] == 1
    assert messages['{kind="work_order",status="sent"}'] >= 2  # warehouse and accounts receivable


async def test_healthz_and_readyz_say_which_part_is_down(web, client, settings):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"temporal": "ok", "database": "ok"}}

    nowhere = await Client.connect(free_address(), lazy=True)  # nothing listens there
    app = create_app(settings, nowhere)
    app.state.engine = create_engine("postgresql+psycopg://orderly@127.0.0.1:1/orderly" if TEST_DATABASE ==
                                     "postgres" else f"sqlite:///{settings.var_dir}/missing/dir/x.db")
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.get("/healthz")).status_code == 200
        down = await http.get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["temporal"] != "ok" and body["checks"]["database"] != "ok", body


@pytest.mark.parametrize("down", ["temporal", "database"])
async def test_readyz_names_the_one_dependency_that_is_down(client, settings, down):
    """One dependency down at a time: 503, that check says why, the other still says ok."""
    from store.database import make_engine

    temporal = await Client.connect(free_address(), lazy=True) if down == "temporal" else client
    app = create_app(settings, temporal)
    if down == "database":
        app.state.engine = create_engine("postgresql+psycopg://orderly@127.0.0.1:1/orderly" if TEST_DATABASE ==
                                         "postgres" else f"sqlite:///{settings.var_dir}/missing/dir/x.db")
    else:
        app.state.engine = make_engine(settings.db_url)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        answer = await http.get("/readyz")
    assert answer.status_code == 503, answer.text
    checks = answer.json()["checks"]
    assert answer.json()["status"] == "unavailable" and set(checks) == {"temporal", "database"}
    up = ({"temporal", "database"} - {down}).pop()
    assert checks[up] == "ok" and checks[down] != "ok", checks
    assert checks[down].strip(), "the failed check says what went wrong"


async def test_worker_serves_the_temporal_sdk_metrics_and_messages_by_kind(dev_env: WorkflowEnvironment, settings, engine):
    address = free_address()
    settings = settings.model_copy(update={"worker_metrics_address": address,
                                           "temporal_address": dev_env.client.service_client.config.target_host})
    client = await connect(settings, runtime=worker_runtime(settings))
    async with running_worker(client, settings):
        started = await orders.submit_order(client, settings, sofa_form(order_id="MET-W"))
        await wait_for(client, started.order_id, lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
        async with httpx.AsyncClient(timeout=30) as http:
            text = (await http.get(f"http://{address}/metrics")).text
    for metric in ("temporal_workflow_task_execution_latency", "temporal_activity_execution_latency",
                   "temporal_worker_task_slots_available", "temporal_request"):
        assert metric in text, f"{metric} missing from the worker's metrics"
    assert f'task_queue="{settings.task_queue}"' in text
    handled = {labels: v for labels, v in samples(text, "orderly_messages_handled").items()
               if 'kind="order_confirmation"' in labels and 'outcome="sent"' in labels}
    assert list(handled.values()) == [1.0], [line for line in text.splitlines() if "handled" in line]


def test_json_logs_name_the_order_on_every_line(settings):
    stream = io.StringIO()
    handler = setup_logging(settings.model_copy(update={"log_format": "json"}), stream)
    log = logging.getLogger("orderly.test")
    try:
        def an_activity() -> None:
            log.info("sending the confirmation")

        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id="order-ORD-JSON1", activity_type="send_notice", attempt=2)
        env.run(an_activity)
        with order_context("ORD-JSON2"):
            log.warning("a staff action was refused")
        log.info("not about any order")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "sending the confirmation" and lines[0]["order_id"] == "ORD-JSON1"
    assert lines[0]["activity"] == "send_notice" and lines[0]["attempt"] == 2
    assert lines[1]["order_id"] == "ORD-JSON2" and lines[1]["level"] == "WARNING"
    assert "order_id" not in lines[2] and {"time", "level", "logger", "message"} <= set(lines[2])
