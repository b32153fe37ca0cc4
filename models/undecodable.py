"""A payload the worker could not decode, as the workflow sees it: a placeholder instead of a wedged order.

Anyone who can reach Temporal can send an order a message Orderly cannot read (the Temporal CLI, with a payload
encrypted under a key the worker does not have, or altered on the way). The worker's codec
(`plumbing/payload_encryption.py`, `lenient=True`) turns such a payload into a placeholder — metadata
`encoding: binary/undecodable` and `undecodable-reason: <why>`, no data — instead of failing every workflow task
from then on. The SDK then drops a typed signal whose arguments fail to convert, rejects such an update, and hands
a dynamic signal handler `RawValue`s it can look at with the two functions here.

Pure and import-safe in the workflow sandbox: no I/O, nothing of ours imported.
"""

from __future__ import annotations

from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

UNDECODABLE_ENCODING = b"binary/undecodable"
REASON_KEY = "undecodable-reason"
MAX_REASON = 500  # bytes of the reason kept in the placeholder (it names a key id, never a key)


def undecodable_payload(reason: str) -> Payload:
    """The placeholder for a payload that could not be decoded, with why (no data: nothing of it is kept)."""
    return Payload(metadata={"encoding": UNDECODABLE_ENCODING,
                             REASON_KEY: reason.encode("utf-8", errors="replace")[:MAX_REASON]})


def _payload(value: RawValue | Payload) -> Payload:
    return value.payload if isinstance(value, RawValue) else value


def is_undecodable(value: RawValue | Payload) -> bool:
    """Whether a signal's or update's argument (a dynamic handler's `RawValue`, or a payload) is such a placeholder."""
    return _payload(value).metadata.get("encoding") == UNDECODABLE_ENCODING


def undecodable_reason(value: RawValue | Payload) -> str | None:
    """Why the payload could not be decoded (e.g. "encrypted with key id 'x', which is not among the configured
    keys"); None for a payload that decoded."""
    payload = _payload(value)
    if not is_undecodable(payload):
        return None
    return payload.metadata.get(REASON_KEY, b"").decode("utf-8", errors="replace") or "unknown reason"
