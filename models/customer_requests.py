"""What a customer tells the business about an order ("Something wrong? Tell us" on the status page): a task for
customer service until someone resolves it, recorded in the order's timeline."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .inputs import Input, OptionalLine, RequiredLine, Text

MAX_OPEN_REQUESTS = 5  # more than this waiting on one order is someone pasting, not a customer talking


class CustomerRequest(Input):
    message: Text = Field(min_length=1, max_length=2000, title="What is wrong",
                          description="the customer's words, as they wrote them")
    idempotency_key: OptionalLine = Field(default=None, max_length=64, title="Idempotency key", description=(
        "sent again with the same key (a reloaded page, a retried call), the request is taken once"))


class RequestResolution(Input):
    number: int | None = Field(default=None, ge=1, title="Request number",
                               description="the request resolved (numbered from 1); none: the oldest open one")
    note: RequiredLine = Field(min_length=1, max_length=500, title="What was done",
                               description="what customer service did, for the timeline")


class RequestRecord(BaseModel):
    number: int
    message: str
    received_at: datetime
    resolved_at: datetime | None = None
    resolution: str = ""
