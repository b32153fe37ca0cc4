"""The business policy: every waiting period of an order, with business defaults.

Each field can be overridden by an environment variable `ORDERLY_<FIELD>` (see `models.settings.PolicySettings`)
given in seconds (`30`) or ISO-8601 (`P2D`, `PT10M`), so a demo or a test can run a whole lifecycle in seconds.
The policy travels in the workflow's input: an order keeps the policy it was started with.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field


SETTLE_BEFORE_CLOSING = (
    "a completed order stays open (and in accounts receivable's queue) until its balance is paid, any refund made "
    "and accounts receivable's work order acknowledged; off for a business whose payments are taken elsewhere (a "
    "web shop's checkout). A cancelled order always waits for the refunds it owes. Orders started by 1.0 close as "
    "they did")


class Policy(BaseModel):
    completion_reminder: timedelta = Field(default=timedelta(days=2),
                                           description="incomplete form: remind the submitter after this long")
    completion_expiry: timedelta = Field(default=timedelta(days=7),
                                         description="incomplete form: give up (status expired) after this long")
    acknowledgement_reminder: timedelta = Field(default=timedelta(days=1),
                                                description="remind departments that have not acknowledged a work order")
    delay_grace: timedelta = Field(default=timedelta(hours=12),
                                   description="after the end of the expected fulfillment date, wait this long before "
                                               "declaring the order late")
    delay_recheck: timedelta = Field(default=timedelta(days=1),
                                     description="while an order is late with no new date, alert staff again this often")
    feedback_delay: timedelta = Field(default=timedelta(days=3),
                                      description="ask for feedback this long after delivery")
    feedback_reminder: timedelta = Field(default=timedelta(days=5),
                                         description="remind once about feedback after this long; close after as long again")
    feedback_call_threshold: Decimal = Field(default=Decimal("3000"),
                                             description="orders worth at least this get a customer-service call "
                                                         "instead of an online survey")
    warehouse_handling_days: int = Field(default=2, ge=0, le=30, description=(
        "business days the warehouse needs between a manufacturer's hand-over and the customer's date"))
    at_risk_days: int = Field(default=2, ge=0, le=60, description=(
        "business days before a part's date at which staff are alerted if it is not acknowledged (or not handed "
        "over when it should have been)"))
    # False when absent: an order started by 1.0 (whose input has no such field, and which recorded no payments)
    # closes as it did. New orders get the setting's value, on unless turned off (`PolicySettings`).
    settle_before_closing: bool = Field(default=False, description=SETTLE_BEFORE_CLOSING)
    # 0 when absent: an order started before deposits (its input has no such field) goes ahead as it did.
    deposit_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100, description=(
        "percent of the made-to-order lines' value the customer pays before the manufacturer's work order is sent "
        "(its dates then count from the deposit); 0: no deposit. Stocked parts go ahead at once"))
    deposit_deadline: timedelta = Field(default=timedelta(days=7), description=(
        "a deposit not received this long after the confirmation: remind the customer once, alert accounts "
        "receivable"))
