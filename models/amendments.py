"""A correction of a confirmed order (the customer called): the whole corrected form, and what it changes.

Pure functions: `line_matches` pairs the order's lines with the corrected form's (by sku, in order), `changes` says
what differs as the customer reads it (now, was), and `shipped_line_touched` finds a shipped line the correction
would change or remove. The workflow applies a correction with them (`workflows/amending.py`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .i18n import N_
from .inputs import Input, SingleLine
from .order import Customer, OrderForm, OrderView, PricedLine
from .parts import shipped_quantities


class Amendment(Input):
    form: OrderForm = Field(description="the whole corrected form, as `complete_form` takes it")
    reason: SingleLine = Field(default="", max_length=500, title="Reason the customer will read",
                               description="why the order changes, in words the customer will read")
    by: SingleLine = Field(default="", max_length=100, title="Your name", description="who corrects it")


def line_matches(old: list[Any], new: list[Any]) -> dict[int, int]:
    """Old line index -> new line index: each old line paired with the first unpaired new line of its sku."""
    taken: set[int] = set()
    matches = {}
    for i, line in enumerate(old):
        j = next((j for j, n in enumerate(new) if j not in taken and n.sku == line.sku), None)
        if j is not None:
            matches[i] = j
            taken.add(j)
    return matches


def shipped_line_touched(view: OrderView, new: list[Any]) -> str | None:
    """Why the correction cannot be taken: it changes or removes a line that has shipped (or ships more than it
    keeps); None when every shipped line stays as it was."""
    matches = line_matches(view.lines, new)
    for i, quantity in shipped_quantities(view.shipments).items():
        old = view.lines[i]
        if i not in matches:
            return f"Line {i + 1} ({old.sku}) has already shipped: it cannot be removed; arrange a return instead"
        line = new[matches[i]]
        if dict(line.options) != dict(old.options):
            return f"Line {i + 1} ({old.sku}) has already shipped: its options cannot be changed"
        if line.quantity < quantity:
            return (f"Line {i + 1} ({old.sku}): {quantity} have already shipped, so its quantity cannot be less "
                    f"than {quantity}")
    return None


def changes(view: OrderView, form: OrderForm, lines: list[PricedLine]) -> list[dict[str, str]]:
    """What the correction changes, as the customer reads it: the item (a line's name, or none), the field (words
    the templates translate, or an option's catalog label), now and was ("" when there was none)."""
    found: list[dict[str, str]] = []
    matches = line_matches(view.lines, lines)
    for i, old in enumerate(view.lines):
        if i not in matches:
            found.append(_change("", N_("Removed"), "", f"{old.quantity} x {old.name}", sku=old.sku,
                                 quantity=old.quantity))
            continue
        new = lines[matches[i]]
        if new.quantity != old.quantity:
            found.append(_change(old.name, N_("Quantity"), str(new.quantity), str(old.quantity), sku=old.sku))
        for name in dict.fromkeys([*old.options, *new.options]):
            was, now = old.options.get(name), new.options.get(name)
            if was != now:
                label = new.option_labels.get(name) or old.option_labels.get(name) or name
                found.append(_change(old.name, label, _text(now), _text(was), sku=old.sku, option=name))
    for j, new in enumerate(lines):
        if j not in matches.values():
            found.append(_change("", N_("Added"), f"{new.quantity} x {new.name}", "", sku=new.sku,
                                 quantity=new.quantity))
    found += _details(N_("Delivery address"), ", ".join(view.shipping_address.lines()),
                      ", ".join(form.shipping_address.lines()))
    found += _customer(view.customer, form.customer)
    found += _details(N_("Notes"), view.notes, form.notes)
    return found


def line_changed(old: Any, new: Any) -> bool:
    return old.quantity != new.quantity or dict(old.options) != dict(new.options)


def date_change(item: str, was: Any, now: Any) -> dict[str, str]:
    """A part's date that moved, in the words `change_value` reads back in the customer's language."""
    return _change(item, N_("Expected fulfillment date"), _long(now), _long(was))


def _long(day: Any) -> str:
    return f"{day:%A}, {day.day} {day:%B %Y}"


def _change(item: str, field: str, now: str, was: str, **about: Any) -> dict[str, Any]:
    """`about`: the line's `sku`, the `option` (its name) or the `quantity` added or removed, so a notice can say
    the change in the reader's language (`activities.part_views.localized_changes`)."""
    return {"item": item, "field": field, "now": now, "was": was, **about}


def _customer(old: Customer, new: Customer) -> list[dict[str, str]]:
    return [c for name, label in (("name", N_("Name")), ("email", N_("Email")), ("phone", N_("Phone")))
            for c in _details(label, getattr(old, name), getattr(new, name))]


def _details(field: str, was: str, now: str) -> list[dict[str, str]]:
    return [] if was == now else [_change("", field, now, was)]


def described(found: list[dict[str, str]]) -> str:
    """The changes in one line, for staff and the timeline."""
    return "; ".join(f"{c['item'] + ': ' if c['item'] else ''}{c['field']} {c['now'] or '—'} (was {c['was'] or '—'})"
                     for c in found)


def _text(value: Any) -> str:
    return "" if value is None else "yes" if value is True else "no" if value is False else str(value)
