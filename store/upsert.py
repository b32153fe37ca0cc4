"""Single-statement upserts for the read model, in the dialect of the database at hand (SQLite or PostgreSQL).

An `INSERT ... ON CONFLICT` does in one round trip what a read, a merge in the session and a write did in three,
and it stays correct when two writers race: the database, not the process, decides which row exists. The
statements are built once per shape and executed with each call's values.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(engine: Engine, table: Table):
    try:
        return DIALECTS[engine.dialect.name](table)
    except KeyError:
        raise ValueError(f"the read model supports SQLite and PostgreSQL, not {engine.dialect.name}") from None


@lru_cache(maxsize=64)
def upsert(engine: Engine, table: Table, columns: tuple[str, ...], keep: tuple[str, ...] = (),
           increment: tuple[str, ...] = (), returning: bool = False):
    """Insert a row of `columns` (execute with their values), or update the row with the same primary key: every
    column except the key and those in `keep` (which keep what the first insert wrote) takes the new value, and
    those in `increment` go up by one."""
    statement = _insert(engine, table)
    key = [c.name for c in table.primary_key.columns]
    changes = {name: statement.excluded[name] for name in columns
               if name not in key and name not in keep and name not in increment}
    changes.update({name: table.c[name] + 1 for name in increment})
    statement = statement.on_conflict_do_update(index_elements=key, set_=changes)
    return statement.returning(*table.c) if returning else statement


@lru_cache(maxsize=64)
def insert_new(engine: Engine, table: Table, unique: tuple[str, ...]):
    """Insert rows (execute with a list of values), skipping those whose `unique` columns are already stored."""
    return _insert(engine, table).on_conflict_do_nothing(index_elements=list(unique))
