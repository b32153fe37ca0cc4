"""The order form as a web page: the same `OrderForm` and the same validator as the API, as HTML form fields.

Field names: `customer.name`, `shipping_address.city`, `notes`, and one slot per product line with
`line-<n>-sku`, `line-<n>-quantity` and `line-<n>-<option>`. A slot whose quantity is blank or 0 is not ordered.
Problems come back keyed by the field name they belong next to, and every entered value is kept.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.datastructures import FormData

from models.catalog import Catalog, FormField, Product
from models.i18n import LANGUAGES, N_, translate
from models.order import Channel, FieldProblem, OrderForm
from models.form_check import check_form
from models.settings import Settings
from models.validation import MAX_QUANTITY, validate_form

from .pages import CSRF_FIELD

MAX_SLOTS = 100
CUSTOMER_FIELDS = (("customer.name", N_("Full name"), True, "text"), ("customer.email", N_("Email"), True, "email"),
                   ("customer.phone", N_("Phone"), False, "tel"))
ADDRESS_FIELDS = (("shipping_address.line1", N_("Street address"), True, "text"),
                  ("shipping_address.line2", N_("Apartment, suite (optional)"), False, "text"),
                  ("shipping_address.city", N_("City"), True, "text"),
                  ("shipping_address.region", N_("State / region"), False, "text"),
                  ("shipping_address.postal_code", N_("Postal code"), True, "text"),
                  ("shipping_address.country", N_("Country (two-letter code)"), True, "text"))
SLOT_NAME = re.compile(r"^line-(\d{1,3})-sku$")
LINE_PATH = re.compile(r"^lines\[(\d+)\](?:\.(sku|quantity|options\.(.+)))?$")


@dataclass
class LineSlot:
    n: int
    sku: str
    product: Product | None
    fields: list[FormField]


@dataclass
class FormPage:
    """What the form template needs: the product slots, the values to show and the problems next to fields."""

    slots: list[LineSlot]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def customer_fields(self):  # noqa: ANN201
        return CUSTOMER_FIELDS

    @property
    def address_fields(self):  # noqa: ANN201
        return ADDRESS_FIELDS


def slot_for(catalog: Catalog, n: int, sku: str) -> LineSlot:
    product = catalog.product(sku)
    fields = catalog.product_type(product.product_type).fields if product else []
    return LineSlot(n=n, sku=sku, product=product, fields=fields)


def blank_page(catalog: Catalog, country: str = "US") -> FormPage:
    """A new order: one slot per product in the catalog, none ordered yet."""
    return FormPage(slots=[slot_for(catalog, n, p.sku) for n, p in enumerate(catalog.products)],
                    values={"shipping_address.country": country})


def correction_page(form: OrderForm, catalog: Catalog) -> FormPage:
    """A confirmed order to correct: every product of the catalog offered (a line can be added), the order's own
    lines, customer and address filled in as they stand."""
    page = blank_page(catalog)
    filled = page_for(form, [], catalog)
    page.values.update({k: v for k, v in filled.values.items() if not k.startswith("line-")})
    slot_of = {slot.sku: slot.n for slot in page.slots}
    for n, line in enumerate(form.lines):
        if (slot := slot_of.get(line.sku)) is not None:
            page.values.update({k.replace(f"line-{n}-", f"line-{slot}-", 1): v for k, v in filled.values.items()
                                if k.startswith(f"line-{n}-")})
    return page


def page_for(form: OrderForm, problems: list[FieldProblem], catalog: Catalog) -> FormPage:
    """An order already submitted, pre-filled, with its problems next to the fields (the completion page)."""
    page = FormPage(slots=[slot_for(catalog, n, line.sku) for n, line in enumerate(form.lines)])
    for name, *_ in CUSTOMER_FIELDS + ADDRESS_FIELDS:
        part, attr = name.split(".")
        page.values[name] = str(getattr(getattr(form, part), attr))
    page.values["notes"] = form.notes
    if form.language:
        page.values["language"] = form.language
    for n, line in enumerate(form.lines):
        page.values[f"line-{n}-quantity"] = str(line.quantity)
        page.values.update({f"line-{n}-{k}": _shown(v) for k, v in line.options.items()})
    page.errors = errors_by_field(problems, list(range(len(form.lines))))
    return page


def read_post(data: FormData, catalog: Catalog, channel: Channel, settings: Settings | None = None,
              staff: bool = False) -> tuple[OrderForm | None, FormPage]:
    """The posted form as an `OrderForm` when it is complete and valid; otherwise None and the page to show again.

    With the settings, the whole check an order gets (`models.form_check`: date options within their bounds too).
    `staff`: the problems in the company's language (the staff console), whatever the customer's."""
    values = {k: v.strip() for k, v in data.items() if isinstance(v, str) and k != CSRF_FIELD}
    slots = sorted((slot_for(catalog, int(m.group(1)), values[k]) for k in values if (m := SLOT_NAME.match(k))),
                   key=lambda s: s.n)[:MAX_SLOTS]
    page = FormPage(slots=slots, values=values)
    language = values.get("language") if values.get("language") in LANGUAGES else None
    form_language = language or (settings.company_language if settings else "en")
    lang = settings.company_language if staff and settings else form_language  # the problems' words
    lines, slot_of_line = [], []
    for slot in slots:
        quantity = values.get(f"line-{slot.n}-quantity", "")
        if quantity in ("", "0"):
            continue
        if not re.fullmatch(r"-?\d+", quantity):
            page.errors[f"line-{slot.n}-quantity"] = translate(lang, "Enter the quantity as a whole number")
            continue
        if len(quantity) > 6:
            page.errors[f"line-{slot.n}-quantity"] = translate(lang, "Quantity must be between 1 and %(max)s",
                                                             max=MAX_QUANTITY)
            continue
        options = {f.name: values[f"line-{slot.n}-{f.name}"] for f in slot.fields
                   if values.get(f"line-{slot.n}-{f.name}")}
        lines.append({"sku": slot.sku, "quantity": int(quantity), "options": options})
        slot_of_line.append(slot.n)
    body = {"channel": channel.value, "lines": lines, "notes": values.get("notes", ""), "language": form_language,
            "customer": {name.split(".")[1]: values.get(name, "") for name, *_ in CUSTOMER_FIELDS},
            "shipping_address": {name.split(".")[1]: values.get(name, "") for name, *_ in ADDRESS_FIELDS}}
    try:
        form = OrderForm.model_validate(body)
    except ValidationError as e:
        problems = [FieldProblem(field=_path(err["loc"]), message=field_message(err, lang)) for err in e.errors()]
        page.errors.update(errors_by_field(problems, slot_of_line))
        return None, page
    if page.errors:
        return None, page
    checked = form.model_copy(update={"language": lang}) if staff else form
    check = (validate_form(checked, catalog) if settings is None else check_form(
        checked, catalog, datetime.now(timezone.utc), settings.company_timezone, settings.company_holidays_country))
    page.errors.update(errors_by_field(check.problems, slot_of_line))
    return (None if check.problems else form), page


# What the pydantic types of the form refuse, as the customer reads it in another language than English (English
# keeps pydantic's and `models.inputs`' own words).
FIELD_MESSAGES = {
    "string_too_long": N_("must be at most %(max_length)s characters"),
    "control_characters": N_("contains control characters (line breaks, tabs or escapes); use one line of text"),
    "blank": N_("must not be blank"),
    "format_characters": N_("contains an invisible, direction-changing or non-text character (U+%(code)s); use "
                            "plain text"),
}


def field_message(error: dict, language: str) -> str:
    message = FIELD_MESSAGES.get(error["type"])
    if language == "en" or message is None:
        return error["msg"]
    return translate(language, message, **(error.get("ctx") or {}))


def errors_by_field(problems: list[FieldProblem], slot_of_line: list[int]) -> dict[str, str]:
    """Each problem keyed by the name of the form field it belongs next to."""
    errors: dict[str, str] = {}
    for p in problems:
        name = p.field
        if m := LINE_PATH.match(p.field):
            index, part, option = int(m.group(1)), m.group(2), m.group(3)
            slot = slot_of_line[index] if index < len(slot_of_line) else index
            name = (f"line-{slot}-{option}" if option else f"line-{slot}-quantity" if part else f"line-{slot}")
        message = p.message[:1].upper() + p.message[1:]
        errors[name] = f"{errors[name]}; {message}" if name in errors else message
    return errors


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
