"""What the main bench measures after a run: each workflow's history by event type, the messages each order sent
(from the read model's send log and the provider's own log), and confirmation times."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .driver import EXPECTED_MESSAGES

async def history_of(client, workflow_id: str) -> dict[str, Any]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    kinds: Counter = Counter()
    sequence = []
    for e in history.events:
        kind = e.WhichOneof("attributes").removesuffix("_event_attributes")
        if kind == "marker_recorded":  # a local activity's result, or a workflow.patched version marker
            kind += ":" + e.marker_recorded_event_attributes.marker_name
        kinds[kind] += 1
        sequence.append(kind + _detail(e, kind))
    by_payload: Counter = Counter()
    for e in history.events:
        by_payload[e.WhichOneof("attributes").removesuffix("_event_attributes")] += payload_bytes(e)
    return {"workflow_id": workflow_id, "events": len(history.events), "by_type": dict(sorted(kinds.items())),
            "payload_bytes": sum(by_payload.values()),
            "payload_bytes_by_type": {k: v for k, v in sorted(by_payload.items()) if v},
            "sequence": sequence}


def payload_bytes(message) -> int:
    """The bytes of every payload in a history event (data and metadata, as stored: encrypted where the codec is on)."""
    from temporalio.api.common.v1 import Payload
    if isinstance(message, Payload):
        return len(message.data) + sum(len(k) + len(v) for k, v in message.metadata.items())
    total = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            total += sum(payload_bytes(v) for v in value.values() if hasattr(v, "ListFields"))
        elif isinstance(value, (list, tuple)) or hasattr(value, "extend") and not hasattr(value, "ListFields"):
            total += sum(payload_bytes(v) for v in value)
        else:
            total += payload_bytes(value)
    return total


def _detail(e, kind: str) -> str:
    """What an event is about, for the sequence: the activity, the update, the timer's duration."""
    if kind == "activity_task_scheduled":
        return f" ({e.activity_task_scheduled_event_attributes.activity_type.name})"
    if kind == "workflow_execution_update_accepted":
        return f" ({e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name})"
    if kind == "timer_started":
        return f" ({e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()})"
    return ""


def messages_of(db_path: Path, order_ids: set[str], sends_log: Path) -> dict[str, Any]:
    """Messages logged for these orders against what each should get, and provider sends beyond one per key."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT key, order_id, kind, attempts FROM messages").fetchall()
    rows = [r for r in rows if r[1] in order_ids]
    by_kind = Counter(r[2] for r in rows)
    per_order: dict[str, Counter] = {o: Counter() for o in order_ids}
    for _key, order_id, kind, *_ in rows:
        per_order[order_id][kind] += 1
    unexpected = {o: dict(c) for o, c in per_order.items() if dict(c) != EXPECTED_MESSAGES}
    sends = Counter(key for key in sent_keys(sends_log) if key.split("/", 1)[0] in order_ids)
    return {"sent": len(rows), "by_kind": dict(sorted(by_kind.items())),
            "expected_per_order": EXPECTED_MESSAGES, "orders_not_as_expected": len(unexpected),
            "examples_not_as_expected": dict(list(unexpected.items())[:5]),
            "provider_sends": sum(sends.values()), "duplicates": sum(n - 1 for n in sends.values()),
            "retried_activities": sum(1 for r in rows if (r[3] or 1) > 1)}


def sent_keys(sends_log: Path) -> list[str]:
    """The key of every provider send in the bench worker's `sends.log` (lines `key<TAB>time<TAB>pid`)."""
    if not sends_log.exists():
        return []
    return [line.split("\t", 1)[0].strip() for line in sends_log.read_text().splitlines() if line.strip()]


def confirmation_times(db_path: Path) -> dict[str, float]:
    """order id -> when its confirmation email was logged (wall clock, seconds)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT order_id, sent_at FROM messages WHERE kind = 'order_confirmation'").fetchall()
    return {order_id: _parse_utc(sent_at) for order_id, sent_at in rows if sent_at}


def _parse_utc(value: str) -> float:
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
