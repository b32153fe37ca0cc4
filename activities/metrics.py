"""Business metrics recorded by activities on the worker's metric meter (served with the Temporal SDK's metrics at
ORDERLY_WORKER_METRICS_ADDRESS): `orderly_messages_handled{kind, outcome}`, with the SDK's activity labels."""

from __future__ import annotations

from temporalio import activity


def count_message(kind: str, outcome: str) -> None:
    """Count a message the moment its outcome is known: `sent` or `failed` (not a duplicate of one already sent)."""
    activity.metric_meter().create_counter(
        "orderly_messages_handled", "messages handed to a provider, by kind and outcome (sent or failed)"
    ).add(1, {"kind": kind, "outcome": outcome})
