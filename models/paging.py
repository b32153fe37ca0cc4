"""How far into a list a caller may ask: one bound for every surface (the API's `offset`, the CLI's `--offset`, the
staff console's `?page-<queue>=`), so a huge number (2^63, 10^20, a 25-digit page) is refused or clamped where the
parameter is read, never passed to the database (where it overflowed into a 500)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

MAX_OFFSET = 1_000_000_000  # rows: far past any real list, well inside a 64-bit SQL integer
MAX_PAGE = 1_000_000


def page_number(text: str) -> int:
    """A `?page-...=` value as a page (1 for anything that is not plain ASCII digits, such as `²`), at most
    `MAX_PAGE`."""
    if not (text.isascii() and text.isdigit()):
        return 1
    return max(1, MAX_PAGE if len(text) > 7 else min(MAX_PAGE, int(text)))


def cursor(received_at: datetime, order_id: str) -> str:
    """A keyset position for `?after=`: the last row of a page (newest-first lists go on below it), opaque to
    callers."""
    return base64.urlsafe_b64encode(f"{received_at.isoformat()}|{order_id}".encode()).decode().rstrip("=")


def position(text: str) -> tuple[datetime, str]:
    """The position an `?after=` value names; ValueError for anything `cursor` did not make."""
    try:
        at, _, order_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().partition("|")
        if not order_id or len(text) > 200:
            raise ValueError
        return datetime.fromisoformat(at), order_id
    except (ValueError, UnicodeError, binascii.Error):
        raise ValueError("not a position this list gave (use the `next` link as it is)") from None
