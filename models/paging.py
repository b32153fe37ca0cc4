"""How far into a list a caller may ask: one bound for every surface (the API's `offset`, the CLI's `--offset`, the
staff console's `?page-<queue>=`), so a huge number (2^63, 10^20, a 25-digit page) is refused or clamped where the
parameter is read, never passed to the database (where it overflowed into a 500)."""

from __future__ import annotations

MAX_OFFSET = 1_000_000_000  # rows: far past any real list, well inside a 64-bit SQL integer
MAX_PAGE = 1_000_000


def page_number(text: str) -> int:
    """A `?page-...=` value as a page (1 for anything that is not plain ASCII digits, such as `²`), at most
    `MAX_PAGE`."""
    if not (text.isascii() and text.isdigit()):
        return 1
    return max(1, MAX_PAGE if len(text) > 7 else min(MAX_PAGE, int(text)))
