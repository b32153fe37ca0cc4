"""The staff console's action forms, made from the actions table and the input models' fields.

A field's input follows its type and limits (a date picker for a date, a number with its bounds, a URL, text with
its maximum length), its label is the field's title, and a field with choices (the departments a role may
acknowledge for) is a select. `action_input` reads a posted form back into the action's input model.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from models.order import OrderView

from .actions import ACTIONS, Action
from .auth import Caller


@dataclass
class FormField:
    name: str
    id: str
    label: str
    type: str = "text"
    required: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)  # maxlength, min, max
    choices: list[str] | None = None
    value: str = ""


@dataclass
class ActionForm:
    action: Action
    fields: list[FormField]


def offered_forms(view: OrderView, available: list[str], decided: dict[str, list[str]], caller: Caller,
                  failed: str | None, values: dict[str, str]) -> list[ActionForm]:
    """The forms of the actions the workflow says make sense now for the caller (`available`, and `decided`: the
    departments it may name, by update); the form that was just refused keeps what was typed."""
    forms = []
    for action in ACTIONS.values():
        if not (action.console and action.update_name in available and action.may(caller.role)):
            continue
        choices = {name: pick(view, caller) for name, pick in action.choices.items()}
        if action.decided_choice:
            choices[action.decided_choice] = decided.get(action.update_name, [])
        if any(not options for options in choices.values()):
            continue  # nothing here for this role (e.g. no work order of its department waits)
        kept = values if failed == action.name else {name: fill(view) for name, fill in action.prefill.items()}
        forms.append(ActionForm(action, [form_field(action, name, action.input.model_fields[name],
                                                    choices.get(name), kept.get(name, ""))
                                         for name in action.input_fields()]))
    return forms


def form_field(action: Action, name: str, info: FieldInfo, choices: list[str] | None, value: str) -> FormField:
    kinds = {info.annotation, *getattr(info.annotation, "__args__", ())}
    is_list = any(typing.get_origin(k) is list for k in kinds)  # typed as text: `SKU:QTY, SKU:QTY`
    attributes: dict[str, Any] = {}
    for limit in info.metadata:
        if isinstance(limit, annotated_types.MaxLen) and not is_list:  # (a list's limit counts items, not letters)
            attributes["maxlength"] = limit.max_length
        elif isinstance(limit, annotated_types.Ge):
            attributes["min"] = limit.ge
        elif isinstance(limit, annotated_types.Le):
            attributes["max"] = limit.le
    pattern = next((m.pattern for m in info.metadata if hasattr(m, "pattern") and m.pattern), "") or ""
    kind = "date" if date in kinds else "number" if int in kinds else "url" if pattern.startswith("^https?") else "text"
    label = action.labels.get(name) or (info.title or name.replace("_", " ").capitalize()) + (
        "" if info.is_required() else " (optional)")
    return FormField(name=name, id=f"{action.name}-{name}", label=label, type=kind, required=info.is_required(),
                     attributes=attributes, choices=choices, value=value)


def action_input(action: Action, data: dict[str, str]) -> BaseModel | None:
    """The action's input from a posted form: the fields it shows, read from their text as the API reads JSON.

    A blank optional field is left out (the model's default applies); a blank required text field is given as it is,
    so that it is refused with the same message the API gives for blank text."""
    if action.input is None:
        return None
    model = action.input.model_fields
    fields = {k: v for k, v in data.items() if k in action.input_fields()
              and (v != "" or (model[k].is_required() and model[k].annotation is str))}
    return action.input.model_validate_strings(fields)
