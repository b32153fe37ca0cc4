"""A message nobody can decrypt (sent with the Temporal CLI under an unknown key, or altered) does not wedge a
workflow: the worker's lenient codec turns it into a placeholder, the SDK drops a typed signal made of it, and a
dynamic signal handler sees it for what it is. Clients stay strict, and say so clearly instead of answering 500."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid

from datetime import timedelta

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import worker as worker_module
from models.order import OrderStatus, workflow_id_for
from models.undecodable import UNDECODABLE_ENCODING, is_undecodable, undecodable_payload, undecodable_reason
from plumbing.connection import worker_client
from plumbing.payload_encryption import (EncryptionCodec, PayloadDecryptionError, lenient_converter, new_key,
                                         with_codec)
from starter import orders
from starter.web_app import create_app
from tests.conftest import binary, running_worker, serving, sofa_form, wait_for
from tests.test_api import auth
from tests.test_bad_input import cli
from tests.undecodable_listener import Listener

POISONS = {  # what an outsider can send with the CLI: --input-meta on raw bytes
    "unknown key": ["--input", '"AAAA"', "--input-meta", "encoding=binary/encrypted",
                    "--input-meta", "encryption-key-id=not-ours"],
    "too short": ["--input", '"AAAA"', "--input-meta", "encoding=binary/encrypted",
                  "--input-meta", "encryption-key-id=test-1"],
    "altered": ["--input-base64", "--input", base64.b64encode(os.urandom(64)).decode(), "--input-meta",
                "encoding=binary/encrypted", "--input-meta", "encryption-key-id=test-1"],
}


async def temporal_cli(client: Client, *args: str) -> tuple[int, str]:
    """The `temporal` CLI against the test server, as anyone with access to it would run it (not blocking the event
    loop: the test's worker runs in it). Its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        binary("temporal"), *args, "--address", client.service_client.config.target_host, "--namespace",
        client.namespace, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, err.decode()


async def send_poison(client: Client, workflow_id: str, name: str, poison: str) -> None:
    code, err = await temporal_cli(client, "workflow", "signal", "--workflow-id", workflow_id, "--name", name,
                                   *POISONS[poison])
    assert code == 0, err


async def test_the_lenient_codec_decodes_what_it_cannot_decrypt_to_a_placeholder_saying_why():
    key = new_key()
    strict = EncryptionCodec({"k": base64.b64decode(key)}, "k")
    [sealed] = await strict.encode([undecodable_payload("x")])  # any payload
    altered = type(sealed)(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    foreign = type(sealed)(metadata={**sealed.metadata, "encryption-key-id": b"other"}, data=sealed.data)
    for bad in (altered, foreign):
        with pytest.raises(PayloadDecryptionError):  # clients stay strict
            await strict.decode([bad])
    lenient = strict.as_lenient()
    placeholders = await lenient.decode([altered, foreign])
    assert [p.metadata["encoding"] for p in placeholders] == [UNDECODABLE_ENCODING] * 2
    assert all(is_undecodable(p) and not p.data for p in placeholders)
    assert "does not decrypt" in undecodable_reason(placeholders[0])
    assert "'other'" in undecodable_reason(placeholders[1])
    assert await lenient.decode([sealed]) == await strict.decode([sealed])  # what decrypts, decrypts the same
    assert undecodable_reason(sealed) is None
    assert lenient.encrypts and (await lenient.encode([sealed]))[0].metadata["encryption-key-id"] == b"k"


@pytest.mark.parametrize("poison", sorted(POISONS))
async def test_a_worker_with_the_lenient_codec_carries_on_after_an_undecryptable_signal(client, poison):
    task_queue = f"listener-{uuid.uuid4().hex[:8]}"
    async with Worker(worker_client(client), task_queue=task_queue, workflows=[Listener]):
        handle = await client.start_workflow(Listener.run, id=f"listener-{uuid.uuid4().hex[:8]}",
                                             task_queue=task_queue)
        await handle.signal(Listener.hear, "before")
        await send_poison(client, handle.id, "hear", poison)  # a typed signal: dropped by the SDK
        await send_poison(client, handle.id, "whatever", poison)  # no handler: the dynamic one records it
        code, err = await temporal_cli(client, "workflow", "update", "execute", "--workflow-id", handle.id,
                                       "--name", "say", *POISONS[poison])
        assert code != 0 and "unable to update workflow" in err, "a typed update made of it is rejected"
        assert await handle.execute_update(Listener.say, "after") == "after"
        await handle.signal(Listener.hear, "stop")
        assert await asyncio.wait_for(handle.result(), 20) == ["before", "after", "stop"]
        state = await handle.query(Listener.state)
    assert [d["name"] for d in state["dropped"]] == ["whatever"]
    assert "test-1" in state["dropped"][0]["reason"] or "not-ours" in state["dropped"][0]["reason"]


async def test_a_strict_worker_is_wedged_by_the_same_signal(client):
    """The control: without the lenient codec the workflow never gets past the poison (what the issue saw)."""
    assert lenient_converter(client.data_converter) is not client.data_converter  # the fixture's client is strict
    task_queue = f"listener-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[Listener]):
        handle = await client.start_workflow(Listener.run, id=f"listener-{uuid.uuid4().hex[:8]}",
                                             task_queue=task_queue)
        await send_poison(client, handle.id, "whatever", "unknown key")
        await handle.signal(Listener.hear, "stop")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(handle.result(), 5)
        await handle.terminate("test over")


async def test_an_order_carries_on_after_messages_nobody_can_decrypt(client, settings, worker, web, engine):
    """The real worker (build_worker) is lenient: the order records each message it could not read and alerts
    staff, reads, takes actions and moves on; a poisoned update is rejected without touching it."""
    await orders.submit_order(client, settings, sofa_form(order_id="POISON-1"))
    await wait_for(client, "POISON-1", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
    workflow_id = workflow_id_for("POISON-1")
    for poison in sorted(POISONS):
        await send_poison(client, workflow_id, "whatever", poison)
    code, err = await temporal_cli(client, "workflow", "update", "execute", "--workflow-id", workflow_id,
                                   "--name", "acknowledge", *POISONS["unknown key"])
    assert code != 0 and "unable to update workflow" in err, "an update whose argument cannot be decoded is rejected"
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        read = await http.get("/api/orders/POISON-1", headers=auth("warehouse"))
        assert read.status_code == 200 and read.json()["status"] == "confirmed"
        acted = await http.post("/api/orders/POISON-1/acknowledgements", json={"department": "warehouse"},
                                headers=auth("warehouse"))
        assert acted.status_code == 200, acted.text
    view = await wait_for(client, "POISON-1", lambda v: "warehouse" in v.acknowledged)
    assert view.status is OrderStatus.confirmed
    dropped = [e for e in view.timeline if e.kind == "message_dropped"]
    assert len(dropped) == len(POISONS) and all(e.data["signal"] == "whatever" for e in dropped)
    assert any("not-ours" in e.data["reason"] for e in dropped), [e.data for e in dropped]
    from tests.conftest import messages_of
    alerts = await wait_for_messages(engine, "POISON-1", "message_dropped_alert", len(POISONS))
    assert {m.recipient for m in alerts} == {settings.staff_alert_email} and all(m.status == "sent" for m in alerts)
    assert any("not-ours" in m.text for m in alerts)
    assert not messages_of(engine, "POISON-1", "delivery_failed")


async def wait_for_messages(engine, order_id: str, kind: str, count: int, timeout: float = 30):
    from tests.conftest import messages_of
    for _ in range(int(timeout / 0.2)):
        if len(found := messages_of(engine, order_id, kind)) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} {kind} expected, found {messages_of(engine, order_id, kind)}")


async def test_an_order_whose_worker_cannot_read_a_message_answers_503_not_500(client, settings, monkeypatch):
    """A worker without the lenient codec (an old one) is wedged by the poison: every read and action on the order
    is a clear 503 from the API and one line from `orderly status`, never a 500 or a traceback."""
    monkeypatch.setattr(orders, "QUERY_TIMEOUT", timedelta(seconds=5))
    monkeypatch.setattr(orders, "UPDATE_TIMEOUT", timedelta(seconds=5))
    monkeypatch.setattr(worker_module, "worker_client", lambda c: c)  # strict, as before the lenient codec
    async with running_worker(client, settings), serving(create_app(settings, client)) as web:
        await orders.submit_order(client, settings, sofa_form(order_id="POISON-2"))
        await wait_for(client, "POISON-2", lambda v: v.status is OrderStatus.confirmed and bool(v.work_orders))
        await send_poison(client, workflow_id_for("POISON-2"), "whatever", "unknown key")
        async with httpx.AsyncClient(base_url=web, timeout=60) as http:
            for _ in range(2):  # the first read may wait out the timeout; the next finds the task failed
                read = await http.get("/api/orders/POISON-2", headers=auth("warehouse"))
                assert read.status_code == 503, read.text
                assert read.json()["error"]["kind"] == "unavailable"
                assert "Order POISON-2 cannot be read right now" in read.json()["error"]["message"]
            acted = await http.post("/api/orders/POISON-2/acknowledgements", json={"department": "warehouse"},
                                    headers=auth("warehouse"))
            assert acted.status_code == 503, acted.text
        code, out, err = await cli(client, settings, "status", "POISON-2")
        assert code != 0 and "Traceback" not in err + out, err
        assert "Order POISON-2 cannot be read right now" in err and len(err.strip().splitlines()) <= 2, err
        await orders.handle_for(client, "POISON-2").terminate("test over")


async def test_a_client_without_the_workers_key_answers_503_not_500(client, settings, worker):
    """A starter whose ORDERLY_ENCRYPTION_KEYS lack the worker's key fails loudly on what it cannot decrypt, and
    says so: `unavailable` (503), naming the key id."""
    await orders.submit_order(client, settings, sofa_form(order_id="POISON-3"))
    await wait_for(client, "POISON-3", lambda v: v.status is OrderStatus.confirmed)
    other = Client(**{**client.config(), "data_converter": with_codec(
        EncryptionCodec({"other": base64.b64decode(new_key())}, "other"))})
    with pytest.raises(orders.OrderError) as read:
        await orders.order_status(other, "POISON-3")
    assert read.value.kind == "unavailable" and "'test-1'" in read.value.message
