"""What the reconciliation job passes between its activities: orders closed in Temporal without finishing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from .order import OrderView


class ClosedOrder(BaseModel):
    order_id: str
    how: str = Field(description="terminated or timed out")
    closed_at: datetime
    view: OrderView = Field(description="the order as the read model last had it")


class ReconcilePass(BaseModel):
    orders: list[ClosedOrder] = Field(default_factory=list)
    until: datetime = Field(description="the next pass asks for what closed from here on")
