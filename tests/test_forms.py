"""The catalog, the standardized form validator, business days and the policy settings (no server needed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from models.calendar import add_business_days
from models.catalog import Catalog, FieldType, load_catalog
from models.order import OrderForm
from models.policy import Policy
from models.settings import PolicySettings
from models.validation import validate_form
from tests.conftest import sofa_form

CATALOG = load_catalog()


def problems(form: OrderForm) -> dict[str, str]:
    return {p.field: p.message for p in validate_form(form, CATALOG).problems}


def with_line(**line) -> OrderForm:
    return sofa_form(lines=[line])


def test_demo_catalog_has_the_promised_products():
    sofa = CATALOG.product_type("sofa").field("fabric")
    table = CATALOG.product_type("table").field("finish")
    assert sofa.required and sofa.type is FieldType.choice
    assert table.required and table.type is FieldType.choice
    made_to_order = [p for p in CATALOG.products if p.made_by]
    assert made_to_order and CATALOG.manufacturer(made_to_order[0].made_by).name == "Nordwood Joinery"


def test_catalog_refuses_broken_references():
    with pytest.raises(ValidationError, match="unknown manufacturer"):
        Catalog.model_validate({"product_types": [{"name": "t", "label": "T"}], "products": [
            {"sku": "X", "name": "X", "product_type": "t", "unit_price": "1", "lead_time_days": 1, "made_by": "nobody"}]})
    with pytest.raises(ValidationError, match="choice field without choices"):
        Catalog.model_validate({"product_types": [{"name": "t", "label": "T", "fields": [
            {"name": "c", "label": "C", "type": "choice"}]}], "products": []})


def test_complete_sofa_is_priced_and_normalized():
    check = validate_form(with_line(sku="SOFA-3S", quantity=2, options={
        "fabric": "linen", "color": "sand", "stain_protection": "on"}), CATALOG)
    assert check.complete
    [line] = check.lines
    assert line.options == {"fabric": "linen", "color": "sand", "stain_protection": True}
    assert line.total == Decimal("3780.00") and line.fulfiller == "warehouse"


def test_sofa_without_fabric_names_the_field_and_the_choices():
    assert problems(with_line(sku="SOFA-3S", options={"color": "olive"})) == {
        "lines[0].options.fabric": "missing: Fabric (one of: linen, velvet, leather, wool)"}


def test_table_without_finish_and_with_a_length_out_of_range():
    assert problems(with_line(sku="TABLE-OAK", options={"length_cm": 400})) == {
        "lines[0].options.finish": "missing: Finish (one of: natural oil, white oil, walnut stain, black lacquer)",
        "lines[0].options.length_cm": "Length (cm) must be at most 300"}


def test_conditional_requirements():
    leather = problems(with_line(sku="SOFA-3S", options={"fabric": "leather", "color": "sand"}))
    assert leather == {"lines[0].options.leather_grade":
                       "missing: Leather grade is required when fabric is leather (one of: standard, aniline)"}
    assert problems(with_line(sku="SOFA-3S", options={"fabric": "wool", "color": "sand"})) == {}
    engraved = problems(with_line(sku="BOOKCASE-MTM", options={"wood": "oak", "height_cm": 100, "width_cm": 50,
                                                               "engraving": "A.L."}))
    assert list(engraved) == ["lines[0].options.engraving_font"]


@pytest.mark.parametrize("options, field, message", [
    ({"wood": "pine"}, "wood", "'pine' is not available; choose one of: oak, ash, walnut"),
    ({"height_cm": "tall"}, "height_cm", "Height (cm) must be a number"),
    ({"height_cm": 10}, "height_cm", "Height (cm) must be at least 60"),
    ({"engraving": "x" * 41, "engraving_font": "sans"}, "engraving", "Engraving must be at most 40 characters"),
    ({"engraving": "bad\x00text", "engraving_font": "sans"}, "engraving", "Engraving contains control characters"),
    ({"install_by": "next tuesday"}, "install_by", "Installation not before must be a date like 2026-12-31"),
    ({"colour": "red"}, "colour", "not an option of this product"),
])
def test_each_field_rule(options, field, message):
    base = {"wood": "oak", "height_cm": 100, "width_cm": 50}
    found = problems(with_line(sku="BOOKCASE-MTM", options={**base, **options}))
    assert found[f"lines[0].options.{field}"].startswith(message)


def test_customer_address_lines_and_quantities():
    form = OrderForm.model_validate({"customer": {"name": " ", "email": "ada@"},
                                     "shipping_address": {"country": "USA"},
                                     "lines": [{"sku": "NOPE"}, {"sku": "CUSHION", "quantity": 0,
                                                                  "options": {"color": "sand"}}]})
    found = problems(form)
    assert found["customer.name"] == "missing: your name"
    assert found["customer.email"].startswith("not a valid email address")
    assert found["shipping_address.line1"] == "missing: the street address"
    assert found["shipping_address.country"] == "use the two-letter country code, e.g. US"
    assert found["lines[0].sku"].startswith("unknown product 'NOPE'; products: SOFA-3S, SOFA-2S")
    assert found["lines[1].quantity"] == "quantity must be between 1 and 99"
    assert problems(sofa_form(lines=[]))["lines"] == "the order has no products; add at least one line"


def test_duplicate_lines_are_pointed_out():
    line = {"sku": "CUSHION", "options": {"color": "sand"}}
    assert problems(sofa_form(lines=[line, line])) == {
        "lines[1]": "same product and options as lines[0]; change that line's quantity instead"}


def test_problems_are_labelled_in_the_customers_words():
    check = validate_form(sofa_form(customer={"name": "Ada", "email": ""},
                                    lines=[{"sku": "SOFA-3S", "options": {"color": "sand"}}]), CATALOG)
    assert [(p.label, p.field) for p in check.problems] == [("Your details", "customer.email"),
                                                            ("Line 1 (Three-seat sofa)", "lines[0].options.fabric")]


def test_unknown_keys_are_refused_not_dropped():
    with pytest.raises(ValidationError, match="note"):
        OrderForm.model_validate({"note": "Please call before delivery"})
    with pytest.raises(ValidationError, match="skew"):
        OrderForm.model_validate({"lines": [{"skew": "SOFA-3S"}]})


def test_malformed_forms_are_refused_before_any_order_exists():
    with pytest.raises(ValidationError, match="order_id"):
        OrderForm.model_validate({"order_id": "has spaces and / slashes"})
    with pytest.raises(ValidationError, match="channel"):
        OrderForm.model_validate({"channel": "fax"})


def test_business_days_skip_weekends_and_holidays_in_the_company_timezone():
    friday_evening_chicago = datetime(2026, 12, 18, 23, 30, tzinfo=timezone(timedelta(hours=-6)))
    # still Friday in Chicago, so counting starts Friday; already Saturday in Tokyo, so it starts Monday
    assert add_business_days(friday_evening_chicago, 4, "America/Chicago", "US") == date(2026, 12, 24)
    assert add_business_days(friday_evening_chicago, 4, "Asia/Tokyo", "") == date(2026, 12, 25)
    # Christmas Day is a US public holiday: not a business day
    assert add_business_days(friday_evening_chicago, 5, "America/Chicago", "US") == date(2026, 12, 28)
    sunday = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    assert add_business_days(sunday, 0, "America/Chicago", "US") == date(2026, 11, 30)


def test_policy_durations_in_seconds_or_iso8601(monkeypatch):
    monkeypatch.setenv("ORDERLY_FEEDBACK_DELAY", "90")
    monkeypatch.setenv("ORDERLY_COMPLETION_EXPIRY", "P10D")
    monkeypatch.setenv("ORDERLY_DELAY_RECHECK", "PT6H")
    policy = PolicySettings(_env_file=None).policy()
    assert policy.feedback_delay == timedelta(seconds=90)
    assert policy.completion_expiry == timedelta(days=10)
    assert policy.delay_recheck == timedelta(hours=6)
    monkeypatch.delenv("ORDERLY_FEEDBACK_DELAY")
    monkeypatch.delenv("ORDERLY_COMPLETION_REMINDER", raising=False)
    assert PolicySettings(_env_file=None).policy().completion_reminder == timedelta(days=2)
    monkeypatch.setenv("ORDERLY_FEEDBACK_DELAY", "soon")
    with pytest.raises(ValidationError, match="feedback_delay"):
        PolicySettings(_env_file=None)


def test_new_orders_settle_before_closing_and_orders_started_by_1_0_do_not(monkeypatch):
    monkeypatch.delenv("ORDERLY_SETTLE_BEFORE_CLOSING", raising=False)
    new = PolicySettings(_env_file=None).policy()
    assert new.settle_before_closing is True  # the setting's default, written into each new order's input
    started_by_1_0 = new.model_dump(mode="json")
    del started_by_1_0["settle_before_closing"]  # 1.0's policy had no such field
    assert Policy.model_validate(started_by_1_0).settle_before_closing is False  # closes as it did under 1.0
    monkeypatch.setenv("ORDERLY_SETTLE_BEFORE_CLOSING", "false")
    assert PolicySettings(_env_file=None).policy().settle_before_closing is False


def test_a_date_option_is_held_to_its_catalog_bounds_and_defers_the_promise():
    from models.form_check import check_form
    as_of = datetime(2026, 12, 1, 15, tzinfo=timezone.utc)  # a Tuesday; the bookcase takes 20 business days
    lead_date = add_business_days(as_of, 20, "America/Chicago", "US")

    def checked(day: date):
        form = with_line(sku="BOOKCASE-MTM", options={"wood": "oak", "height_cm": 100, "width_cm": 50,
                                                      "install_by": day.isoformat()})
        return check_form(form, CATALOG, as_of, "America/Chicago", "US")

    for day, words in ((date(2001, 1, 1), "on or after"), (lead_date - timedelta(days=1), "on or after"),
                       (date(2027, 12, 2), "on or before"), (date(9999, 12, 31), "on or before")):
        [problem] = checked(day).problems
        assert problem.field == "lines[0].options.install_by" and words in problem.message and problem.kind == "invalid"
    assert checked(lead_date).expected_fulfillment_date == lead_date
    assert checked(date(2027, 12, 1)).expected_fulfillment_date == date(2027, 12, 1), "the promise waits for it"
    assert validate_form(with_line(sku="BOOKCASE-MTM", options={
        "wood": "oak", "height_cm": 100, "width_cm": 50, "install_by": "2001-01-01"}), CATALOG).complete, (
        "without the order's dates only the date's form is checked")
