"""Messages the order process sends: who to, what kind, and the key that makes each one go out at most once."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from .order import OrderView

CUSTOMER = "customer"
STAFF = "staff"


class MessageKind(str, Enum):
    form_incomplete = "form_incomplete"
    form_reminder = "form_reminder"
    form_expired = "form_expired"
    order_confirmation = "order_confirmation"
    work_order = "work_order"
    work_order_reminder = "work_order_reminder"
    work_order_change = "work_order_change"
    work_order_cancelled = "work_order_cancelled"
    delay_notice = "delay_notice"
    late_notice = "late_notice"
    late_alert = "late_alert"
    shipping_notice = "shipping_notice"
    feedback_request = "feedback_request"
    feedback_reminder = "feedback_reminder"
    feedback_call = "feedback_call"
    cancellation_notice = "cancellation_notice"


class Notice(BaseModel):
    """A request to tell someone something about an order. `to` is `customer`, `staff` or a department id."""

    kind: MessageKind
    to: str
    order: OrderView
    revision: str = "1"
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """order / kind / recipient / revision: the same key is never sent twice."""
        return f"{self.order.order_id}/{self.kind.value}/{self.to}/{self.revision}"


class OutgoingEmail(BaseModel):
    key: str
    kind: str
    order_id: str
    to: str
    sender: str
    subject: str
    text: str
    html: str


class Receipt(BaseModel):
    """What happened to a notice: sent now, or already sent earlier under the same key."""

    key: str
    recipient: str
    status: str
    provider_id: str = ""
    duplicate: bool = False
