"""Messages the order process sends: who to, what kind, and the key that makes each one go out at most once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from .order import OrderView

CUSTOMER = "customer"
STAFF = "staff"

EMAIL = "email"
WEBHOOK = "webhook"


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
    at_risk_alert = "at_risk_alert"
    customer_request = "customer_request"
    order_updated = "order_updated"
    shipping_notice = "shipping_notice"
    feedback_request = "feedback_request"
    feedback_reminder = "feedback_reminder"
    feedback_call = "feedback_call"
    cancellation_notice = "cancellation_notice"
    delivery_failed = "delivery_failed"
    order_terminated = "order_terminated"
    cancel_refused_alert = "cancel_refused_alert"  # staff: a cancel from Temporal was refused; extra: reason
    message_dropped_alert = "message_dropped_alert"  # staff: a message the order could not read; extra: name, reason
    deposit_received = "deposit_received"  # customer: the deposit is in, the made-to-order parts' dates
    deposit_reminder = "deposit_reminder"  # customer: the deposit's deadline passed
    deposit_overdue_alert = "deposit_overdue_alert"  # accounts receivable: a deposit not received by its deadline


# A cancellation that came from Temporal itself (the Web UI's "Request Cancellation", `temporal workflow cancel`),
# not from staff in Orderly: its `cancellation_notice` and `work_order_cancelled` carry
# extra={CANCELLED_BY: BY_TEMPORAL}. The customer reads customer words; staff and departments keep the detail.
CANCELLED_BY = "cancelled_by"
BY_TEMPORAL = "temporal"


class NoticeRequest(BaseModel):
    """What a notice says, apart from the order it is about. `to` is `customer`, `staff` or a department id."""

    kind: MessageKind
    to: str
    revision: str = "1"
    extra: dict[str, Any] = Field(default_factory=dict)


class Notice(NoticeRequest):
    """A request to tell someone something about an order, with the order as it is now."""

    order: OrderView

    @property
    def key(self) -> str:
        """order / kind / recipient / revision: the same key is never sent twice."""
        return f"{self.order.order_id}/{self.kind.value}/{self.to}/{self.revision}"


class NoticeBatch(BaseModel):
    """Several notices about one order sent by one activity (the confirmation and the work orders of a new order):
    the order once, then what each notice says. Each notice still goes out at most once under its own key."""

    order: OrderView
    notices: list[NoticeRequest]

    @classmethod
    def of(cls, notices: list[Notice]) -> NoticeBatch:
        return cls(order=notices[0].order, notices=[NoticeRequest(**n.model_dump(exclude={"order"})) for n in notices])

    def each(self) -> list[Notice]:
        return [Notice(**request.model_dump(), order=self.order) for request in self.notices]


class OutgoingEmail(BaseModel):
    key: str
    kind: str
    order_id: str
    to: str
    sender: str
    subject: str
    text: str
    html: str
    reply_to: str = Field(default="", description="the Reply-To address (customer emails: the company's contact)")


class Outgoing(BaseModel):
    """One delivery: a message through one channel to one recipient (an address, or a webhook URL)."""

    key: str            # the send-log row: the message key, `#webhook` added for a webhook
    message_key: str    # order/kind/recipient/revision: the Idempotency-Key, the SendGrid custom argument
    channel: str
    order_id: str
    kind: str
    recipient: str
    subject: str
    text: str           # the plain-text part, or a webhook's JSON body
    html: str = ""
    content_hash: str = ""  # `content_hash` of subject and text: the send log compares it with what went out before


def content_hash(subject: str, text: str, volatile: Iterable[str] = ()) -> str:
    """What a delivery carries, as a hash of its subject and text, the parts that differ each time the same message
    is composed (`volatile`: the customer's links, signed at the moment of sending) left out. Equal hashes: the
    same message; a key sent before with another hash was sent with other facts (a reset workflow run again)."""
    for part in volatile:
        if part:
            text = text.replace(part, "\x00")
    return hashlib.sha256(f"{subject}\n{text}".encode()).hexdigest()


def revision_of(out: Outgoing, number: int) -> Outgoing:
    """The delivery as revision `number` of its key, `<message key>~<number>` (`~2`, `~3`, ...): what a message
    whose key already went out with other content is sent as, so it is neither dropped nor sent twice."""
    message_key = f"{out.message_key}~{number}"
    return out.model_copy(update={"message_key": message_key, "key": delivery_key(message_key, out.channel)})


def recipient_of(message_key: str) -> str:
    """The recipient part of a message key (order/kind/recipient/revision): `customer`, `staff` or a department."""
    return (message_key.split("/") + ["", "", ""])[2]


def delivery_key(message_key: str, channel: str) -> str:
    """The send-log row of one channel's delivery: the message key itself for email, `<key>#webhook` for a webhook."""
    return message_key if channel == EMAIL else f"{message_key}#{channel}"


class Delivery(BaseModel):
    """One channel's delivery of a message (email or webhook) and how it went."""

    key: str
    channel: str = EMAIL
    recipient: str
    status: str = Field(description="sent, failed (permanently, or retries exhausted) or retrying")
    provider_id: str = ""
    duplicate: bool = Field(default=False, description="the send log already had this key: nothing was sent now")
    error: str = ""


class Receipt(BaseModel):
    """What happened to a notice: sent now, already sent earlier under the same key, or failed (and logged).

    A notice to a department with both an address and a webhook has two deliveries; `status` is `sent` only when
    every one of them is.
    """

    key: str
    recipient: str
    status: str = Field(description="sent; failed (for good, and logged); or, from a `NoticeBatch` only, retry: a "
                                    "transient failure the workflow sends again on its own, with the retry policy")
    provider_id: str = ""
    duplicate: bool = False
    error: str = ""
    deliveries: list[Delivery] = Field(default_factory=list)


def delivery_failed_notice(notice: Notice, failed: Delivery) -> Notice | None:
    """The staff alert that one channel's delivery of `notice` failed (`failed`, from the notice's receipt), or None
    when there is nobody to tell: the notice was to staff, or was itself such an alert.

    Pure, so the workflow builds it as the message activity does. Its key (`<order>/delivery_failed/staff/<the
    failed delivery's key, dotted>`) is the same wherever it is built, so staff are told at most once per delivery.
    """
    if notice.to == STAFF or notice.kind is MessageKind.delivery_failed:
        return None
    return Notice(kind=MessageKind.delivery_failed, to=STAFF, order=notice.order, revision=failed.key.replace("/", "."),
                  extra={"failed_key": failed.key, "failed_kind": notice.kind.value, "channel": failed.channel,
                         "failed_to": notice.to, "recipient": failed.recipient, "error": failed.error})
