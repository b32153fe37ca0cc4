"""Properties of the one form validator (hypothesis): whatever arrives, it answers with problems that name real
fields, never raises, and accepts exactly the forms the catalog allows."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.catalog import FieldType, FormField, load_catalog
from models.inputs import CONTROL
from models.order import FormCompletion, OrderForm
from models.validation import MAX_QUANTITY, validate_form
from starter.actions import ACTIONS

CATALOG = load_catalog()
SKUS = [p.sku for p in CATALOG.products]
PROBLEM_PATH = re.compile(r"^(customer\.(name|email|phone)|shipping_address\.(line1|city|postal_code|country)|lines"
                          r"|lines\[(\d+)\](\.sku|\.quantity|\.options\.[^.]+)?)$")
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# one line of text: no control characters, no line or paragraph separator (U+2028, U+2029), which the forms refuse
# as line breaks, and no format or unassigned characters (soft hyphen, direction marks), refused as invisible
# (`models.inputs.one_line`)
PLAIN = ("Cs", "Cc", "Cf", "Cn", "Co", "Zl", "Zp")
plain = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=PLAIN),
                min_size=1, max_size=30).filter(lambda s: s.strip() != "")
anything = st.one_of(st.text(max_size=40), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.booleans(),
                     st.none(), st.lists(st.integers(), max_size=2))


def fields_of(sku: str) -> list[FormField]:
    return CATALOG.product_type(CATALOG.product(sku).product_type).fields


def valid_value(f: FormField) -> st.SearchStrategy:
    if f.type is FieldType.choice:
        return st.sampled_from(f.choices)
    if f.type is FieldType.number:
        return st.integers(int(f.min if f.min is not None else 0), int(f.max if f.max is not None else 10_000))
    if f.type is FieldType.boolean:
        return st.booleans()
    if f.type is FieldType.date:
        return st.dates(date(2026, 1, 1), date(2030, 12, 31)).map(date.isoformat)
    return plain.map(lambda s: s[: f.max_length or 30])


@st.composite
def valid_line(draw, sku: str) -> dict:
    options = {}
    for f in fields_of(sku):
        if f.required or draw(st.booleans()):
            options[f.name] = draw(valid_value(f))
    for f in fields_of(sku):  # a choice may make another field required (leather needs a grade)
        if f.name not in options and f.required_when and f.required_when.applies(options):
            options[f.name] = draw(valid_value(f))
    return {"sku": sku, "quantity": draw(st.integers(1, MAX_QUANTITY)), "options": options}


@st.composite
def valid_form(draw) -> OrderForm:
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=len(SKUS), unique=True))
    local = draw(st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True))
    return OrderForm.model_validate({
        "customer": {"name": draw(plain), "email": f"{local}@example.com", "phone": "+1 555 0100"},
        "shipping_address": {"line1": draw(plain), "city": draw(plain), "postal_code": "62704",
                             "country": draw(st.sampled_from(["US", "CA", "GB", "de"]))},
        "lines": [draw(valid_line(sku)) for sku in skus]})


def typed(size: int) -> st.SearchStrategy:
    """Text as people type it, hostile included; mostly without control characters, which the form's types refuse
    outright (test_single_line_fields_refuse_control_characters), so that most forms reach the validator."""
    printable = st.characters(exclude_categories=PLAIN)
    return st.one_of(st.text(printable, max_size=size), st.text(printable, max_size=size), st.text(max_size=size))


@st.composite
def any_form(draw) -> OrderForm:
    """Anything a caller could send that is well-formed JSON for the form: hostile strings, wrong types in options,
    unknown products, absurd quantities."""
    line = st.fixed_dictionaries({
        "sku": st.one_of(st.sampled_from(SKUS), st.text(max_size=10)),
        "quantity": st.integers(-10**9, 10**9),
        "options": st.dictionaries(st.one_of(st.sampled_from(["fabric", "color", "finish", "length_cm", "wood",
                                                               "height_cm", "leather_grade", "engraving"]),
                                             st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True)),
                                   anything, max_size=5)})
    body = {"customer": {"name": draw(typed(60)), "email": draw(typed(60)), "phone": draw(typed(20))},
            "shipping_address": {k: draw(typed(30)) for k in ("line1", "city", "postal_code", "country")},
            "lines": draw(st.lists(line, max_size=4)), "notes": draw(typed(100))}
    try:
        return OrderForm.model_validate(body)
    except ValidationError:
        assume(False)


@CHECKS
@given(any_form())
def test_any_form_gets_an_answer_whose_problems_name_real_fields(form):
    check = validate_form(form, CATALOG)
    assert check.complete == (not check.problems)
    for p in check.problems:
        m = PROBLEM_PATH.match(p.field)
        assert m, f"problem names no field of the form: {p.field}"
        if m.group(4) is not None:
            assert int(m.group(4)) < len(form.lines)
        assert p.kind in ("missing", "invalid") and p.message and p.label
    assert validate_form(form, CATALOG) == check, "the same form always gets the same answer"


@settings(CHECKS, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.one_of(valid_form(), any_form()))
def test_an_accepted_form_only_holds_what_the_catalog_offers(form):
    check = validate_form(form, CATALOG)
    assume(check.complete)
    assert len(check.lines) == len(form.lines)
    for line in check.lines:
        assert line.sku in SKUS and 1 <= line.quantity <= MAX_QUANTITY
        names = {f.name for f in fields_of(line.sku)}
        assert set(line.options) <= names
        assert all(f.name in line.options for f in fields_of(line.sku) if f.required)


@CHECKS
@given(valid_form())
def test_every_form_the_catalog_allows_is_accepted_and_priced(form):
    check = validate_form(form, CATALOG)
    assert check.problems == []
    assert [l.sku for l in check.lines] == [l.sku for l in form.lines]
    for line, priced in zip(form.lines, check.lines):
        assert priced.unit_price == CATALOG.product(line.sku).unit_price and priced.quantity == line.quantity


@CHECKS
@given(valid_form(), st.data())
def test_leaving_out_a_required_option_is_reported_as_missing_on_that_field(form, data):
    i = data.draw(st.integers(0, len(form.lines) - 1))
    required = [f.name for f in fields_of(form.lines[i].sku) if f.required]
    assume(required)
    name = data.draw(st.sampled_from(required))
    options = {k: v for k, v in form.lines[i].options.items() if k != name}
    lines = [l.model_copy(update={"options": options}) if n == i else l for n, l in enumerate(form.lines)]
    check = validate_form(form.model_copy(update={"lines": lines}), CATALOG)
    missing = [p for p in check.problems if p.field == f"lines[{i}].options.{name}"]
    assert len(missing) == 1 and missing[0].kind == "missing"


@CHECKS
@given(valid_form(), st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,9}", fullmatch=True), anything)
def test_an_option_the_product_does_not_have_is_refused_as_invalid(form, name, value):
    assume(name not in {f.name for f in fields_of(form.lines[0].sku)})
    line = form.lines[0].model_copy(update={"options": {**form.lines[0].options, name: value}})
    check = validate_form(form.model_copy(update={"lines": [line, *form.lines[1:]]}), CATALOG)
    assert [p.kind for p in check.problems if p.field == f"lines[0].options.{name}"] == ["invalid"]


ACTION_INPUTS = [a.input for a in ACTIONS.values() if a.input is not None and a.input is not FormCompletion]
json_value = st.one_of(anything, st.sampled_from(["  ", "\t", "UPS\r\n", "1Z\x00", 0, 1.0, True, "2026-12-31",
                                                  "https://t.example/1"]))


@CHECKS
@given(st.sampled_from(ACTION_INPUTS).flatmap(lambda model: st.tuples(st.just(model), st.fixed_dictionaries(
    {}, optional={name: json_value for name in model.model_fields}))))
def test_an_accepted_action_input_holds_what_its_types_promise(case):
    """Every staff and customer action's input: text accepted is stripped and free of control characters (and not
    blank where required), numbers are ints (never a bool), dates are dates (never a number read as 1970)."""
    model, values = case
    try:
        arg = model.model_validate(values)
    except ValidationError:
        return
    for name, info in model.model_fields.items():
        value = getattr(arg, name)
        if isinstance(value, str):
            assert value == value.strip() and not CONTROL.search(re.sub(r"[\n\r\t]", "", value)), value
            if info.is_required():
                assert value, name
        if info.annotation is int:
            assert type(value) is int, (name, value)
        if isinstance(value, date):
            assert values[name] != 0, (name, values[name])
