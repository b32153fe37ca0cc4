"""Temporal itself unreachable (stopped, restarting): callers are told "try again" — the API's 503 `unavailable` —
not an internal error. A real dev server of the test's own is stopped under a connected client; the SDK's client
retries for about ten seconds before the error reaches Orderly."""

from __future__ import annotations

import httpx
import pytest

from models.settings import Settings
from plumbing.payload_encryption import data_converter_for
from starter import orders
from starter.orders import OrderError
from tests.conftest import binary, serving, sofa_form
from temporalio.testing import WorkflowEnvironment
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES


async def test_a_stopped_temporal_server_is_answered_as_unavailable(settings: Settings):
    from starter.web_app import create_app

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), search_attributes=SEARCH_ATTRIBUTES,
        data_converter=data_converter_for(settings), dev_server_log_level="error")
    client = env.client
    await env.shutdown()  # the server is gone; the client stays connected to where it was

    with pytest.raises(OrderError) as read:
        await orders.order_status(client, "GONE-1")
    assert read.value.kind == "unavailable"
    assert "Order GONE-1 cannot be read right now: Temporal cannot be reached" in read.value.message

    async with serving(create_app(settings, client)) as base_url, httpx.AsyncClient(base_url=base_url,
                                                                                     timeout=60) as http:
        placed = await http.post("/api/orders", json=sofa_form(order_id="GONE-2").model_dump(mode="json"),
                                 headers={"Authorization": "Bearer token-service"})
    assert placed.status_code == 503, placed.text
    error = placed.json()["error"]
    assert error["kind"] == "unavailable"
    assert error["message"].startswith("Order GONE-2 could not be placed right now")
    assert "Temporal cannot be reached" in error["message"] and "try again" in error["message"]
