"""A shipment as staff record it (carrier, tracking, delivery date, the lines in the parcel) and the corrections of
its details afterwards, with the changes as the customer reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .i18n import N_
from .inputs import Input, CalendarDate, OptionalDate, OptionalLine, RequiredLine, SingleLine
from .parts import LineRefs


class Shipment(Input):
    carrier: RequiredLine = Field(min_length=1, max_length=100, title="Carrier")
    tracking_number: RequiredLine = Field(min_length=1, max_length=100, title="Tracking number",
                                          description="tracking number")
    tracking_url: OptionalLine = Field(default=None, max_length=500, pattern=r"^https?://\S+$", title="Tracking link")
    expected_delivery_date: CalendarDate = Field(title="Expected delivery date",
                                                 description="expected delivery date, YYYY-MM-DD")
    lines: LineRefs = Field(default=None, max_length=100, title="Lines in this parcel", description=(
        "SKU[:QTY], comma-separated in a form; none: everything not yet shipped"))
    ready_override: OptionalLine = Field(default=None, max_length=500, title="Ship before hand-over: reason (admin)",
                                         description=(
        "admin only: ship a manufacturer's part that was never reported ready, with the reason (recorded)"))
    number: int | None = Field(default=None, description="set by the workflow: shipments are numbered from 1")
    shipped_at: datetime | None = Field(default=None, description="set by the workflow when the shipment is recorded")
    delivered_at: datetime | None = Field(default=None, description="set by the workflow when it is delivered")


SHIPMENT_LABELS = {"carrier": N_("Carrier"), "tracking_number": N_("Tracking number"),
                   "tracking_url": N_("Tracking link"), "expected_delivery_date": N_("Expected delivery date")}


class ShipmentCorrection(Input):
    """Shipping details that changed after the shipping notice went out: only the fields given change."""

    carrier: OptionalLine = Field(default=None, min_length=1, max_length=100, title="Carrier")
    tracking_number: OptionalLine = Field(default=None, min_length=1, max_length=100, title="Tracking number",
                                          description="the new tracking number")
    tracking_url: OptionalLine = Field(default=None, max_length=500, pattern=r"^https?://\S+$", title="Tracking link")
    expected_delivery_date: OptionalDate = Field(default=None, title="Expected delivery date",
                                                 description="new expected delivery date, YYYY-MM-DD")
    reason: SingleLine = Field(default="", max_length=500, title="Reason the customer will read",
                        description="why, in words the customer will read")
    shipment: int | None = Field(default=None, ge=1, title="Shipment number", description=(
        "the shipment to correct (numbered from 1); none: the latest one"))

    def changes_to(self, shipment: Shipment) -> dict[str, tuple[Any, Any]]:
        """field -> (was, now) for every given field that differs from the shipment."""
        return {name: (getattr(shipment, name), value) for name in SHIPMENT_LABELS
                if (value := getattr(self, name)) is not None and value != getattr(shipment, name)}


def described_changes(changes: dict[str, tuple[Any, Any]]) -> list[dict[str, str]]:
    """Shipping changes as the customer reads them: label, was, now (dates in words, a missing link as "none")."""
    return [{"label": SHIPMENT_LABELS[name], "was": _shown(was), "now": _shown(now)}
            for name, (was, now) in changes.items()]


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if hasattr(value, "strftime"):
        return f"{value:%A}, {value.day} {value:%B %Y}"
    return str(value)
