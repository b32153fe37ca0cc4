"""The one form validator: checks an order form against the catalog's standardized fields.

Pure and deterministic: the same function serves the workflow (through an activity), the CLI and the web.
Every problem names the field it is about, so an incomplete form can be sent back saying exactly what to fix.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .catalog import Catalog, FieldType, FormField
from .i18n import DEFAULT_LANGUAGE, N_, translate
from .inputs import has_control_characters
from .order import FieldProblem, FormCheck, OrderForm, PricedLine

MAX_QUANTITY = 99
REQUIRED_CUSTOMER = {"name": N_("your name"), "email": N_("an email address we can write to")}
REQUIRED_ADDRESS = {"line1": N_("the street address"), "city": N_("the city"), "postal_code": N_("the postal code"),
                    "country": N_("the country (two-letter code, e.g. US)")}
EXCERPT = 40  # characters of a refused value an error message shows back


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A refused value as an error shows it: its repr, cut to `limit` characters with an ellipsis (a 1.5 MB option
    value must not come back whole, twice, in the 422)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def field_path(*parts: str) -> str:
    """A field's dotted path, each part cut to `EXCERPT` characters (a made-up option *name* is the caller's value
    too)."""
    return ".".join(p if len(p) <= EXCERPT else p[:EXCERPT - 1] + "…" for p in parts)


@dataclass(frozen=True)
class OrderDates:
    """The dates a date option's bounds are relative to (`models.catalog.DateBounds`)."""

    order_date: date
    expected_fulfillment_date: date

    def problem(self, f: FormField, day: date, language: str = DEFAULT_LANGUAGE) -> str | None:
        bounds = f.bounds
        earliest = getattr(self, bounds.earliest)
        latest = self.order_date + timedelta(days=bounds.latest_days)
        said = dict(label=f.label_in(language), bounds=bounds.describe(language))
        if day < earliest:
            return translate(language, "%(label)s must be on or after %(date)s (%(bounds)s)", date=earliest.isoformat(),
                           **said)
        if day > latest:
            return translate(language, "%(label)s must be on or before %(date)s (%(bounds)s)", date=latest.isoformat(),
                           **said)
        return None


def validate_form(form: OrderForm, catalog: Catalog, dates: OrderDates | None = None) -> FormCheck:
    """Check `form` against the catalog. With the order's `dates`, date options are also held to their bounds
    (`models.form_check.check_form` gives them; without, only that they are dates).

    The problems are written in the form's language (the customer reads them); the priced lines keep the catalog's
    default names, and each message shows them in its reader's language."""
    lang = form.language or DEFAULT_LANGUAGE
    problems: list[FieldProblem] = []
    problems += _check_customer(form, lang)
    problems += _check_address(form, lang)
    lines: list[PricedLine] = []
    if not form.lines:
        problems.append(FieldProblem(field="lines", kind="missing", message=translate(
            lang, "the order has no products; add at least one line")))
    seen: dict[tuple, int] = {}
    for i, line in enumerate(form.lines):
        where = f"lines[{i}]"
        product = catalog.product(line.sku)
        if product is None:
            problems.append(FieldProblem(field=f"{where}.sku", message=translate(
                lang, "unknown product %(sku)s; products: %(skus)s", sku=excerpt(line.sku),
                skus=", ".join(p.sku for p in catalog.products))))
            continue
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append(FieldProblem(field=f"{where}.quantity", message=translate(
                lang, "quantity must be between 1 and %(max)s", max=MAX_QUANTITY)))
        ptype = catalog.product_type(product.product_type)
        line_problems = _check_options(where, line.options, ptype.fields, dates, lang)
        problems += line_problems
        signature = (line.sku, tuple(sorted((k, str(v)) for k, v in line.options.items())))
        if signature in seen:
            problems.append(FieldProblem(field=where, message=translate(
                lang, "same product and options as lines[%(index)s]; change that line's quantity instead",
                index=seen[signature])))
        seen.setdefault(signature, i)
        if not line_problems:
            lines.append(PricedLine(
                sku=product.sku, name=product.name, quantity=line.quantity,
                options=_normalized(line.options, ptype.fields),
                option_labels={f.name: f.label for f in ptype.fields},
                unit_price=product.unit_price, lead_time_days=product.lead_time_days,
                fulfiller=product.fulfiller, product_type=product.product_type))
    makers = {p.made_by: catalog.manufacturer(p.made_by).name for p in catalog.products if p.made_by}
    if problems:
        return FormCheck(problems=[_labelled(p, form, catalog, lang) for p in problems], currency=catalog.currency)
    return FormCheck(lines=lines, currency=catalog.currency,
                     manufacturers={k: v for k, v in makers.items() if any(l.fulfiller == k for l in lines)})


