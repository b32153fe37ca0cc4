"""Single-statement upserts for the read model, in the dialect of the database at hand (SQLite or PostgreSQL).

An `INSERT ... ON CONFLICT` does in one round trip what a read, a merge in the session and a write did in three,
and it stays correct when two writers race: the database, not the process, decides which row exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert(engine: Engine, table: Table):
    """The dialect's INSERT for `table`, which has `on_conflict_do_update` and `on_conflict_do_nothing`."""
    try:
        return DIALECTS[engine.dialect.name](table)
    except KeyError:
        raise ValueError(f"the read model supports SQLite and PostgreSQL, not {engine.dialect.name}") from None


def upsert(engine: Engine, table: Table, values: dict[str, Any], keep: tuple[str, ...] = (), **changes: Any):
    """Insert `values`, or update the existing row with the same primary key: every value except the key and the
    columns named in `keep` (which keep what the first insert wrote), and with `changes` where they are given
    (e.g. a counter's increment)."""
    statement = insert(engine, table).values(**values)
    key = {c.name for c in table.primary_key.columns}
    update = {name: statement.excluded[name] for name in values if name not in key and name not in keep}
    update.update(changes)
    return statement.on_conflict_do_update(index_elements=sorted(key), set_=update)
