"""The read model (SQLModel tables), written only by activities the order workflow calls."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class OrderRecord(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_received_at", "received_at", "order_id"),
                      Index("ix_orders_status_received_at", "status", "received_at", "order_id"))

    order_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(index=True, max_length=20)
    channel: str = Field(max_length=10)
    customer_name: str = ""
    customer_email: str = ""
    total: str = "0"
    currency: str = "USD"
    received_at: datetime
    expected_fulfillment_date: date | None = Field(default=None, index=True)
    shipped: bool = False
    feedback_rating: int | None = None
    view: dict = Field(default_factory=dict, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class TimelineRecord(SQLModel, table=True):
    __tablename__ = "order_timeline"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(index=True, max_length=64)
    seq: int
    at: datetime
    kind: str = Field(max_length=40)
    text: str
    data: dict = Field(default_factory=dict, sa_column=Column(JSON))


class MessageRecord(SQLModel, table=True):
    """The send log: one row per delivery key, checked before and written after the provider call.

    `key` is the message key (`order/kind/recipient/revision`) for email and `<key>#webhook` for a department
    webhook. `status`: `sent`; `retrying` (a transient failure, the activity retries); `failed` (permanent, or the
    retries ran out: staff were alerted and may resend); `resending` (a staff resend in progress).
    A webhook's row keeps its JSON body in `text`, so a resend posts the very same work order.
    `content_hash`: what the delivery carried (`messages.content_hash`); a key found sent with other content is sent
    again as a new revision, `<key>~2` (`store/send_log.key_for`). "" on rows logged before it was kept.
    """

    __tablename__ = "messages"

    key: str = Field(primary_key=True, max_length=200)
    order_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=40)
    channel: str = Field(default="email", max_length=20)
    recipient: str
    subject: str
    status: str = Field(default="sent", index=True, max_length=20)
    provider_id: str = ""
    attempts: int = 1
    last_error: str = ""
    text: str = ""
    html: str = ""
    content_hash: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    updated_at: datetime | None = None


class MessageAttempt(SQLModel, table=True):
    """Every provider call for a delivery key, in order: what happened and who asked (the worker or a staff resend)."""

    __tablename__ = "message_attempts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, max_length=200)
    at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(max_length=20, description="sent, transient or permanent")
    detail: str = ""
    by: str = Field(default="worker", max_length=120)


class JobMark(SQLModel, table=True):
    """Where a periodic job got to: the reconciliation's last pass (it asks Temporal only for what closed since)."""

    __tablename__ = "job_marks"

    name: str = Field(primary_key=True, max_length=64)
    at: datetime


class OrderSearchTerm(SQLModel, table=True):
    """The search index of the read model: each order's normalized order number, customer name (and its words),
    email, phone digits and postcode, written with the order's row (`store/search.py`). A search looks a term up by
    prefix in the index on `term` (on PostgreSQL with `text_pattern_ops`, so `LIKE 'prefix%'` uses it)."""

    __tablename__ = "order_search"
    __table_args__ = (Index("ix_order_search_term", "term", postgresql_ops={"term": "text_pattern_ops"}),)

    term: str = Field(primary_key=True, max_length=254)
    order_id: str = Field(primary_key=True, max_length=64, index=True)
    kind: str = Field(max_length=20, description="order, name, email, phone or postcode")


class OrderParty(SQLModel, table=True):
    """Who besides Orderly's own staff may see an order: each fulfiller of its lines (a manufacturer), with the
    order's `received_at` and `status` copied, so a third party's list, count and page are one index range."""

    __tablename__ = "order_parties"
    __table_args__ = (Index("ix_order_parties_party", "party", "received_at", "order_id"),
                      Index("ix_order_parties_party_status", "party", "status", "received_at", "order_id"))

    order_id: str = Field(primary_key=True, max_length=64)
    party: str = Field(primary_key=True, max_length=64)
    received_at: datetime
    status: str = Field(max_length=20)


class QueueEntry(SQLModel, table=True):
    """One entry of a staff work queue (`store/queue_rows.py`): `wo` (a department's unacknowledged work order),
    `arrived` (a maker's part at the warehouse), `requests`, `calls` (the feedback call, due from `call_from`),
    `late` (an open order's next date not shipped, late or at risk by the day it is read), `overdue`,
    `incomplete` (an order whose form waits for the missing details: what is missing, due the day it expires) and
    `ready` (what the warehouse can ship now: the pick list). Each entry is written for Orderly's staff (`party`
    '') and again for each third party that may see the order, so a manufacturer's queue is an index range of its
    own."""

    __tablename__ = "queue_entries"
    __table_args__ = (Index("ix_queue_entries_department", "queue", "party", "department", "received_at", "order_id"),
                      Index("ix_queue_entries_due", "queue", "party", "due", "order_id"))

    order_id: str = Field(primary_key=True, max_length=64)
    queue: str = Field(primary_key=True, max_length=20)
    seq: int = Field(primary_key=True)
    party: str = Field(default="", max_length=64, description="whose queue: '' for Orderly's staff, else the third "
                                                              "party (a manufacturer) that may see the order")
    department: str = Field(default="", max_length=64)
    due: date | None = None
    shown_due: date | None = Field(default=None, description="the date a `late` entry shows: the order's expected "
                                                                 "fulfillment date (`due` is its next part's)")
    note: str = ""
    received_at: datetime
    call_from: datetime | None = None
    call_retried: bool = False


