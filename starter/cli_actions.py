"""The staff commands of `orderly`, one per row of the actions table that names a command (`ack`, `ship`, ...).

Each takes the order number and one option per input field (`--carrier`, or the row's own name for it, such as
`--until` for a delay's new date), builds the row's input model from them (every field's problem reported at once),
and takes the action through the workflow update.
"""

from __future__ import annotations

import inspect
import typing
from datetime import date
from enum import Enum
from typing import Any, Optional

import typer
from pydantic.fields import FieldInfo

from .actions import ACTIONS, Action
from .cli_common import JSON, act, build, parse_date


def add_action_commands(app: typer.Typer) -> None:
    for action in ACTIONS.values():
        if action.cli:
            app.command(action.cli, help=action.summary)(command_for(action))


def option_of(action: Action, name: str) -> str:
    return action.flags.get(name, "--" + name.replace("_", "-"))


def command_for(action: Action):  # noqa: ANN201
    fields = {name: action.input.model_fields[name] for name in action.input_fields()}

    def command(order: str, as_json: bool = False, **given: Any) -> None:
        arg = None
        if action.input is not None:
            values = {name: parse_date(value, option_of(action, name), as_json)
                      if value is not None and _is_date(info) else value for name, value in given.items()
                      for info in (fields[name],)}
            arg = build(action.input, as_json, **values)
        act(as_json, order, action.name, arg)

    parameters = [inspect.Parameter("order", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str,
                                    default=typer.Argument(..., help="the order number"))]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=_cli_type(info),
                                     default=typer.Option(... if info.is_required() else _cli_default(info),
                                                          option_of(action, name),
                                                          help=info.description or info.title))
                   for name, info in fields.items()]
    parameters.append(inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=JSON))
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)
    command.__name__ = action.cli.replace("-", "_")
    command.__doc__ = action.summary
    return command


def _cli_default(info: FieldInfo) -> Any:
    """A choice's default as the text one types (`bank_transfer`, not the enum)."""
    return info.default.value if isinstance(info.default, Enum) else info.default


def _is_date(info: FieldInfo) -> bool:
    return date in (info.annotation, *getattr(info.annotation, "__args__", ()))


def _cli_type(info: FieldInfo) -> Any:
    """Dates are read as text and parsed with a clear message; numbers as numbers; a list as a repeated option
    (`--line SKU:2 --line SKU2`); the rest as text."""
    kinds = {info.annotation, *getattr(info.annotation, "__args__", ())}
    if any(typing.get_origin(k) is list for k in kinds):
        return Optional[list[str]]
    base = int if int in kinds else str
    return base if info.is_required() else Optional[base]
