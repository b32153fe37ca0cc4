"""The inputs of the fulfilment actions staff take on an order (workflow update arguments): acknowledging a work
order, a delay, a maker's part ready, a delivery, a cancellation, the customer's feedback. `models.order` names them
too."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .inputs import CalendarDate, Input, OptionalLine, RequiredLine, SingleLine, Text, WholeNumber


class Acknowledgement(Input):
    department: RequiredLine = Field(min_length=1, max_length=64, title="Department",
                                     description="warehouse, accounts-receivable or a manufacturer id")
    by: SingleLine = Field(default="", max_length=100, title="Your name", description="who acknowledges")


class DelayReport(Input):
    new_date: CalendarDate = Field(title="New fulfillment date",
                                   description="new expected fulfillment date, YYYY-MM-DD")
    reason: RequiredLine = Field(min_length=1, max_length=500, title="Reason the customer will read",
                                 description="why, in words the customer will read")
    department: OptionalLine = Field(default=None, max_length=64, title="Part (who fulfils it)", description=(
        "the part that is late: 'warehouse' or a manufacturer id; none: every part not yet shipped"))


class Readiness(Input):
    """A manufacturer handed its part over to the warehouse: it can ship."""

    department: RequiredLine = Field(min_length=1, max_length=64, title="Manufacturer",
                                     description="the manufacturer id whose part is ready")
    by: SingleLine = Field(default="", max_length=100, title="Your name", description="who reports it")


class DeliveryReport(Input):
    shipment: int | None = Field(default=None, ge=1, title="Shipment number", description=(
        "the shipment delivered (numbered from 1); none: the one shipment on its way"))


class Cancellation(Input):
    reason: RequiredLine = Field(min_length=1, max_length=500, title="Message to the customer",
                        description="why, in words the customer will read (it is sent to them as written)")
    note: Text = Field(default="", max_length=1000, title="Internal note",
                       description="for staff only: the timeline and the departments' cancelled work orders; never "
                                   "sent to the customer")


class FeedbackEntry(Input):
    rating: WholeNumber = Field(ge=1, le=5, title="Rating (1-5)", description="1 to 5")
    comment: Text = Field(default="", max_length=2000, title="Comment")
    received_at: datetime | None = Field(default=None, description="set by the workflow when the feedback arrives")
