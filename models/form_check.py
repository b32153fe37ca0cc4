"""The whole check of an order form: validated against the catalog and, when complete, priced and promised a date.

One function for everyone who checks a form: the submitter (CLI, API, web shop) runs it once and the result travels
in the workflow's input; the workflow's `check_order_form` activity runs it for a form completed later.
"""

from __future__ import annotations

from datetime import datetime

from .calendar import add_business_days
from .catalog import Catalog
from .order import FormCheck, OrderForm
from .validation import validate_form


def check_form(form: OrderForm, catalog: Catalog, as_of: datetime, timezone: str, holidays_country: str) -> FormCheck:
    """Validate `form`; a complete one gets the expected fulfillment date its longest lead time gives, counted in
    business days of the company's calendar from `as_of` (when the order is accepted)."""
    check = validate_form(form, catalog)
    if check.complete:
        lead = max(line.lead_time_days for line in check.lines)
        check.expected_fulfillment_date = add_business_days(as_of, lead, timezone, holidays_country)
    return check
