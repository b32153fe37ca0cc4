"""Replay: histories of finished orders, stored under tests/histories/, must replay against the current code.

A change to the workflow that alters what it does for a stored history fails here: put it behind one
`workflow.patched("<id>")` at the branch point (CONTRIBUTING in the README, "Changing the workflow after 1.0").
The replayer decrypts payloads as a worker does, with the tests' fixed key. To record the histories of a release:
`ORDERLY_RECORD_HISTORIES=<version> .venv/bin/python -m pytest tests/test_replay.py` writes
`tests/histories/<version>-<ending>.json` (1.0.0 holds each ending, a two-part order and a Temporal cancel).
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.worker import Replayer

from models.amendments import Amendment
from models.customer_requests import CustomerRequest, RequestResolution
from models.feedback_call import CallOutcome
from models.money import Payment, Refund
from models.order import (Acknowledgement, Cancellation, DelayReport, DeliveryReport, FeedbackEntry, FormCompletion,
                          OrderStatus, Readiness, Shipment, ShipmentCorrection)
from models.settings import Settings
from starter import orders
from plumbing.payload_encryption import data_converter_for
from tests.conftest import sofa_form, wait_for
from workflows.order import OrderWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=[OrderWorkflow], data_converter=data_converter_for(Settings(_env_file=None)),
                    workflow_runner=workflow_runner(strict=True))  # every workflow module checked by the sandbox


def stored_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", stored_histories(), ids=lambda p: p.stem)
async def test_stored_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


def test_histories_are_stored():
    assert len(stored_histories()) >= 3, "tests/histories/ should hold finished orders of every ending"


async def run_scenarios(client, settings, monkeypatch) -> list[str]:
    """Orders that end every way an order can: completed (with every step), cancelled, expired."""
    await orders.submit_order(client, settings, sofa_form(order_id="HIST-COMPLETED", lines=[{"sku": "SOFA-3S"}]))
    await orders.act(client, "HIST-COMPLETED", "complete_form", FormCompletion(form=sofa_form()))
    view = await wait_for(client, "HIST-COMPLETED", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, "HIST-COMPLETED", "acknowledge", Acknowledgement(department="warehouse"))
    due = view.expected_fulfillment_date
    await orders.act(client, "HIST-COMPLETED", "delay", DelayReport(new_date=due + timedelta(days=3), reason="late"))
    await orders.act(client, "HIST-COMPLETED", "ship", Shipment(carrier="UPS", tracking_number="1Z",
                                                                  expected_delivery_date=due + timedelta(days=5)))
    await wait_for(client, "HIST-COMPLETED", lambda v: v.status is OrderStatus.shipped)
    await orders.act(client, "HIST-COMPLETED", "correct_shipment", ShipmentCorrection(tracking_number="1Z-NEW"))
    await orders.act(client, "HIST-COMPLETED", "deliver")
    await wait_for(client, "HIST-COMPLETED", lambda v: any(e.kind == "message" and "feedback" in e.text
                                                           for e in v.timeline))
    await orders.act(client, "HIST-COMPLETED", "feedback", FeedbackEntry(rating=4, comment="good"))

    await orders.submit_order(client, settings, sofa_form(order_id="HIST-CANCELLED"))
    await wait_for(client, "HIST-CANCELLED", lambda v: bool(v.work_orders) and v.status.value != "received")
    await orders.act(client, "HIST-CANCELLED", "cancel", Cancellation(reason="changed plans"))

    await orders.submit_order(client, settings, sofa_form(order_id="HIST-TEMPORAL-CANCELLED"))
    await wait_for(client, "HIST-TEMPORAL-CANCELLED", lambda v: bool(v.work_orders) and v.status.value != "received")
    await orders.handle_for(client, "HIST-TEMPORAL-CANCELLED").cancel()  # from the Web UI or CLI, not Orderly

    await parts_scenario(client, settings)

    await orders.submit_order(client, settings, sofa_form(order_id="HIST-REFUNDED"))  # 1.1: money, held for a refund
    await wait_for(client, "HIST-REFUNDED", lambda v: bool(v.work_orders) and v.status.value != "received")
    await orders.act(client, "HIST-REFUNDED", "payment", Payment(amount="945.00", reference="BDO-1"))
    await orders.act(client, "HIST-REFUNDED", "cancel", Cancellation(reason="changed plans"))
    await wait_for(client, "HIST-REFUNDED", lambda v: any(e.kind == "awaiting_settlement" for e in v.timeline))
    await orders.act(client, "HIST-REFUNDED", "refund", Refund(amount="945.00", reference="RF-1"))

    await deposit_scenario(client, settings, monkeypatch)

    monkeypatch.setenv("ORDERLY_COMPLETION_REMINDER", "1")
    monkeypatch.setenv("ORDERLY_COMPLETION_EXPIRY", "2")
    await orders.submit_order(client, settings, sofa_form(order_id="HIST-EXPIRED", lines=[{"sku": "CUSHION"}]))
    ids = ["HIST-COMPLETED", "HIST-CANCELLED", "HIST-TEMPORAL-CANCELLED", "HIST-PARTS", "HIST-EXPIRED", "HIST-REFUNDED",
           "HIST-DEPOSIT"]
    for order_id in ids:
        with contextlib.suppress(WorkflowFailureError):  # the Temporal-cancelled one closes as cancelled
            await orders.handle_for(client, order_id).result()
    return ids


async def parts_scenario(client, settings) -> None:
    """A sofa and a made-to-measure bookcase: two parts, a delay of one, two parcels, two deliveries, one call."""
    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
    sofa = sofa_form().lines[0].model_dump()
    await orders.submit_order(client, settings, sofa_form(order_id="HIST-PARTS", lines=[sofa, bookcase]))
    view = await wait_for(client, "HIST-PARTS", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    due = view.expected_fulfillment_date
    parcel = dict(carrier="UPS", expected_delivery_date=due + timedelta(days=5))
    await orders.act(client, "HIST-PARTS", "ship", Shipment(tracking_number="1ZS", lines=["SOFA-3S"], **parcel))
    await orders.act(client, "HIST-PARTS", "delay", DelayReport(new_date=due + timedelta(days=3), reason="wood",
                                                                department="nordwood"))
    await orders.act(client, "HIST-PARTS", "ready", Readiness(department="nordwood"))
    await orders.act(client, "HIST-PARTS", "request", CustomerRequest(message="Two sofas, please"))
    await orders.act(client, "HIST-PARTS", "amend", Amendment(form=sofa_form(lines=[
        {**sofa, "quantity": 1}, {**bookcase, "options": {**bookcase["options"], "wood": "walnut"}}]), reason="Walnut"))
    await orders.act(client, "HIST-PARTS", "resolve_request", RequestResolution(note="Corrected"))
    await orders.act(client, "HIST-PARTS", "ready", Readiness(department="nordwood"))  # made again, in walnut
    await orders.act(client, "HIST-PARTS", "ship", Shipment(tracking_number="1ZB", **parcel))
    await wait_for(client, "HIST-PARTS", lambda v: sum(e.data.get("message_kind") == "shipping_notice"
                                                       for e in v.timeline) == 2)
    await orders.act(client, "HIST-PARTS", "deliver", DeliveryReport(shipment=2))
    await orders.act(client, "HIST-PARTS", "deliver", DeliveryReport(shipment=1))
    await wait_for(client, "HIST-PARTS", lambda v: v.feedback_call is not None)
    await orders.act(client, "HIST-PARTS", "call_outcome", CallOutcome(outcome="answered", rating=5))


async def deposit_scenario(client, settings, monkeypatch) -> None:
    """1.1's deposit (`deposit-before-making`): the bookcase's work order waits for half its value; a payment short
    of it, then the rest; the order cancelled, the deposit refunded."""
    bookcase = {"sku": "BOOKCASE-MTM", "quantity": 1, "options": {"wood": "oak", "height_cm": 200, "width_cm": 90}}
    monkeypatch.setenv("ORDERLY_DEPOSIT_PERCENT", "50")
    await orders.submit_order(client, settings, sofa_form(order_id="HIST-DEPOSIT",
                                                          lines=[sofa_form().lines[0].model_dump(), bookcase]))
    monkeypatch.delenv("ORDERLY_DEPOSIT_PERCENT")
    await wait_for(client, "HIST-DEPOSIT", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    await orders.act(client, "HIST-DEPOSIT", "payment", Payment(amount="500.00", reference="BDO-D1"))
    await orders.act(client, "HIST-DEPOSIT", "payment", Payment(amount="550.00", reference="BDO-D2"))
    await wait_for(client, "HIST-DEPOSIT", lambda v: "nordwood" in v.work_orders and any(
        e.data.get("message_kind") == "deposit_received" for e in v.timeline))
    await orders.act(client, "HIST-DEPOSIT", "cancel", Cancellation(reason="changed plans"))
    await wait_for(client, "HIST-DEPOSIT", lambda v: any(e.kind == "awaiting_settlement" for e in v.timeline))
    await orders.act(client, "HIST-DEPOSIT", "refund", Refund(amount="1050.00", reference="RF-D1"))


@pytest.mark.usefixtures("worker")
async def test_fresh_histories_replay_and_can_be_recorded(client, settings, monkeypatch):
    ids = await run_scenarios(client, settings, monkeypatch)
    version = os.environ.get("ORDERLY_RECORD_HISTORIES")
    for order_id in ids:
        history = await orders.handle_for(client, order_id).fetch_history()
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None
        if version:
            name = f"{version}-{order_id.removeprefix('HIST-').lower()}.json"
            (HISTORIES / name).write_text(history.to_json())
        if order_id == "HIST-COMPLETED":
            assert_lean(history)


def assert_lean(history) -> None:
    """An order records one patch marker (1.1's `money-settled-before-close`, where the order may wait for accounts
    receivable) and upserts its expected fulfillment date together with a status: each upsert is a history event
    and a write to the server's visibility store."""
    markers = [e.marker_recorded_event_attributes.marker_name for e in history.events
               if e.HasField("marker_recorded_event_attributes")]
    assert markers.count("core_patch") == 1, "one patch, at its branch point"
    activities = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                  if e.HasField("activity_task_scheduled_event_attributes")]
    # the form-incomplete email; the form check of the completion; the confirmation with the work orders (one
    # activity); the delay notice to the customer and the change to the two departments; the shipping notice, its
    # correction; the survey
    assert activities == ["send_notice", "check_order_form", "send_notices", "send_notice", "send_notices",
                          "send_notice", "send_notice", "send_notice"], activities
    upserts = [set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
               for e in history.events if e.HasField("upsert_workflow_search_attributes_event_attributes")]
    status, both = {"OrderStatus"}, {"OrderStatus", "ExpectedFulfillmentDate"}
    # incomplete; received again (the form came back complete); confirmed (with the date); delayed (the new date);
    # shipped, delivered, completed; and the SDK's own `TemporalChangeVersion` with the patch marker
    assert upserts == [status, status, both, both, status, status, status, {"TemporalChangeVersion"}], upserts
