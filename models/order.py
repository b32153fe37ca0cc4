"""The order form as submitted, and the order as the workflow sees it (status, lines, dates, timeline)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, computed_field, model_validator

from .i18n import Language
from .feedback_call import CallOutcome, FeedbackCall  # noqa: F401  (CallOutcome: an action input, as below)
from .inputs import Input, RequiredLine, SingleLine, Text, WholeNumber
from .customer_requests import CustomerRequest, RequestRecord, RequestResolution  # noqa: F401  (inputs too)
from .fulfilment_inputs import (Acknowledgement, Cancellation, DelayReport, DeliveryReport,  # noqa: F401
                                FeedbackEntry, Readiness)  # (inputs, named here as before)
from .money import MoneyRecord, Payment, Refund, balances, total_of  # noqa: F401  (Payment, Refund: inputs)
from .parts import Part
from .shipments import SHIPMENT_LABELS, Shipment, ShipmentCorrection, described_changes  # noqa: F401  (inputs too)
from .policy import Policy

ORDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def workflow_id_for(order_id: str) -> str:
    """The Temporal workflow id of an order: one workflow per order number."""
    return f"order-{order_id}"


class Channel(str, Enum):
    web = "web"
    phone = "phone"
    api = "api"


class OrderStatus(str, Enum):
    received = "received"
    incomplete = "incomplete"
    expired = "expired"
    confirmed = "confirmed"
    delayed = "delayed"
    partially_shipped = "partially_shipped"    # some lines shipped, some still to ship
    shipped = "shipped"
    partially_delivered = "partially_delivered"  # some shipments delivered, not all
    delivered = "delivered"
    completed = "completed"
    cancelled = "cancelled"
    terminated = "terminated"  # closed in Temporal without the workflow finishing (set by the reconciliation)

    @property
    def is_open_for_fulfillment(self) -> bool:
        """Confirmed and not everything shipped yet (a partly delivered order may still have lines to ship)."""
        return self in (OrderStatus.confirmed, OrderStatus.delayed, OrderStatus.partially_shipped,
                        OrderStatus.partially_delivered)


class Customer(Input):
    name: SingleLine = Field(default="", max_length=200)
    email: SingleLine = Field(default="", max_length=254)
    phone: SingleLine = Field(default="", max_length=40)


class Address(Input):
    line1: SingleLine = Field(default="", max_length=200)
    line2: SingleLine = Field(default="", max_length=200)
    city: SingleLine = Field(default="", max_length=100)
    region: SingleLine = Field(default="", max_length=100)
    postal_code: SingleLine = Field(default="", max_length=20)
    country: SingleLine = Field(default="", max_length=60, description="ISO 3166-1 alpha-2 code, e.g. US")

    def lines(self) -> list[str]:
        """As printed on a label: street lines, then `City, Region Postcode`, then the country."""
        region_postcode = " ".join(p for p in (self.region, self.postal_code) if p)
        city_line = ", ".join(p for p in (self.city, region_postcode) if p)
        return [p for p in (self.line1, self.line2, city_line, self.country) if p]


OptionName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]


def stripped(value: Any) -> Any:
    """An option's text without surrounding blanks: an option of spaces is not given."""
    return value.strip() if isinstance(value, str) else value


class OrderLine(Input):
    sku: RequiredLine = Field(max_length=64)
    quantity: WholeNumber = Field(default=1)
    options: dict[OptionName, Annotated[Any, BeforeValidator(stripped)]] = Field(default_factory=dict, max_length=50,
                                           description="option name (as the catalog's form fields) -> value")


class OrderForm(Input):
    """The standardized order form. Well-formed but possibly incomplete: the validator says what is missing."""

    order_id: str | None = Field(default=None, pattern=ORDER_ID_PATTERN,
                                 description="client-chosen order number; resubmitting it never makes a second order")
    channel: Channel = Channel.api
    customer: Customer = Field(default_factory=Customer)
    shipping_address: Address = Field(default_factory=Address)
    lines: list[OrderLine] = Field(default_factory=list, max_length=100)
    notes: Text = Field(default="", max_length=2000)
    language: Language | None = Field(default=None, description=(
        "the customer's language for every email and page (`en` or `fil`); none: the company's "
        "(ORDERLY_COMPANY_LANGUAGE), filled in when the order starts"))


