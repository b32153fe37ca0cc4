"""How a notice shows an order in parts: each part with its lines and date, the parcel a shipping notice is about
and what is still to come, the parts a delay or a late notice names. Pure functions of the order and the catalog.
"""

from __future__ import annotations

from typing import Any

from models.catalog import Catalog
from models.order import OrderView, PricedLine
from models.parts import LineRef, Part, part_unshipped, unshipped
from models.settings import Settings


def refs_as_lines(order: OrderView, refs: list[LineRef], catalog: Catalog, language: str) -> list[PricedLine]:
    """Order lines with the quantities `refs` name, as `language` reads them."""
    return [catalog.localized_line(order.lines[ref.line], language).model_copy(update={"quantity": ref.quantity})
            for ref in refs]


def part_view(order: OrderView, part: Part, catalog: Catalog, language: str) -> dict[str, Any]:
    maker = catalog.manufacturer(part.department)
    return {"department": part.department, "maker": maker.name if maker else None,
            "lines": refs_as_lines(order, part.lines, catalog, language),
            "to_ship": refs_as_lines(order, part_unshipped(part, order.lines, order.shipments), catalog, language),
            "date": part.expected_fulfillment_date, "original_date": part.original_fulfillment_date,
            "handover_date": part.handover_date, "ready": part.ready_at is not None, "status": part.status.value,
            "awaiting_deposit": part.awaiting_deposit,
            "lead_days": order.lead_days([part])}


def deposit_context(order: OrderView, extra: dict[str, Any], settings: Settings, catalog: Catalog,
                    language: str) -> dict[str, Any] | None:
    """`deposit`: what is due, by when (`extra["deposit_by"]`), still to pay, how to pay, and the parts waiting for
    it; None when the order asks no deposit."""
    if order.deposit_due <= 0:
        return None
    held = [part_view(order, p, catalog, language) for p in order.parts if p.awaiting_deposit]
    return {"due": order.deposit_due, "by": extra.get("deposit_by"), "paid": order.paid,
            "outstanding": max(order.deposit_due - order.paid, 0), "percent": extra.get("deposit_percent", ""),
            "how": settings.company_payment_details_in.get(language) or settings.company_payment_details,
            "held": held, "lead_days": max((p["lead_days"] for p in held), default=0)}


def parts_context(order: OrderView, extra: dict[str, Any], to: str, catalog: Catalog,
                  language: str) -> dict[str, Any]:
    """`parts` (all, when there are several), `named_parts` (those `extra["departments"]` names), `part` (the
    recipient's own, a manufacturer's work order)."""
    several = len(order.parts) > 1
    named = set(extra.get("departments") or [])
    own = order.part_for(to)
    return {"parts": [part_view(order, p, catalog, language) for p in order.parts] if several else [],
            "named_parts": [part_view(order, p, catalog, language) for p in order.parts if p.department in named],
            "part": part_view(order, own, catalog, language) if own is not None and several else None}


def shipment_context(order: OrderView, extra: dict[str, Any], settings: Settings, catalog: Catalog,
                     language: str) -> dict[str, Any]:
    """`shipment` (the one the notice is about, with the carrier's tracking link when it has none), `parcel` (its
    lines) and `to_come` (what has not shipped, with each part's date)."""
    shipment = order.shipment_numbered(extra.get("shipment"))
    if shipment is None:
        return {"shipment": None, "parcel": [], "to_come": []}
    if not shipment.tracking_url and (url := settings.tracking_link(shipment.carrier, shipment.tracking_number)):
        shipment = shipment.model_copy(update={"tracking_url": url})
    to_come = []
    for ref in unshipped(order.lines, order.shipments):
        part = next((p for p in order.parts if any(r.line == ref.line for r in p.lines)), None)
        to_come.append({"line": refs_as_lines(order, [ref], catalog, language)[0],
                        "date": part.expected_fulfillment_date if part else order.expected_fulfillment_date})
    parcel = refs_as_lines(order, shipment.lines, catalog, language) if shipment.lines else [
        catalog.localized_line(line, language) for line in order.lines]
    return {"shipment": shipment, "parcel": parcel, "to_come": to_come, "several_shipments": len(order.shipments) > 1}


def localized_changes(changes: list[dict[str, Any]], catalog: Catalog, language: str) -> list[dict[str, Any]]:
    """A correction's changes (`models.amendments.changes`, in the catalog's own words) as `language` reads them:
    the item's name, the option's label and its choices from the catalog's translations (the templates translate
    the fixed words: Quantity, Added, Notes…)."""
    found = []
    for change in changes:
        change, product = dict(change), catalog.product(change.get("sku", ""))
        if product is not None:
            name = product.name_in(language)
            if change["item"]:
                change["item"] = name
            if "quantity" in change:
                shown = f"{change['quantity']} x {name}"
                change["now" if change["now"] else "was"] = shown
            field = {f.name: f for f in catalog.fields_of(change["sku"])}.get(change.get("option", ""))
            if field is not None:
                change["field"] = field.label_in(language)
                if field.choices:
                    change["now"], change["was"] = (field.choice_label(v, language) if v else ""
                                                    for v in (change["now"], change["was"]))
        found.append(change)
    return found
