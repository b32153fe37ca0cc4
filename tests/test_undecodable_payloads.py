"""A message nobody can decrypt (sent with the Temporal CLI under an unknown key, or altered) does not wedge a
workflow: the worker's lenient codec turns it into a placeholder, the SDK drops a typed signal made of it, and a
dynamic signal handler sees it for what it is. Clients stay strict, and say so clearly instead of answering 500."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from models.undecodable import UNDECODABLE_ENCODING, is_undecodable, undecodable_payload, undecodable_reason
from plumbing.connection import worker_client
from plumbing.payload_encryption import EncryptionCodec, PayloadDecryptionError, lenient_converter, new_key
from tests.conftest import binary
from tests.undecodable_listener import Listener

POISONS = {  # what an outsider can send with the CLI: --input-meta on raw bytes
    "unknown key": ["--input", '"AAAA"', "--input-meta", "encoding=binary/encrypted",
                    "--input-meta", "encryption-key-id=not-ours"],
    "too short": ["--input", '"AAAA"', "--input-meta", "encoding=binary/encrypted",
                  "--input-meta", "encryption-key-id=test-1"],
    "altered": ["--input-base64", "--input", base64.b64encode(os.urandom(64)).decode(), "--input-meta",
                "encoding=binary/encrypted", "--input-meta", "encryption-key-id=test-1"],
}


def temporal_cli(client: Client, *args: str) -> None:
    """The `temporal` CLI against the test server, as anyone with access to it would run it."""
    done = subprocess.run([binary("temporal"), *args, "--address", client.service_client.config.target_host,
                           "--namespace", client.namespace], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def send_poison(client: Client, workflow_id: str, name: str, poison: str) -> None:
    temporal_cli(client, "workflow", "signal", "--workflow-id", workflow_id, "--name", name, *POISONS[poison])


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
        send_poison(client, handle.id, "hear", poison)  # a typed signal: dropped by the SDK
        send_poison(client, handle.id, "whatever", poison)  # no handler: the dynamic one records it
        await handle.signal(Listener.hear, "stop")
        assert await asyncio.wait_for(handle.result(), 20) == ["before", "stop"]
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
        send_poison(client, handle.id, "whatever", "unknown key")
        await handle.signal(Listener.hear, "stop")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(handle.result(), 5)
        await handle.terminate("test over")
