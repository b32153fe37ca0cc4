"""Department webhooks: a JSON work order POSTed to the department's URL, signed, with an idempotency key.

The body is built once per message (and kept in the send log, so a staff resend posts the same bytes); each
attempt signs it afresh with the current time (`models/webhook_signature.py` says how receivers verify it).
Redirects are not followed: a webhook URL must answer itself.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from models.webhook_signature import signed_headers

from .mailer import PermanentDeliveryError, TransientDeliveryError
from .mail_sendgrid import retry_after

TRANSIENT_STATUSES = {408, 409, 425, 429} | set(range(500, 600))


def work_order_body(payload: dict[str, Any]) -> bytes:
    """The JSON bytes of a webhook (compact, keys sorted: the same message is always the same bytes)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


class WebhookSender:
    name = "webhook"

    def __init__(self, secret: str, timeout: float = 10.0) -> None:
        self.secret = secret
        self.timeout = timeout

    def post(self, url: str, body: bytes, idempotency_key: str) -> str:
        """POST one signed webhook; return the receiver's request id (or the status). Raise a DeliveryError."""
        headers = {"Content-Type": "application/json", "User-Agent": "Orderly-Webhooks/1",
                   **signed_headers(self.secret, body, idempotency_key)}
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.TransportError as e:  # connection refused, DNS, timeouts, dropped connections
            raise TransientDeliveryError(f"webhook {url} not reachable: {type(e).__name__}: {e}") from None
        if response.is_success:
            return response.headers.get("X-Request-Id") or f"HTTP {response.status_code}"
        detail = f"webhook {url} answered {response.status_code}: {response.text[:300]}"
        if response.status_code in TRANSIENT_STATUSES:
            raise TransientDeliveryError(detail, retry_after(response.headers))
        raise PermanentDeliveryError(detail)
