"""The form check activity: a form against the catalog and, for a complete one, its prices and promised date."""

from __future__ import annotations

from temporalio import activity

from models.catalog import Catalog
from models.order import FormCheck, FormCheckRequest
from models.settings import Settings
from models.validation import validate_form

from .calendar import add_business_days


class FormChecks:
    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog

    @activity.defn
    def check_order_form(self, request: FormCheckRequest) -> FormCheck:
        """Validate the form against the catalog; for a complete form, price it and promise a date."""
        check = validate_form(request.form, self.catalog)
        if check.complete:
            lead = max(line.lead_time_days for line in check.lines)
            check.expected_fulfillment_date = add_business_days(
                request.as_of, lead, self.settings.company_timezone, self.settings.company_holidays_country)
        return check
