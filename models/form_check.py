"""The whole check of an order form: validated against the catalog and, when complete, priced and promised a date.

One function for everyone who checks a form: the submitter (CLI, API, web shop) runs it once and the result travels
in the workflow's input; the workflow's `check_order_form` activity runs it for a form completed later.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .calendar import add_business_days
from .catalog import WAREHOUSE, Catalog
from .order import FormCheck, OrderForm, PricedLine
from .validation import OrderDates, validate_form


def check_form(form: OrderForm, catalog: Catalog, as_of: datetime, timezone: str, holidays_country: str) -> FormCheck:
    """Validate `form`; a complete one gets the expected fulfillment date its longest lead time gives, counted in
    business days of the company's calendar from `as_of` (when the order is accepted), or the latest date option
    that defers fulfillment (the bookcase's installation date), when that is later.

    Date options are held to their catalog bounds relative to the order: its date and that lead-time date."""
    products = [p for line in form.lines if (p := catalog.product(line.sku)) is not None]
    lead = max((p.lead_time_days for p in products), default=0)
    dates = OrderDates(order_date=as_of.astimezone(ZoneInfo(timezone)).date(),
                       expected_fulfillment_date=add_business_days(as_of, lead, timezone, holidays_country))
    check = validate_form(form, catalog, dates)
    if check.complete:
        check.part_dates = {fulfiller: max([add_business_days(as_of, max(line.lead_time_days for line in lines),
                                                              timezone, holidays_country),
                                            *deferring_dates(lines, catalog)])
                            for fulfiller, lines in by_fulfiller(check.lines).items()}
        check.expected_fulfillment_date = max(check.part_dates.values())
    return check


def by_fulfiller(lines: list[PricedLine]) -> dict[str, list[PricedLine]]:
    """The order's parts: its lines grouped by who fulfils them, the warehouse first."""
    parts: dict[str, list[PricedLine]] = {}
    for line in sorted(lines, key=lambda li: li.fulfiller != WAREHOUSE):
        parts.setdefault(line.fulfiller, []).append(line)
    return parts


def deferring_dates(lines: list[PricedLine], catalog: Catalog) -> list[date]:
    """The dates of the accepted lines' options that say their part is not fulfilled before them."""
    found = []
    for line in lines:
        for f in catalog.product_type(catalog.product(line.sku).product_type).fields:
            if f.bounds is not None and f.bounds.defers_fulfillment and f.name in line.options:
                found.append(date.fromisoformat(line.options[f.name]))
    return found
