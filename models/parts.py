"""An order in parts: the lines each fulfiller delivers (the warehouse, or a manufacturer), each part with its own
expected fulfillment date, and the shipments that carry the lines to the customer, possibly several.

Pure data and arithmetic: the workflow keeps these in its view, the rules check actions against them, the notices
and pages read them. A line is named by its sku as ordered; when two lines share a sku, a quantity of it is taken
from them in order.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, Field

from .inputs import Input, RequiredLine, WholeNumber

LINE_REF = re.compile(r"^\s*([^:\s,]+)\s*(?::\s*(\S+))?\s*$")


class LineRef(Input):
    """A quantity of one order line: `sku` as ordered. `line` is its place in the order, set by the workflow."""

    sku: RequiredLine = Field(max_length=64)
    quantity: WholeNumber = Field(default=1, ge=1, le=10_000)
    line: Optional[int] = Field(default=None, description="the line's index in the order (set by the workflow)")


def line_refs(value: Any) -> Any:
    """`SKU[:QTY]` texts (a list, or one text separated by commas: the console's field) as line references."""
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
        if not value:
            return None
    if isinstance(value, list):
        return [_line_ref(v) if isinstance(v, str) else v for v in value]
    return value


def _line_ref(text: str) -> Any:
    match = LINE_REF.match(text)
    if not match:
        return {"sku": text}  # refused by the model with its own message
    sku, quantity = match.groups()
    if quantity is None:
        return {"sku": sku}
    return {"sku": sku, "quantity": int(quantity) if quantity.isdigit() else quantity}


LineRefs = Annotated[Optional[list[LineRef]], BeforeValidator(line_refs)]


class PartStatus(str, Enum):
    awaiting_acknowledgement = "awaiting_acknowledgement"
    in_progress = "in_progress"
    ready = "ready"                      # a manufacturer handed it over to the warehouse
    delayed = "delayed"
    late = "late"
    partially_shipped = "partially_shipped"
    shipped = "shipped"
    delivered = "delivered"


class Part(BaseModel):
    """The lines one fulfiller delivers, with their own date, acknowledgement, readiness, delays and lateness."""

    department: str = Field(description="'warehouse' or a manufacturer id")
    lines: list[LineRef]
    expected_fulfillment_date: date
    original_fulfillment_date: date
    handover_date: Optional[date] = Field(default=None, description="a manufacturer's: when it hands the part "
                                                                    "over to the warehouse")
    ready_at: Optional[datetime] = None
    delay_reason: str = ""
    status: PartStatus = PartStatus.awaiting_acknowledgement
    at_risk_for: Optional[date] = Field(default=None, description="the date staff were last told is at risk")
    at_risk_checked_at: Optional[datetime] = None
    late_for: Optional[date] = Field(default=None, description="the date the customer was last told is missed")
    late_alerts: int = 0
    last_late_alert_at: Optional[datetime] = None
    awaiting_deposit: bool = Field(default=False, description="a made-to-order part held until the deposit: its "
                                   "work order is not sent, its date not yet counted (it counts from the deposit)")

    @property
    def made_by_manufacturer(self) -> bool:
        return self.handover_date is not None


def line_indexes(lines: list[Any], department: str) -> list[int]:
    return [i for i, line in enumerate(lines) if line.fulfiller == department]


def shipped_quantities(shipments: list[Any]) -> dict[int, int]:
    """Order line index -> the quantity shipped so far."""
    shipped: dict[int, int] = {}
    for shipment in shipments:
        for ref in shipment.lines or []:
            shipped[ref.line] = shipped.get(ref.line, 0) + ref.quantity
    return shipped


def unshipped(lines: list[Any], shipments: list[Any]) -> list[LineRef]:
    """What is still to ship: each order line with the quantity not yet in a shipment."""
    shipped = shipped_quantities(shipments)
    return [LineRef(sku=line.sku, quantity=line.quantity - shipped.get(i, 0), line=i)
            for i, line in enumerate(lines) if line.quantity > shipped.get(i, 0)]


def allocate(refs: list[LineRef] | None, lines: list[Any], shipments: list[Any]) -> list[LineRef] | str:
    """The order lines a shipment covers (`refs` by sku; None: everything not yet shipped), or why it cannot."""
    left = {ref.line: ref.quantity for ref in unshipped(lines, shipments)}
    if refs is None:
        return [LineRef(sku=lines[i].sku, quantity=q, line=i) for i, q in left.items()]
    if not refs:
        return "A shipment must carry at least one line"
    skus = [ref.sku for ref in refs]
    if twice := sorted({s for s in skus if skus.count(s) > 1}):
        return f"Line {', '.join(twice)} is given twice; give each sku once with its whole quantity"
    taken: list[LineRef] = []
    for ref in refs:
        mine = [i for i, line in enumerate(lines) if line.sku == ref.sku]
        if not mine:
            return f"Unknown sku {ref.sku!r}: the order's lines are {', '.join(sorted({li.sku for li in lines}))}"
        available = sum(left.get(i, 0) for i in mine)
        if ref.quantity > available:
            ordered = sum(lines[i].quantity for i in mine)
            return (f"Cannot ship {ref.quantity} x {ref.sku}: {ordered} ordered, {available} not yet shipped"
                    if available else f"{ref.sku} has already shipped in full ({ordered} ordered)")
        wanted = ref.quantity
        for i in mine:
            if wanted and left.get(i, 0):
                quantity = min(wanted, left[i])
                taken.append(LineRef(sku=ref.sku, quantity=quantity, line=i))
                wanted -= quantity
    return taken


def part_of_line(parts: list[Part], index: int) -> Part | None:
    return next((p for p in parts if any(ref.line == index for ref in p.lines)), None)


def part_unshipped(part: Part, lines: list[Any], shipments: list[Any]) -> list[LineRef]:
    mine = {ref.line for ref in part.lines}
    return [ref for ref in unshipped(lines, shipments) if ref.line in mine]