class FieldProblem(BaseModel):
    """One thing wrong with a form: `field` is a path such as `lines[0].options.fabric`; `label` says it in words."""

    field: str
    message: str
    label: str = ""
    kind: str = Field(default="invalid", description="`missing`: a value the customer still has to give; "
                                                     "`invalid`: a value that cannot be accepted as it is")

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class PricedLine(BaseModel):
    """An order line checked against the catalog."""

    sku: str
    name: str
    quantity: int
    options: dict[str, Any]
    option_labels: dict[str, str] = Field(default_factory=dict, description="option name -> label, for messages")
    unit_price: Decimal
    lead_time_days: int
    fulfiller: str = Field(description="'warehouse' or a manufacturer id")
    product_type: str = Field(default="", description="the catalog's product type (sofa, table...); \"\" on orders "
                                                      "accepted before it was kept")

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class FormCheck(BaseModel):
    """The result of validating a form: either problems, or the priced lines of a complete order."""

    problems: list[FieldProblem] = Field(default_factory=list)
    lines: list[PricedLine] = Field(default_factory=list)
    currency: str = "USD"
    manufacturers: dict[str, str] = Field(default_factory=dict, description="manufacturer id -> name")
    expected_fulfillment_date: date | None = None
    part_dates: dict[str, date] = Field(default_factory=dict, description=(
        "fulfiller ('warehouse' or a manufacturer id) -> the date its lines' lead times give"))

    @property
    def complete(self) -> bool:
        return not self.problems


class FormCheckRequest(BaseModel):
    form: OrderForm
    as_of: datetime = Field(description="when the order is accepted: lead times count from here")


class OrderStart(BaseModel):
    """The order workflow's input: the form as submitted, and the policy and timezone the order runs under."""

    order_id: str = Field(pattern=ORDER_ID_PATTERN)
    form: OrderForm
    policy: Policy = Field(default_factory=Policy)
    timezone: str = "America/Chicago"
    holidays: list[date] = Field(default_factory=list, description=(
        "the company's public holidays for the next two years, skipped in the business days the workflow counts "
        "(hand-over and at-risk dates); none: weekends only (orders started before)"))
    check: FormCheck | None = Field(default=None, description=(
        "the submitter's check of this form (models.form_check), made as it started the order: the workflow takes "
        "it as it is instead of checking the form again. None: the workflow checks it (orders started before)"))


# ---- staff and customer actions (workflow update inputs) ----

class FormCompletion(Input):
    form: OrderForm


# ---- what the workflow reports ----

class TimelineEvent(BaseModel):
    seq: int
    at: datetime
    kind: str
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class ActionResult(BaseModel):
    """What an accepted staff or customer action returns."""

    order_id: str
    status: OrderStatus
    message: str
    problems: list[FieldProblem] = Field(default_factory=list)
    duplicate: bool = Field(default=False, description="true when the order already existed: nothing new was created")


class OrderOutcome(BaseModel):
    """What the order workflow returns when it closes: the order and how it ended. The rest is in the read model and
    in the status query, which a closed workflow still answers."""

    order_id: str
    status: OrderStatus


