"""Customer data in Temporal: every payload encrypted (AES-256-GCM), keys by settings, rotation, and a real order's
history on the dev server read raw, without the codec, showing none of the customer's personal data."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import QueryWorkflowRequest
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from models.order import Cancellation, OrderStatus
from models.settings import Settings
from starter import orders
from plumbing.payload_encryption import (ENCODING, KEY_ID, EncryptionCodec, EncryptionSettingsError,
                                        PayloadDecryptionError, codec_for, data_converter_for, new_key, parse_keys)
from plumbing.secrets import with_dev_secrets, with_stored_secrets
from tests.conftest import binary, sofa_form, wait_for

CUSTOMER_DATA = ["Ada Lovelace", "ada@example.com", "+1 555 0199", "12 Analytical Row"]
ORDERLY = str(Path(sys.executable).parent / "orderly")


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"name": text}).encode())


def settings_with(**values) -> Settings:
    """Settings with these encryption values only (not the test session's key from the environment)."""
    return Settings(_env_file=None, **{"encryption": "on", "encryption_keys": "", "encryption_key_id": "", **values})


# ---- the codec ----

async def test_round_trip_hides_the_data_and_uses_a_fresh_nonce_each_time():
    codec = EncryptionCodec({"k1": os.urandom(32)}, "k1")
    original = [plain("Ada Lovelace"), plain("Ada Lovelace")]
    encrypted = await codec.encode(original)
    for payload in encrypted:
        assert payload.metadata["encoding"] == ENCODING and payload.metadata[KEY_ID] == b"k1"
        assert b"Ada" not in payload.SerializeToString()
    assert encrypted[0].data[:12] != encrypted[1].data[:12]  # the same plaintext, two nonces, two ciphertexts
    assert encrypted[0].data != encrypted[1].data
    assert await codec.decode(encrypted) == original


async def test_altered_ciphertext_or_relabelled_key_fails():
    keys = {"k1": os.urandom(32), "k2": os.urandom(32)}
    codec = EncryptionCodec(keys, "k1")
    [payload] = await codec.encode([plain("Ada Lovelace")])
    for position in (0, 12, len(payload.data) - 1):  # the nonce, the ciphertext, the tag
        altered = Payload()
        altered.CopyFrom(payload)
        altered.data = payload.data[:position] + bytes([payload.data[position] ^ 1]) + payload.data[position + 1:]
        with pytest.raises(PayloadDecryptionError, match="'k1' does not decrypt: it was altered"):
            await codec.decode([altered])
    for cut in (b"", payload.data[:20]):
        with pytest.raises(PayloadDecryptionError, match="too short to hold a nonce and a tag"):
            await codec.decode([Payload(metadata=payload.metadata, data=cut)])
    relabelled = Payload()
    relabelled.CopyFrom(payload)
    relabelled.metadata[KEY_ID] = b"k2"
    with pytest.raises(PayloadDecryptionError, match="'k2' does not decrypt"):
        await codec.decode([relabelled])


async def test_a_payload_naming_an_unknown_key_fails_naming_the_key_id():
    [payload] = await EncryptionCodec({"2025-01": os.urandom(32)}, "2025-01").encode([plain("x")])
    with pytest.raises(PayloadDecryptionError) as failure:
        await EncryptionCodec({"2026-11": os.urandom(32)}, "2026-11").decode([payload])
    assert "key id '2025-01', which is not among the configured keys (2026-11)" in str(failure.value)
    without_id = Payload(metadata={"encoding": ENCODING}, data=payload.data)
    with pytest.raises(PayloadDecryptionError, match="has no encryption-key-id"):
        await EncryptionCodec({"2026-11": os.urandom(32)}, "2026-11").decode([without_id])


async def test_rotation_new_payloads_use_the_new_key_and_old_ones_still_decrypt():
    old, new = new_key(), new_key()
    before = codec_for(settings_with(encryption_keys=f"2025-01:{old}"))
    [written_before] = await before.encode([plain("Ada Lovelace")])

    after = codec_for(settings_with(encryption_keys=json.dumps({"2025-01": old, "2026-11": new}),
                                    encryption_key_id="2026-11"))
    [written_after] = await after.encode([plain("Grace Hopper")])
    assert written_after.metadata[KEY_ID] == b"2026-11"
    assert await after.decode([written_before, written_after]) == [plain("Ada Lovelace"), plain("Grace Hopper")]
    # once the old key is dropped, what it encrypted can no longer be read, and the error says which key is missing
    only_new = codec_for(settings_with(encryption_keys=f"2026-11:{new}"))
    with pytest.raises(PayloadDecryptionError, match="'2025-01'"):
        await only_new.decode([written_before])


async def test_unencrypted_payloads_pass_through():
    codec = EncryptionCodec({"k1": os.urandom(32)}, "k1")
    old = [plain("from before encryption"), Payload(metadata={"encoding": b"binary/null"})]
    assert await codec.decode(old) == old


async def test_error_messages_and_stack_traces_are_encrypted_too():
    converter = data_converter_for(settings_with(encryption_keys=f"a:{new_key()}"))
    failure = Failure()
    try:
        raise ApplicationError("550 mailbox ada@example.com unavailable", type="DeliveryError")
    except ApplicationError as e:
        await converter.encode_failure(e, failure)
    assert b"ada@example.com" not in failure.SerializeToString() and failure.message == "Encoded failure"
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and decoded.type == "DeliveryError"
    assert decoded.message == "550 mailbox ada@example.com unavailable"


# ---- the settings ----

def test_keys_as_json_or_pairs_in_standard_or_url_safe_base64():
    key = os.urandom(32)
    import base64
    std, url = base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("=")
    assert parse_keys(f'{{"a": "{std}", "b": "{url}"}}') == {"a": key, "b": key}
    assert parse_keys(f" a:{std} , b:{url} ") == {"a": key, "b": key}
    assert parse_keys("") == {}


@pytest.mark.parametrize("raw, message", [
    ("a:c2hvcnQ=", "the key 'a' is 5 bytes; AES-256 needs 32"),
    ("a:not*base64", "the key 'a' is not valid base64"),
    ("justakeywithoutanid", "entry 1 is not `id:base64-key`"),
    ('{"a": ', "not a valid JSON object"),
    ('{"a": 1}', "every key must be a base64 string"),
    ("bad id:" + "A" * 44, "key id 'bad id' must be 1-64 letters"),
    ("a:{k},a:{k}", "key id 'a' is given twice"),
], ids=["short-key", "not-base64", "no-id", "bad-json", "not-a-string", "bad-id", "twice"])
def test_malformed_keys_are_refused_with_what_is_wrong_and_no_key_material(raw, message):
    raw = raw.replace("{k}", new_key())
    with pytest.raises(EncryptionSettingsError) as refused:
        parse_keys(raw)
    assert message in str(refused.value)
    assert "justakey" not in str(refused.value)


def test_which_key_encrypts():
    a, b = new_key(), new_key()
    assert codec_for(settings_with(encryption_keys=f"a:{a}")).current == "a"
    assert codec_for(settings_with(encryption_keys=f"a:{a},b:{b}", encryption_key_id="b")).current == "b"
    with pytest.raises(EncryptionSettingsError, match="holds 2 keys .a, b.: set ORDERLY_ENCRYPTION_KEY_ID"):
        codec_for(settings_with(encryption_keys=f"a:{a},b:{b}"))
    with pytest.raises(EncryptionSettingsError, match="ORDERLY_ENCRYPTION_KEY_ID is 'c', which is not among"):
        codec_for(settings_with(encryption_keys=f"a:{a}", encryption_key_id="c"))


def test_no_key_refuses_unless_encryption_is_explicitly_off(monkeypatch):
    for name in ("ORDERLY_ENCRYPTION_KEYS", "ORDERLY_ENCRYPTION_KEY_ID", "ORDERLY_ENCRYPTION"):
        monkeypatch.delenv(name)
    with pytest.raises(EncryptionSettingsError, match="would be stored in clear.*ORDERLY_ENCRYPTION=off"):
        codec_for(Settings(_env_file=None))
    assert codec_for(settings_with(encryption="off")) is None
    decrypt_only = codec_for(settings_with(encryption="off", encryption_keys=f"a:{new_key()}"))
    assert not decrypt_only.encrypts


async def test_encryption_off_with_keys_writes_in_clear_and_still_reads_what_was_encrypted():
    key = new_key()
    [sealed] = await codec_for(settings_with(encryption_keys=f"a:{key}")).encode([plain("Ada")])
    off = codec_for(settings_with(encryption="off", encryption_keys=f"a:{key}"))
    assert await off.encode([plain("Grace")]) == [plain("Grace")]
    assert await off.decode([sealed]) == [plain("Ada")]


def test_the_dev_stack_makes_a_key_once_and_keeps_it(tmp_path, monkeypatch):
    for name in ("ORDERLY_ENCRYPTION_KEYS", "ORDERLY_ENCRYPTION_KEY_ID"):
        monkeypatch.delenv(name)
    var = tmp_path / "var"
    assert with_stored_secrets(settings_with(var_dir=var)).encryption_keys.get_secret_value() == ""  # reads only
    assert not (var / "secrets.json").exists()

    first = with_dev_secrets(settings_with(var_dir=var))
    path = var / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    [key_id] = stored["encryption_keys"]
    assert stored["encryption_key_id"] == key_id and key_id.startswith("dev-")
    assert codec_for(first).current == key_id
    again = with_dev_secrets(settings_with(var_dir=var))
    assert again.encryption_keys == first.encryption_keys and again.secret_key == first.secret_key
    assert codec_for(with_stored_secrets(settings_with(var_dir=var))).current == key_id  # what the CLI uses


def test_an_older_secrets_file_gets_a_key_and_keeps_its_other_secrets(tmp_path, monkeypatch):
    for name in ("ORDERLY_ENCRYPTION_KEYS", "ORDERLY_ENCRYPTION_KEY_ID"):
        monkeypatch.delenv(name)
    var = tmp_path / "var"
    var.mkdir()
    (var / "secrets.json").write_text(json.dumps({"secret_key": "kept", "api_tokens": {"admin-x": "admin"}}))
    settings = with_dev_secrets(settings_with(var_dir=var))
    assert settings.secret_key.get_secret_value() == "kept" and settings.api_tokens == {"admin-x": "admin"}
    assert codec_for(settings).current.startswith("dev-")
    stored = json.loads((var / "secrets.json").read_text())
    assert stored["secret_key"] == "kept" and "encryption_keys" in stored


@pytest.mark.parametrize("command", [["worker"], ["web"], ["status", "ORD-1"]])
def test_commands_refuse_to_start_without_a_key(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLY_ENCRYPTION")}
    env.update(ORDERLY_VAR_DIR=str(tmp_path / "var"), ORDERLY_SECRET_KEY="s", TEMPORAL_ADDRESS="127.0.0.1:1")
    done = subprocess.run([ORDERLY, *command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert "Temporal payload encryption has no key" in done.stderr and "ORDERLY_ENCRYPTION=off" in done.stderr
    assert "Traceback" not in done.stderr


# ---- a real order on the dev server ----

def payloads_in(message: Message):
    """Every Payload anywhere in a protobuf message (history events nest them in many places)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            values = [value]
        elif field.message_type.GetOptions().map_entry:
            values = value.values()
        else:
            values = value  # a repeated field
        for item in values:
            if isinstance(item, Message):
                yield from payloads_in(item)


@pytest.mark.usefixtures("worker")
async def test_a_real_orders_history_shows_no_customer_data_without_the_codec(client, settings, dev_env):
    await orders.submit_order(client, settings, sofa_form(order_id="PII-1"))
    await wait_for(client, "PII-1", lambda v: v.status is OrderStatus.confirmed and len(v.work_orders) == 2)
    await orders.act(client, "PII-1", "cancel", Cancellation(reason="changed plans"))
    await orders.handle_for(client, "PII-1").result()

    raw_client = await Client.connect(client.service_client.config.target_host, namespace=client.namespace,
                                      data_converter=pydantic_data_converter)  # no codec, as anyone with server access
    handle = raw_client.get_workflow_handle(orders.workflow_id_for("PII-1"))
    history = await handle.fetch_history()
    raw = history.to_json().encode() + b"".join(e.SerializeToString() for e in history.events)
    description = (await handle.describe()).raw_description.SerializeToString()
    for secret in CUSTOMER_DATA:
        assert secret.encode() not in raw, f"{secret!r} is readable in the raw history"
        assert secret.encode() not in description, f"{secret!r} is readable in the workflow's description"

    # the workflow's current details (and every query answer) come back encrypted too
    for query in ("__temporal_workflow_metadata", "status"):
        answer = await raw_client.workflow_service.query_workflow(QueryWorkflowRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id),
            query=WorkflowQuery(query_type=query)))
        assert [p.metadata["encoding"] for p in answer.query_result.payloads] == [ENCODING]

    payloads = [p for e in history.events for p in payloads_in(e)]
    encrypted = [p for p in payloads if p.metadata.get("encoding") == ENCODING]
    assert encrypted and all(p.metadata[KEY_ID] == b"test-1" for p in encrypted)
    # the summary is encrypted too; only search attributes stay readable (and carry no personal data)
    assert history.events[0].user_metadata.summary.metadata["encoding"] == ENCODING
    # in clear stay only the search attribute values (status, date) and the SDK's own marker bookkeeping (patch ids,
    # local activity numbers); the local activities' results inside those markers are encrypted
    for event in history.events:
        for p in payloads_in(event):
            if p.metadata.get("encoding") != ENCODING:
                assert "type" in p.metadata or event.HasField("marker_recorded_event_attributes"), (event, p)

    # and the test can fail: decoded with the codec, the same history holds every one of them
    codec = codec_for(settings)
    decoded = b"".join(p.SerializeToString() for p in await codec.decode(payloads))
    for secret in CUSTOMER_DATA:
        assert secret.encode() in decoded


# ---- the embedded stack, as a new user runs it ----

def test_orderly_dev_encrypts_with_the_key_it_makes_and_the_cli_and_codec_server_read_it(tmp_path):
    """No key in the environment: `orderly dev` makes one in var/secrets.json, the CLI submits and reads orders with
    it, the raw history is ciphertext, and `orderly codec-server` (a real process) decodes it for the temporal CLI."""
    from tests.test_cli_dev_stack import ROOT, Stack, free_port

    stack = Stack(tmp_path / "var")
    for name in ("ORDERLY_ENCRYPTION_KEYS", "ORDERLY_ENCRYPTION_KEY_ID", "ORDERLY_ENCRYPTION"):
        stack.env.pop(name, None)
    codec_port = free_port()
    codec = None
    try:
        banner = stack.start()
        stored = json.loads((tmp_path / "var" / "secrets.json").read_text())
        [key_id] = stored["encryption_keys"]
        assert f"encrypted in Temporal (key {key_id})" in banner
        order = stack.json("submit", str(ROOT / "examples" / "sofa-complete.json"))["order_id"]
        assert stack.wait_status(order, "confirmed")["customer"]["name"] == "Ada Lovelace"

        show = [binary("temporal"), "workflow", "show", "--workflow-id", f"order-{order}", "--address",
                f"127.0.0.1:{stack.port}", "--detailed"]
        raw = subprocess.run(show, capture_output=True, text=True, timeout=60)
        assert raw.returncode == 0 and "Ada Lovelace" not in raw.stdout and "12 Analytical Row" not in raw.stdout

        codec = subprocess.Popen([ORDERLY, "codec-server", "--port", str(codec_port)], env=stack.env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        admin = next(token for token, role in stored["api_tokens"].items() if role == "admin")
        deadline = time.monotonic() + 30
        while not port_open(codec_port):
            assert codec.poll() is None, codec.stdout.read()
            assert time.monotonic() < deadline, "orderly codec-server did not start"
            time.sleep(0.2)
        decoded = subprocess.run([*show, "--codec-endpoint", f"http://127.0.0.1:{codec_port}",
                                  "--codec-auth", f"Bearer {admin}"], capture_output=True, text=True, timeout=60)
        assert decoded.returncode == 0, decoded.stderr
        assert "customer.name: Ada Lovelace" in decoded.stdout
        assert "shipping_address.line1: 12 Analytical Row" in decoded.stdout
    finally:
        if codec is not None:
            codec.terminate()
            codec.wait(timeout=20)
        assert stack.stop() == 0


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