class StaffAccount(SQLModel, table=True):
    """A person who signs in to the staff console (`orderly staff add`): the role they act in, the manufacturer a
    maker's account is bound to, and an argon2 hash of the password (never the password). `name_key` is the name
    casefolded with its spaces collapsed, so "maria  santos" signs in as "Maria Santos" and no two accounts look
    alike. A disabled account cannot sign in, and its open sessions end at their next request."""

    __tablename__ = "staff_accounts"

    name_key: str = Field(primary_key=True, max_length=120)
    name: str = Field(max_length=120)
    role: str = Field(max_length=20)
    maker: str = Field(default="", max_length=64, description="the manufacturer id, for the manufacturer role")
    password_hash: str = Field(max_length=255)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# ---- the insights page's facts (`store/insight_rows.py`), written with the order in the same transaction ----

class InsightPart(SQLModel, table=True):
    """A part of an accepted order against the date first promised for it: shipped by then (`kept`), how many days
    after it (`days_late`), and whether the customer was told of a delay before the date (`told_before`) or only by
    the lateness timer after it (`told_by_timer`). `month` is the promised date's `YYYY-MM`; `open`: not shipped and
    the order still open (late once the promised date has passed)."""

    __tablename__ = "insight_parts"
    __table_args__ = (Index("ix_insight_parts_promised", "promised", "fulfiller", "month", "kept", "days_late", "open",
                            "told_before", "told_by_timer"),)  # covering: the period's figures from the index alone

    order_id: str = Field(primary_key=True, max_length=64)
    fulfiller: str = Field(primary_key=True, max_length=64)
    promised: date
    month: str = Field(max_length=7)
    shipped_on: date | None = None
    kept: bool | None = Field(default=None, description="none: not shipped yet")
    days_late: int | None = None
    open: bool = False
    told_before: bool = False
    told_by_timer: bool = False


class InsightLine(SQLModel, table=True):
    """An order line's lead time by product type: days from acceptance to the date promised and to its shipment."""

    __tablename__ = "insight_lines"
    __table_args__ = (Index("ix_insight_lines_accepted_on", "accepted_on", "fulfiller", "product_type", "promised_days",
                            "actual_days"),)  # covering, as above

    order_id: str = Field(primary_key=True, max_length=64)
    line: int = Field(primary_key=True)
    fulfiller: str = Field(max_length=64)
    product_type: str = Field(max_length=64)
    accepted_on: date
    promised_days: int
    actual_days: int | None = None


class InsightDelay(SQLModel, table=True):
    """A delay staff reported (a timeline event with its reason), one row for each part it moved."""

    __tablename__ = "insight_delays"
    __table_args__ = (Index("ix_insight_delays_day", "day", "fulfiller"),)

    order_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    fulfiller: str = Field(primary_key=True, max_length=64)
    day: date
    month: str = Field(max_length=7)
    reason: str = Field(max_length=500)


class InsightOrder(SQLModel, table=True):
    """An order's form and feedback facts: arrived incomplete, days to complete the form, expired; late (a part
    shipped after its first promised date, or found late by the timer); how feedback was asked (`survey` or `call`,
    "" when it was not) and the rating and comment that came back."""

    __tablename__ = "insight_orders"
    __table_args__ = (Index("ix_insight_orders_received_on", "received_on", "incomplete", "expired", "completion_days",
                            "feedback_channel", "rating"),
                      Index("ix_insight_orders_rated_on", "rated_on", "rated_month", "rating", "late"))

    order_id: str = Field(primary_key=True, max_length=64)
    received_on: date
    month: str = Field(max_length=7)
    incomplete: bool = False
    completion_days: float | None = None
    expired: bool = False
    late: bool = False
    feedback_channel: str = Field(default="", max_length=10)
    rating: int | None = None
    comment: str = ""
    rated_on: date | None = None
    rated_month: str | None = Field(default=None, max_length=7)


class InsightMissingField(SQLModel, table=True):
    """A field an order's form arrived (or came back) without: kept once seen, as the form's problems leave the
    order's view when it is completed. `name` is the field without its line (`fabric`, `customer.phone`); `line` is
    the order line it belongs to (-1: none), whose product type `insight_lines` has once the order is accepted."""

    __tablename__ = "insight_missing_fields"
    __table_args__ = (Index("ix_insight_missing_fields_received_on", "received_on"),)

    order_id: str = Field(primary_key=True, max_length=64)
    field: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)
    line: int = -1
    received_on: date


class InsightRequest(SQLModel, table=True):
    """A customer's request (Tell us) and the days it took to resolve (none: still open)."""

    __tablename__ = "insight_requests"
    __table_args__ = (Index("ix_insight_requests_received_on", "received_on"),)

    order_id: str = Field(primary_key=True, max_length=64)
    number: int = Field(primary_key=True)
    received_on: date
    month: str = Field(max_length=7)
    resolve_days: float | None = None
