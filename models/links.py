"""Signed, expiring links for customers: each is bound to one order and one purpose (status, form, survey).

Customers never get API tokens; the link in their email is their key to that one order.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .i18n import N_

PURPOSES = ("status", "form", "survey")


class LinkError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(secret, salt=f"orderly-customer-{purpose}")


def sign(secret: str, order_id: str, purpose: str) -> str:
    return _serializer(secret, purpose).dumps(order_id)


def verify(secret: str, token: str, order_id: str, purpose: str, max_age_seconds: float) -> None:
    """Raise LinkError unless `token` is a valid, unexpired `purpose` link for `order_id`."""
    try:
        signed_for = _serializer(secret, purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as e:
        raise LinkError("expired", N_("This link has expired. Contact us and we will send you a new one.")) from e
    except BadSignature as e:
        raise LinkError("invalid", N_("This link is not valid: it may have been cut short or changed.")) from e
    if signed_for != order_id:
        raise LinkError("invalid", N_("This link belongs to another order."))


def customer_url(base_url: str, secret: str, order_id: str, purpose: str) -> str:
    suffix = "" if purpose == "status" else f"/{purpose}"
    return f"{base_url.rstrip('/')}/orders/{order_id}{suffix}?t={sign(secret, order_id, purpose)}"
