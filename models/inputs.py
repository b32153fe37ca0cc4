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
import unicodedata
from datetime import date
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError

def _ranges(codes: list[int]) -> str:
    """A regex character class body for `codes` (sorted): `\\uXXXX` escapes, ranges where consecutive; a code
    point past the BMP as the character itself (a JSON Schema `pattern` and Python's `re` both read that)."""
    def one(c: int) -> str:
        return f"\\u{c:04X}" if c <= 0xFFFF else chr(c)
    out, start, prev = [], None, None
    for c in codes + [-2]:
        if start is not None and c == prev + 1:
            prev = c
            continue
        if start is not None:
            out.append(one(start) if start == prev else f"{one(start)}-{one(prev)}")
        start = prev = c
    return "".join(out)


# Refused in one line of text: control characters (line breaks, tabs, escapes, U+2028/2029), the invisible format
# characters (Unicode category Cf: U+202E right-to-left override, U+2066-2069 isolates, U+200B zero-width space,
# U+FEFF, soft hyphen ...), surrogates and the noncharacters (U+FDD0-FDEF and the last two of every plane, e.g.
# U+10FFFF), which no text should carry.
FORBIDDEN_IN_LINE = sorted({*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0xD800, 0xE000),
                            *range(0xFDD0, 0xFDF0), *(p * 0x10000 + e for p in range(17) for e in (0xFFFE, 0xFFFF)),
                            *(c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf")})
_NOT_IN_LINE = _ranges(FORBIDDEN_IN_LINE)
CONTROL = re.compile(f"[{_NOT_IN_LINE}]")
# What the published JSON Schema (`/openapi.json`) says of each type: the same rules as the validators below
# (tests/test_schema_agrees.py checks that they agree).
LINE_PATTERN = f"^[^{_NOT_IN_LINE}]*$"
REQUIRED_LINE_PATTERN = f"^[^{_NOT_IN_LINE}]*[^\\s{_NOT_IN_LINE}][^{_NOT_IN_LINE}]*$"
_NOT_IN_TEXT = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"  # (line breaks and tabs are text)
TEXT_PATTERN = f"^[^{_NOT_IN_TEXT}]*$"
CONTROL_IN_TEXT = re.compile(f"[{_NOT_IN_TEXT}]")
BLANK = "must not be blank"


def one_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = value.strip()
    if found := CONTROL.search(value):
        if unicodedata.category(found.group()) in ("Cc", "Zl", "Zp"):
            raise PydanticCustomError("control_characters", "contains control characters (line breaks, tabs or "
                                      "escapes); use one line of text")
        raise PydanticCustomError("format_characters", "contains an invisible, direction-changing or "
                                  "non-text character (U+{code}); use plain text", {"code": f"{ord(found.group()):04X}"})
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
class InSchema:
    """Adds keywords to a type's JSON Schema without validating anything itself (the validator does)."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {**handler(core_schema), **self.keywords}


SingleLine = Annotated[str, BeforeValidator(one_line), InSchema(pattern=LINE_PATTERN)]
RequiredLine = Annotated[str, BeforeValidator(required_line), InSchema(pattern=REQUIRED_LINE_PATTERN)]
OptionalLine = Annotated[Optional[str], BeforeValidator(optional_line),  # None: not given; blank is refused
                         InSchema(pattern=REQUIRED_LINE_PATTERN)]
Text = Annotated[str, BeforeValidator(free_text), InSchema(pattern=TEXT_PATTERN)]
WholeNumber = Annotated[int, Strict()]
CalendarDate = Annotated[date, BeforeValidator(not_a_number)]
OptionalDate = Annotated[Optional[date], BeforeValidator(not_a_number)]


class Input(BaseModel):
    """What callers send: an unknown key is refused (a misspelt `note` must not silently lose the notes)."""

    model_config = ConfigDict(extra="forbid")