class OrderView(BaseModel):
    """The order as the `status` query returns it; also what the read model stores."""

    order_id: str
    status: OrderStatus
    channel: Channel
    customer: Customer
    shipping_address: Address
    lines: list[PricedLine] = Field(default_factory=list)
    notes: str = ""
    language: Language | None = Field(default=None, description="the customer's language; none: the company's")
    currency: str = "USD"
    problems: list[FieldProblem] = Field(default_factory=list)
    form_reminder_at: datetime | None = Field(default=None, description="an incomplete form: when the reminder goes")
    form_expires_at: datetime | None = Field(default=None, description="an incomplete form: when the order expires")
    received_at: datetime
    expected_fulfillment_date: date | None = None
    original_fulfillment_date: date | None = None
    work_orders: list[str] = Field(default_factory=list, description="departments sent a work order")
    acknowledged: dict[str, datetime] = Field(default_factory=dict)
    parts: list[Part] = Field(default_factory=list, description="the lines each fulfiller delivers, with its date")
    next_fulfillment_date: date | None = Field(default=None, description="the earliest date of a part not yet shipped")
    shipments: list[Shipment] = Field(default_factory=list)
    delivered_at: datetime | None = Field(default=None, description="when the last shipment was delivered")
    feedback: FeedbackEntry | None = None
    feedback_call: FeedbackCall | None = Field(default=None, description="customer service's call task, for an order "
                                               "that gets a call instead of the online survey")
    cancel_reason: str | None = Field(default=None, description="the cancellation's message to the customer")
    cancel_note: str = Field(default="", description="the cancellation's internal note, for staff only")
    requests: list[RequestRecord] = Field(default_factory=list, description="what the customer told us (Tell us)")
    payments: list[MoneyRecord] = Field(default_factory=list, description="payments received (accounts receivable)")
    refunds: list[MoneyRecord] = Field(default_factory=list, description="refunds paid back to the customer")
    money_outside: bool = Field(default=False, description="completed under settle_before_closing off: settled outside")
    deposit_due: Decimal = Field(default=Decimal("0.00"), description="the deposit asked before made-to-order parts "
                                 "are made (policy deposit_percent of their value); 0: none")
    deposit_received_at: datetime | None = Field(default=None, description="when payments reached the deposit")
    deposit_reminded_at: datetime | None = Field(default=None, description="the deposit deadline passed: reminded")
    timeline: list[TimelineEvent] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _one_shipment_before_parts(cls, data: Any) -> Any:
        """A view stored before orders shipped in parts has one `shipment`: it is shipment 1, of everything."""
        if isinstance(data, dict) and "shipment" in data and "shipments" not in data:
            data = dict(data)
            old = data.pop("shipment")
            old = old.model_dump() if isinstance(old, BaseModel) else old
            lines = [line.model_dump() if isinstance(line, BaseModel) else line for line in data.get("lines", [])]
            everything = [{"sku": line["sku"], "quantity": line["quantity"], "line": i} for i, line in enumerate(lines)]
            data["shipments"] = [] if old is None else [{**old, "lines": old.get("lines") or everything, "number": 1,
                                                          "delivered_at": data.get("delivered_at")}]
        return data

    @computed_field
    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @computed_field(description="what the customer paid, refunds not deducted")
    @property
    def paid(self) -> Decimal:
        return total_of(self.payments)

    @computed_field
    @property
    def refunded(self) -> Decimal:
        return total_of(self.refunds)

    @computed_field(description="what the customer owes: the total (none once cancelled) less what they paid")
    @property
    def balance_due(self) -> Decimal:
        return balances(self.owed, self.paid, self.refunded)[0]

    @computed_field(description="what is owed back to the customer: a cancellation after a payment, an overpayment")
    @property
    def refund_due(self) -> Decimal:
        return balances(self.owed, self.paid, self.refunded)[1]

    @computed_field(description="'' (no deposit), 'awaited' or 'received'")
    @property
    def deposit_status(self) -> str:
        return "" if self.deposit_due <= 0 else "received" if self.deposit_received_at else "awaited"

    @property
    def owed(self) -> Decimal:
        return Decimal("0.00") if self.status is OrderStatus.cancelled else self.total

    @property
    def shipment(self) -> Shipment | None:
        """The latest shipment (the only one, for an order shipped whole)."""
        return self.shipments[-1] if self.shipments else None

    def shipment_numbered(self, number: int | None) -> Shipment | None:
        if number is None:
            return self.shipment
        return next((s for s in self.shipments if s.number == number), None)

    def part_for(self, department: str) -> Part | None:
        return next((p for p in self.parts if p.department == department), None)

    def lead_days(self, parts: list[Part]) -> int:
        """The business days the slowest of these parts' lines takes: a part held for the deposit is ready this long
        after the deposit arrives."""
        return max((self.lines[ref.line].lead_time_days for part in parts for ref in part.lines), default=0)


class OrderSnapshot(BaseModel):
    """What the workflow hands the read model: the current view and the timeline events since the last save."""

    view: OrderView
    events: list[TimelineEvent] = Field(default_factory=list)
