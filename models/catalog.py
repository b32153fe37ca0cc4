"""The product catalog: product types with their standardized order-form fields, and who makes each product."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .i18n import DEFAULT_LANGUAGE, N_, translate

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

    def describe(self, language: str = DEFAULT_LANGUAGE, label: str | None = None) -> str:
        """"when fabric is leather"; with the other field's `label`, in its words ("kapag Tela ay leather")."""
        field = label or self.field
        if self.values is None:
            return translate(language, "when %(field)s is given", field=field)
        return translate(language, "when %(field)s is %(values)s", field=field,
                       values=translate(language, " or ").join(str(v) for v in self.values))

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

    def describe(self, language: str = DEFAULT_LANGUAGE) -> str:
        earliest = translate(language, N_("the order date") if self.earliest == "order_date"
                             else N_("the expected fulfillment date"))
        return translate(language, "between %(earliest)s and %(days)s days after the order date", earliest=earliest,
                       days=self.latest_days)


def translated(default: str, translations: dict[str, str], language: str) -> str:
    """The catalog's text in `language`; a missing translation falls back to the default language's text."""
    return translations.get(language) or default


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
    labels: dict[str, str] = Field(default_factory=dict, description="language -> label, e.g. {\"fil\": \"Tela\"}")
    helps: dict[str, str] = Field(default_factory=dict, description="language -> help")
    choice_labels: dict[str, dict[str, str]] = Field(default_factory=dict, description=(
        "language -> choice -> what the customer reads; a choice without one is shown as it is"))

    def label_in(self, language: str) -> str:
        return translated(self.label, self.labels, language)

    def help_in(self, language: str) -> str:
        return translated(self.help, self.helps, language)

    def choice_label(self, choice: object, language: str) -> str:
        return self.choice_labels.get(language, {}).get(str(choice)) or str(choice)

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
    labels: dict[str, str] = Field(default_factory=dict, description="language -> label")

    def label_in(self, language: str) -> str:
        return translated(self.label, self.labels, language)

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
    names: dict[str, str] = Field(default_factory=dict, description="language -> product name")

    def name_in(self, language: str) -> str:
        return translated(self.name, self.names, language)

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

    def fields_of(self, sku: str) -> list[FormField]:
        product = self.product(sku)
        return self.product_type(product.product_type).fields if product else []

    def localized_line(self, line: Any, language: str) -> Any:
        """A priced order line (`models.order.PricedLine`) as `language` reads it: the product's name, its options'
        labels and its choices in that language (each falling back to the catalog's default text)."""
        product, fields = self.product(line.sku), {f.name: f for f in self.fields_of(line.sku)}
        if product is None or language == DEFAULT_LANGUAGE:  # the line was priced in the default language
            return line
        options = {k: fields[k].choice_label(v, language) if k in fields and fields[k].choices else v
                   for k, v in line.options.items()}
        labels = {k: fields[k].label_in(language) if k in fields else label for k, label in line.option_labels.items()}
        return line.model_copy(update={"name": product.name_in(language), "option_labels": labels, "options": options})


@lru_cache(maxsize=8)
def load_catalog(path: str | Path = DEFAULT_CATALOG) -> Catalog:
    """Load and check a catalog data file (JSON). Cached: the catalog is read once per process."""
    return Catalog.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
