"""Finding orders: by order number, customer name (or any word of it), email, phone or postcode.

Each order's search terms are normalized once, when the read model writes the order (`terms_of`: lower case without
accents, the name from each of its words on, the phone as its digits and its last 7-10 digits, the postcode without
spaces) into `order_search`, whose `term` is indexed. A query is
normalized the same ways (`queries_for`) and matched as a prefix of a term: on SQLite as a range of the index
(`term >= 'smi' AND term < 'smj'`), on PostgreSQL as `LIKE 'smi%'` on its `text_pattern_ops` index.
A third party (a manufacturer) may find its orders by order number only: it sees no customer data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, false, or_, select
from sqlalchemy.engine import Connection, Engine

from models.tables import OrderRecord, OrderSearchTerm

from .upsert import insert_new

KINDS = ("order", "name", "email", "phone", "postcode")
MAX_TERM = 254
MIN_QUERY = 2
FEW = 1_000  # a search finding more walks the newest orders (`search_orders`)
PHONE_LIKE = re.compile(r"^[\d\s().+/-]+$")


def _folded(text: str) -> str:
    """Lower case, accents off (`Zoë` is found as typed and as `zoe`), one space between words."""
    text = unicodedata.normalize("NFKD", str(text or "").casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def terms_of(order_id: str, view: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, term) for an order's stored view (a dict, as the read model keeps it); one kind per term."""
    customer, address = view.get("customer") or {}, view.get("shipping_address") or {}
    found: dict[str, str] = {}

    def add(kind: str, term: str) -> None:
        if len(term) >= MIN_QUERY:
            found.setdefault(term[:MAX_TERM], kind)

    add("order", order_id.lower())
    name = _folded(customer.get("name", ""))
    words = name.split()
    for i in range(len(words)):  # the name from each of its words on: "dela cruz" finds Maria Dela Cruz
        add("name", " ".join(words[i:]))
    add("email", _folded(customer.get("email", "")).replace(" ", ""))
    digits = re.sub(r"\D", "", str(customer.get("phone") or ""))
    if len(digits) >= 4:
        add("phone", digits)
        for local in range(7, min(len(digits), 11)):  # without the country (and area) code: +1 312 555 0142 is
            add("phone", digits[-local:])                 # found as 312 555 0142 and as 555 0142 too
    add("postcode", _folded(address.get("postal_code", "")).replace(" ", ""))
    return [(kind, term) for term, kind in found.items()]


def queries_for(q: str) -> list[str]:
    """The prefixes a typed query is looked up as: as typed (folded), without spaces, as digits for a phone."""
    folded = _folded(q)
    if len(folded) < MIN_QUERY:
        return []
    found = [folded, folded.replace(" ", "")]
    digits = re.sub(r"\D", "", folded)
    if PHONE_LIKE.match(folded) and len(digits) >= 4:
        found.append(digits)
    return list(dict.fromkeys(found))


def write_terms(conn: Connection, engine: Engine, order_id: str, view: dict[str, Any]) -> None:
    """Make the order's stored terms exactly `terms_of(view)` (inside the read model's write transaction)."""
    terms = terms_of(order_id, view)
    table = OrderSearchTerm.__table__
    conn.execute(delete(table).where(table.c.order_id == order_id, table.c.term.not_in([t for _, t in terms])))
    if terms:  # (an order with nothing to find it by — a one-character id, no name yet — has no rows)
        conn.execute(insert_new(engine, table, ("term", "order_id")),
                     [{"term": term, "order_id": order_id, "kind": kind} for kind, term in terms])


def _prefix(engine: Engine, prefix: str):  # noqa: ANN202
    term = OrderSearchTerm.__table__.c.term
    if engine.dialect.name == "sqlite":  # a range of the (binary-ordered) index
        last = ord(prefix[-1]) + 1
        if last > 0x10FFFF:
            return term >= prefix
        return and_(term >= prefix, term < prefix[:-1] + chr(0xE000 if 0xD800 <= last < 0xE000 else last))
    return term.startswith(prefix, autoescape=True)


def _matching(engine: Engine, q: str, kinds: Iterable[str]):  # noqa: ANN202
    table = OrderSearchTerm.__table__
    prefixes = queries_for(q)
    return and_(or_(*(_prefix(engine, p) for p in prefixes)) if prefixes else false(), table.c.kind.in_(list(kinds)))


def matching_ids(engine: Engine, q: str, kinds: Iterable[str] = KINDS):  # noqa: ANN201
    """A subquery of the ids of the orders some term of which starts with the query."""
    table = OrderSearchTerm.__table__
    return select(table.c.order_id).where(_matching(engine, q, kinds)).distinct()


def search_orders(engine: Engine, q: str, status: str | None = None, limit: int = 50, offset: int = 0,
                  party: str | None = None, kinds: Iterable[str] = KINDS, after: Any = None) -> list[OrderRecord]:
    """The orders found by `q`, newest first; with `party`, only the orders it may see (`read_model.list_orders`).

    A search finding up to `FEW` orders reads those orders and sorts them; one finding more ("maria", "a") walks the
    newest orders instead, checking each one's terms, and stops at the page: either way a few thousand index
    entries at most, however many orders there are."""
    from .read_model import list_orders  # (read_model writes the terms with this module's `write_terms`)
    with engine.connect() as conn:
        found = list(conn.execute(matching_ids(engine, q, kinds).limit(FEW + 1)).scalars())
    if len(found) <= FEW:
        return list_orders(engine, status, limit, offset, party, order_ids=found, after=after)
    table = OrderSearchTerm.__table__
    return list_orders(engine, status, limit, offset, party, after=after, where=lambda number: select(
        table.c.order_id).where(table.c.order_id == number, _matching(engine, q, kinds)).exists())