def invalid_values(form: OrderForm, catalog: Catalog) -> list[FieldProblem]:
    """The problems that are wrong values rather than missing ones (unknown products, bad choices, bad emails...).

    A caller sending these has a bug to fix, not a customer to ask: the API and CLI refuse such a form outright.
    """
    return [p for p in validate_form(form, catalog).problems if p.kind == "invalid"]


def _labelled(problem: FieldProblem, form: OrderForm, catalog: Catalog, lang: str) -> FieldProblem:
    """Say where a problem is in the customer's words: `Line 1 (Three-seat sofa)`, `Delivery address`, `You`.

    Also says whether the problem is a missing value (`missing`) or one that cannot be accepted (`invalid`).
    """
    head = problem.field.split(".")[0]
    if head.startswith("lines["):
        index = int(head[len("lines["):-1])
        product = catalog.product(form.lines[index].sku)
        label = (translate(lang, "Line %(n)s (%(product)s)", n=index + 1, product=product.name_in(lang)) if product
                 else translate(lang, "Line %(n)s", n=index + 1))
    else:
        label = {"customer": N_("Your details"), "shipping_address": N_("Delivery address"),
                 "lines": N_("Products")}.get(head, head)
        label = translate(lang, label)
    missing = problem.kind == "missing" or problem.field == "lines" or problem.message.startswith("missing:")
    return problem.model_copy(update={"label": label, "kind": "missing" if missing else "invalid"})


def _missing(lang: str, what: str) -> str:
    return translate(lang, "missing: %(what)s", what=what)


def _check_customer(form: OrderForm, lang: str) -> list[FieldProblem]:
    problems = [FieldProblem(field=f"customer.{name}", kind="missing", message=_missing(lang, translate(lang, what)))
                for name, what in REQUIRED_CUSTOMER.items() if not getattr(form.customer, name).strip()]
    if form.customer.email.strip() and (problem := email_problem(form.customer.email, lang)):
        problems.append(FieldProblem(field="customer.email", message=problem))
    return problems  # control characters never get this far: the form's fields are `models.inputs` types


