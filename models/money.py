"""The order's money: payments received, refunds made, and what follows from them (paid, balance due, refund due).

Amounts are `Decimal` end to end: typed as text (`"12500.00"`) or as a JSON number (read by its digits, never
through binary floating point), at most two decimal places, positive. What an order owes is its total, or nothing
once it is cancelled; what the customer has put in is what they paid less what was refunded to them. The difference
is either a balance due (they owe) or a refund due (we owe: a cancellation after a payment, a correction that
lowered the total).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .inputs import Input, OptionalDate, RequiredLine, SingleLine

ZERO = Decimal("0.00")


class PaymentMethod(str, Enum):
    bank_transfer = "bank_transfer"
    card = "card"
    cash = "cash"
    e_wallet = "e_wallet"
    other = "other"


def decimal_amount(value: Any) -> Any:
    """An amount as a Decimal from its digits: text or a whole number as given, a JSON number by its shortest
    representation (`12500.1` is 12500.1, never 12500.100000000000364...); anything else is not an amount."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "must be an amount such as 12500.00")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise PydanticCustomError("decimal_parsing", "must be an amount such as 12500.00, not '{value}'",
                                      {"value": value[:40]}) from None
        if not number.is_finite():
            raise PydanticCustomError("decimal_parsing", "must be an amount such as 12500.00")
        return number
    return value


Amount = Annotated[Decimal, BeforeValidator(decimal_amount)]


class MoneyIn(Input):
    """What accounts receivable records: a payment received, or a refund made."""

    amount: Amount = Field(gt=0, max_digits=14, decimal_places=2, title="Amount",
                           description="the amount, e.g. 12500.00 (at most two decimals)")
    currency: SingleLine = Field(default="", max_length=3, title="Currency",
                                 description="ISO 4217 code; empty: the order's currency (another is refused)")
    method: PaymentMethod = Field(default=PaymentMethod.bank_transfer, title="Method",
                                  description="bank_transfer, card, cash, e_wallet or other")
    reference: RequiredLine = Field(min_length=1, max_length=64, title="Reference",
                                    description="the bank's, card's or e-wallet's reference (each is recorded once)")
    received: OptionalDate = Field(default=None, title="Date", description="YYYY-MM-DD; empty: today")


class Payment(MoneyIn):
    """A payment received from the customer (`record_payment`)."""


class Refund(MoneyIn):
    """A refund paid back to the customer, against a refund due (`record_refund`)."""

    received: OptionalDate = Field(default=None, title="Date", description="the day it was paid out, YYYY-MM-DD; "
                                                                           "empty: today")


class MoneyRecord(BaseModel):
    """A payment or refund as the order keeps it."""

    number: int
    amount: Decimal
    currency: str
    method: PaymentMethod
    reference: str
    received: date
    recorded_by: str = ""
    recorded_at: datetime


def total_of(records: list[MoneyRecord]) -> Decimal:
    return sum((r.amount for r in records), ZERO)


def balances(owed: Decimal, paid: Decimal, refunded: Decimal) -> tuple[Decimal, Decimal]:
    """(balance due, refund due) of an order that owes `owed`: one of them is zero."""
    net = paid - refunded
    return max(owed - net, ZERO), max(net - owed, ZERO)


METHOD_LABELS = MappingProxyType({PaymentMethod.bank_transfer: "bank transfer", PaymentMethod.card: "card",
                                   PaymentMethod.cash: "cash", PaymentMethod.e_wallet: "e-wallet",
                                   PaymentMethod.other: "other"})  # read-only: the workflow's modules share it


def amount_text(amount: Decimal, currency: str) -> str:
    """For staff and the timeline: `12,500.00 PHP`."""
    return f"{amount:,.2f} {currency}"
