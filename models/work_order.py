"""An order as a third-party manufacturer reads it (starter/read_scopes.py): what its work order shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from .order import OrderStatus, OrderView


class WorkOrderLine(BaseModel):
    sku: str
    name: str
    quantity: int
    options: dict[str, Any]
    option_labels: dict[str, str] = Field(default_factory=dict)
    lead_time_days: int


class WorkOrderView(BaseModel):
    """An order as a third-party manufacturer reads it: what its work order shows — its own lines, the dates and the
    customer's notes, and whether it has acknowledged; no prices, no customer contact, no address, no timeline."""

    order_id: str
    status: OrderStatus
    department: str
    received_at: datetime
    lines: list[WorkOrderLine]
    notes: str = ""
    expected_fulfillment_date: date | None = None
    original_fulfillment_date: date | None = None
    acknowledged_at: datetime | None = None
    handover_date: date | None = Field(default=None, description="when its part is due at the warehouse (it moves "
                                       "with the part's own delay)")
    ready_at: datetime | None = Field(default=None, description="when it reported its part handed over")

    @classmethod
    def of(cls, view: OrderView, department: str) -> "WorkOrderView":
        """Its own part's dates (an order in parts: the maker's part, not the whole order's)."""
        part = view.part_for(department)
        return cls(order_id=view.order_id, status=view.status, department=department, received_at=view.received_at,
                   lines=[WorkOrderLine(**line.model_dump(include=set(WorkOrderLine.model_fields)))
                          for line in view.lines if line.fulfiller == department],
                   notes=view.notes,
                   expected_fulfillment_date=part.expected_fulfillment_date if part else view.expected_fulfillment_date,
                   original_fulfillment_date=part.original_fulfillment_date if part else
                   view.original_fulfillment_date,
                   acknowledged_at=view.acknowledged.get(department),
                   handover_date=part.handover_date if part else None, ready_at=part.ready_at if part else None)
