"""Signing and verifying Orderly's department webhooks (HMAC-SHA256 over `<timestamp>.<body>`).

Orderly signs every webhook it posts; a receiver verifies it with this module (standard library only):

    from models.webhook_signature import InvalidSignature, verify_request

    try:
        verify_request(secret, body=raw_request_bytes, headers=request.headers)
    except InvalidSignature as e:
        return 401, str(e)
    key = request.headers["Idempotency-Key"]     # the message key: process each key once

Headers: `X-Orderly-Timestamp` (Unix seconds when the request was signed), `X-Orderly-Signature`
(`sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`) and `Idempotency-Key` (the message key; a retry or a
staff resend carries the same key with a fresh timestamp and signature).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Orderly-Signature"
TIMESTAMP_HEADER = "X-Orderly-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE = 300  # seconds a signed request stays acceptable (and how far ahead of the receiver's clock)


class InvalidSignature(ValueError):
    """The request is not a genuine, fresh Orderly webhook; the message says why."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The `X-Orderly-Signature` value for `body` signed at `timestamp`."""
    digest = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str | bytes, body: bytes, idempotency_key: str, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key}


def verify(secret: str | bytes, body: bytes, signature: str | None, timestamp: str | None, *,
           tolerance: float = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    """Raise `InvalidSignature` unless `signature` is Orderly's for `body` at `timestamp`, within `tolerance`."""
    if not secret:
        raise InvalidSignature("no webhook secret configured on the receiving side")
    if not timestamp:
        raise InvalidSignature(f"missing {TIMESTAMP_HEADER} header")
    if not signature:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} must be Unix seconds, not {timestamp!r}") from None
    age = (time.time() if now is None else now) - signed_at
    if abs(age) > tolerance:
        when = "old" if age > 0 else "in the future"
        raise InvalidSignature(f"stale timestamp: signed {abs(age):.0f} s {when} (tolerance {tolerance:.0f} s)")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise InvalidSignature("signature does not match the body and timestamp (wrong secret or altered body)")


def verify_request(secret: str | bytes, body: bytes, headers: Mapping[str, str], *,
                   tolerance: float = DEFAULT_TOLERANCE, now: float | None = None) -> str:
    """Verify a received request by its raw body and headers (any case); return its idempotency key."""
    lower = {k.lower(): v for k, v in headers.items()}
    verify(secret, body, lower.get(SIGNATURE_HEADER.lower()), lower.get(TIMESTAMP_HEADER.lower()),
           tolerance=tolerance, now=now)
    key = lower.get(IDEMPOTENCY_HEADER.lower(), "")
    if not key:
        raise InvalidSignature(f"missing {IDEMPOTENCY_HEADER} header")
    return key
