"""The value types of what people type: one line of text, free text, a whole number, a calendar date.

Every surface (web shop, staff console, HTTP API, CLI, the workflow's own inputs) builds the same pydantic models,
so a value these types refuse is refused everywhere with the same field-level message:

- `SingleLine`: names, address lines, carrier, tracking number, department, who acted. Stripped; no control
  characters at all (no line breaks, tabs or escapes). Blank after stripping is the empty string, which a form
  treats as missing.
- `RequiredLine`: a `SingleLine` that must be given: blank (spaces, tabs) is refused as missing;
  `OptionalLine` the same where None means "not given" (a correction's fields).
- `Text`: free text over several lines (notes, comments): stripped; line breaks and tabs allowed, no other control
  characters.
- `WholeNumber`: an int and only an int (`true`, `1.5` and `"2"` are refused in JSON); form posts read their
  strings with `model_validate_strings`.
- `CalendarDate` (`OptionalDate`): a date given as a date or `YYYY-MM-DD`, never a number (pydantic would read 0 as 1970-01-01).

Length limits stay `Field(max_length=..., min_length=...)` on each field, where the console's forms read them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BLANK = "must not be blank"


def one_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.strip()
    if CONTROL.search(value):
        raise PydanticCustomError("control_characters",
                                  "contains control characters (line breaks, tabs or escapes); use one line of text")
    return value


def required_line(value: Any) -> Any:
    value = one_line(value)
    if value == "":
        raise PydanticCustomError("blank", BLANK)
    return value


def optional_line(value: Any) -> Any:
    return None if value is None else required_line(value)


def free_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.strip()
    if CONTROL_IN_TEXT.search(value):
        raise PydanticCustomError("control_characters", "contains control characters")
    return value


def not_a_number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, date):
        raise PydanticCustomError("date_type", "must be a date like 2026-12-31, not a number")
    return value


def has_control_characters(text: str) -> bool:
    return bool(CONTROL.search(text))


# The validator wraps the whole type (`Optional[str]`, not `Optional[Annotated[str, ...]]`), so pydantic keeps the
# field's length limits on the string itself (its own messages, `maxLength` in the JSON schema) and the field's
# annotation stays a plain `str` / `date` for the console's and the CLI's inputs.
SingleLine = Annotated[str, BeforeValidator(one_line)]
RequiredLine = Annotated[str, BeforeValidator(required_line)]
OptionalLine = Annotated[Optional[str], BeforeValidator(optional_line)]  # None: not given; blank is refused
Text = Annotated[str, BeforeValidator(free_text)]
WholeNumber = Annotated[int, Strict()]
CalendarDate = Annotated[date, BeforeValidator(not_a_number)]
OptionalDate = Annotated[Optional[date], BeforeValidator(not_a_number)]


class Input(BaseModel):
    """What callers send: an unknown key is refused (a misspelt `note` must not silently lose the notes)."""

    model_config = ConfigDict(extra="forbid")