def email_problem(address: str, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """Why Orderly cannot write to `address` (None when it can). The part before the @ must be ASCII: an
    internationalized mailbox needs SMTPUTF8 end to end, which Orderly does not promise, so it is refused here, with
    a clear message, instead of being mangled on the way out. A domain may be internationalized (sent in its IDNA
    form), but not one that mixes alphabets, as `аpple.com` with a Cyrillic а does."""
    local, _, domain = address.strip().rpartition("@")
    if not local.isascii():
        return translate(lang, "use an address whose part before the @ has only plain letters (a-z), digits and "
                               ". _ - +: we cannot send email to %(email)s", email=excerpt(address))
    if any(len(_scripts(label)) > 1 for label in domain.split(".")):
        return translate(lang, "the domain of %(email)s mixes alphabets (such as Latin and Cyrillic letters that "
                               "look alike); please check the address", email=excerpt(address))
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        return translate(lang, "not a valid email address: %(error)s", error=e)
    return None


def _scripts(label: str) -> set[str]:
    """The alphabets a domain label's letters come from (the first word of each letter's Unicode name)."""
    return {unicodedata.name(ch, "?").split()[0] for ch in label if ch.isalpha()}


def mailbox(address: str) -> str:
    """The mailbox an address reaches, for counting posts per mailbox: lower case, the `+tag` dropped and the
    domain in its IDNA (ASCII) form, so `Victim+7@Bücher.example` and `victim@xn--bcher-kva.example` count as one."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a domain IDNA can encode: counted as written
    return f"{local}@{domain}"


def _check_address(form: OrderForm, lang: str) -> list[FieldProblem]:
    address = form.shipping_address
    problems = [FieldProblem(field=f"shipping_address.{name}", kind="missing",
                             message=_missing(lang, translate(lang, what)))
                for name, what in REQUIRED_ADDRESS.items() if not getattr(address, name).strip()]
    if address.country and not (len(address.country) == 2 and address.country.isalpha()):
        problems.append(FieldProblem(field="shipping_address.country",
                                     message=translate(lang, "use the two-letter country code, e.g. US")))
    return problems


def _check_options(where: str, options: dict[str, Any], fields: list[FormField], dates: OrderDates | None,
                   lang: str = DEFAULT_LANGUAGE) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    known = {f.name for f in fields}
    for name in options:
        if name not in known:
            problems.append(FieldProblem(field=field_path(f"{where}.options", name), message=translate(
                lang, "not an option of this product (options: %(options)s)", options=", ".join(sorted(known)))))
    for f in fields:
        path = f"{where}.options.{f.name}"
        value = options.get(f.name)
        if value is None or value == "":
            if f.required:
                problems.append(FieldProblem(field=path, kind="missing", message=_missing(
                    lang, f.label_in(lang) + _choices_hint(f, lang))))
            elif f.required_when and f.required_when.applies(options):
                other = next((o for o in fields if o.name == f.required_when.field), None)
                when = f.required_when.describe(lang, other.label_in(lang) if other and lang != DEFAULT_LANGUAGE
                                                else None)
                problems.append(FieldProblem(field=path, kind="missing", message=_missing(lang, translate(
                    lang, "%(label)s is required %(when)s", label=f.label_in(lang), when=when) + _choices_hint(f, lang))))
            continue
        message = _check_value(f, value, dates, lang)
        if message:
            problems.append(FieldProblem(field=path, message=message))
    return problems


def _choices_hint(f: FormField, lang: str = DEFAULT_LANGUAGE) -> str:
    if not f.choices:
        return ""
    return translate(lang, " (one of: %(choices)s)", choices=", ".join(f.choice_label(c, lang) for c in f.choices))


def _check_value(f: FormField, value: Any, dates: OrderDates | None, lang: str = DEFAULT_LANGUAGE) -> str | None:
    def say(message: str, **values: Any) -> str:
        return translate(lang, message, label=f.label_in(lang), **values)
    if f.type is FieldType.choice:
        if value not in f.choices:
            return say(N_("%(value)s is not available; choose one of: %(choices)s"), value=excerpt(value),
                       choices=", ".join(f.choice_label(c, lang) for c in f.choices))
    elif f.type is FieldType.number:
        number = _as_number(value)
        if number is None:
            return say(N_("%(label)s must be a number"))
        if f.min is not None and number < f.min:
            return say(N_("%(label)s must be at least %(min)s"), min=f"{f.min:g}")
        if f.max is not None and number > f.max:
            return say(N_("%(label)s must be at most %(max)s"), max=f"{f.max:g}")
    elif f.type is FieldType.boolean:
        if _as_bool(value) is None:
            return say(N_("%(label)s must be yes or no"))
    elif f.type is FieldType.date:
        day = _as_date(value)
        if day is None:
            return say(N_("%(label)s must be a date like 2026-12-31"))
        if dates is not None and f.bounds is not None:
            return dates.problem(f, day, lang)
    elif f.type is FieldType.text:
        if not isinstance(value, str):
            return say(N_("%(label)s must be text"))
        if f.max_length is not None and len(value) > f.max_length:
            return say(N_("%(label)s must be at most %(max)s characters"), max=f.max_length)
        if has_control_characters(value):  # a text option is one line, as the name fields are
            return say(N_("%(label)s contains control characters"))
    return None


def _normalized(options: dict[str, Any], fields: list[FormField]) -> dict[str, Any]:
    """Options in their field's type (form posts send strings), in the catalog's field order, blanks dropped."""
    out: dict[str, Any] = {}
    for f in fields:
        value = options.get(f.name)
        if value is None or value == "":
            continue
        if f.type is FieldType.number:
            number = _as_number(value)
            value = int(number) if number == int(number) else number
        elif f.type is FieldType.boolean:
            value = _as_bool(value)
        elif f.type is FieldType.date:
            value = _as_date(value).isoformat()
        out[f.name] = value
    return out


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "yes": True, "on": True, "1": True,
            "false": False, "no": False, "off": False, "0": False}.get(str(value).strip().lower())


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


