"""The form check activity: a form completed after the order started, checked as the submitter checks a new one."""

from __future__ import annotations

from temporalio import activity

from models.catalog import Catalog
from models.form_check import check_form
from models.order import FormCheck, FormCheckRequest
from models.settings import Settings


class FormChecks:
    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog

    @activity.defn
    def check_order_form(self, request: FormCheckRequest) -> FormCheck:
        """Validate the form against the catalog; for a complete form, price it and promise a date."""
        return check_form(request.form, self.catalog, request.as_of, self.settings.company_timezone,
                          self.settings.company_holidays_country)
