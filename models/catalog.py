"""The product catalog: product types with their standardized order-form fields, and who makes each product."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

WAREHOUSE = "warehouse"
ACCOUNTS_RECEIVABLE = "accounts-receivable"
CUSTOMER_SERVICE = "customer-service"
DEFAULT_CATALOG = Path(__file__).parent / "data" / "furniture.json"


class FieldType(str, Enum):
    text = "text"
    choice = "choice"
    number = "number"
    boolean = "boolean"
    date = "date"


class RequiredWhen(BaseModel):
    """The field becomes required when `field` has a value (any value, or one of `values` when given)."""

    field: str
    values: list[Any] | None = None

    def describe(self) -> str:
        if self.values is None:
            return f"when {self.field} is given"
        return f"when {self.field} is " + " or ".join(str(v) for v in self.values)

    def applies(self, options: dict[str, Any]) -> bool:
        value = options.get(self.field)
        if value in (None, ""):
            return False
        return self.values is None or value in self.values


class DateBounds(BaseModel):
    """Where a date option may fall, relative to the order it is part of."""

    earliest: Literal["order_date", "expected_fulfillment_date"] = Field(default="order_date", description=(
        "not before the day the order is placed, or not before the date its lead times give"))
    latest_days: int = Field(default=365, ge=0, description="at most this many days after the order date")
    defers_fulfillment: bool = Field(default=False, description=(
        "the order is not fulfilled before this date: its expected fulfillment date is at least this date"))

    def describe(self) -> str:
        earliest = "the order date" if self.earliest == "order_date" else "the expected fulfillment date"
        return f"between {earliest} and {self.latest_days} days after the order date"


class FormField(BaseModel):
    name: str
    label: str
    type: FieldType = FieldType.text
    required: bool = False
    required_when: RequiredWhen | None = None
    choices: list[str] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    bounds: DateBounds | None = Field(default=None, description="date fields: where the date may fall")
    help: str = ""

    @model_validator(mode="after")
    def _choices_for_choice_fields(self) -> "FormField":
        if self.type is FieldType.choice and not self.choices:
            raise ValueError(f"field {self.name!r} is a choice field without choices")
        if self.bounds is not None and self.type is not FieldType.date:
            raise ValueError(f"field {self.name!r} has date bounds but is not a date field")
        return self


class ProductType(BaseModel):
    name: str
    label: str
    fields: list[FormField] = Field(default_factory=list)

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


class Manufacturer(BaseModel):
    """A third party that builds products to order. Its address can be overridden in settings."""

    id: str
    name: str
    email: str


class Product(BaseModel):
    sku: str
    name: str
    product_type: str
    unit_price: Decimal
    lead_time_days: int = Field(ge=0, description="business days from order to ready-to-ship")
    made_by: str | None = Field(default=None, description="manufacturer id; None means the in-house warehouse")

    @property
    def fulfiller(self) -> str:
        return self.made_by or WAREHOUSE


class Catalog(BaseModel):
    currency: str = "USD"
    product_types: list[ProductType]
    products: list[Product]
    manufacturers: list[Manufacturer] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> "Catalog":
        types = {t.name for t in self.product_types}
        makers = {m.id for m in self.manufacturers}
        for p in self.products:
            if p.product_type not in types:
                raise ValueError(f"product {p.sku} has unknown product type {p.product_type!r}")
            if p.made_by and p.made_by not in makers:
                raise ValueError(f"product {p.sku} is made by unknown manufacturer {p.made_by!r}")
        return self

    def product(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def product_type(self, name: str) -> ProductType:
        return next(t for t in self.product_types if t.name == name)

    def manufacturer(self, manufacturer_id: str) -> Manufacturer | None:
        return next((m for m in self.manufacturers if m.id == manufacturer_id), None)


@lru_cache(maxsize=8)
def load_catalog(path: str | Path = DEFAULT_CATALOG) -> Catalog:
    """Load and check a catalog data file (JSON). Cached: the catalog is read once per process."""
    return Catalog.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
