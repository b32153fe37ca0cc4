"""The order's status, where ops see it: the view, the timeline, the `OrderStatus` and `ExpectedFulfillmentDate`
search attributes, and the workflow's current details in the Temporal UI.

Each upsert is a history event and a write to the server's visibility store, so the expected date is published
with a status where the history shape allows (v4 on): promised at acceptance, it goes out with `confirmed`.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from models.order import OrderStatus

from .clock import Clock
from .search_attributes import EXPECTED_FULFILLMENT_DATE, ORDER_STATUS
from .state import OrderState
from .versions import HistoryShape


class StatusBoard:
    def __init__(self, state: OrderState, shape: HistoryShape, clock: Clock) -> None:
        self.state, self.shape, self.clock = state, shape, clock

    def set(self, status: OrderStatus, text: str, new_date: bool = False, **data: Any) -> None:
        """The order is now `status` (`text` says why, in the timeline, `data` as data); with `new_date`, its expected
        date moved."""
        self.state.view.status = status
        self.state.record(f"status:{status.value}", text, **data)
        together = new_date and self.shape.lean
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value),
                                           *([self.expected_date()] if together else [])])
        workflow.set_current_details(f"**{status.value}**: {text}")
        if new_date and not self.shape.lean:
            workflow.upsert_search_attributes([self.expected_date()])

    def set_unless_shipped(self, status: OrderStatus, text: str, new_date: bool = False, **data: Any) -> None:
        """Nothing shipped yet: the order is `status`; once part of it has shipped it stays partly shipped, and only
        the timeline says what happened to the rest."""
        if self.state.view.shipments:
            self.state.record(status.value, text, **data)
        else:
            self.set(status, text, new_date=new_date, **data)

    def promise_date(self) -> None:
        """The order was accepted with its expected fulfillment date: published now (v1-v3), or with `confirmed`."""
        if not self.shape.lean:
            workflow.upsert_search_attributes([self.expected_date()])

    def publish_date(self) -> None:
        """The expected date moved without a change of status (a corrected order)."""
        workflow.upsert_search_attributes([self.expected_date()])

    def confirmed(self, text: str) -> None:
        self.set(OrderStatus.confirmed, text, new_date=self.shape.lean)

    def expected_date(self) -> SearchAttributeUpdate:
        due = self.state.view.expected_fulfillment_date
        return EXPECTED_FULFILLMENT_DATE.value_set(datetime.combine(due, time(), self.clock.tz))
