"""The read-model database: one engine per process, SQLite by default (WAL), PostgreSQL by URL.

The schema is Alembic's (`store/migrations/`): `make_engine` brings the database to the newest revision before handing
the engine out, under a lock, so several processes starting at once migrate it exactly once (PostgreSQL: a
transaction-scoped advisory lock; SQLite: a lock file beside the database). `orderly db` runs the same steps by hand.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import create_engine

from store import migrations
from store.private_files import private_file
from models import tables  # noqa: F401  (registers the tables)

MIGRATIONS_DIR = Path(migrations.__file__).parent
INITIAL_REVISION = "0001"
ADVISORY_LOCK_ID = 0x0D0E_01DE  # any constant: every Orderly process takes the same lock around migrations

_lock = threading.Lock()
_at_head: set[str] = set()  # URLs this process has already brought to head


def make_engine(url: str, migrate: bool = True) -> Engine:
    """An engine for `url`; with `migrate`, the database is upgraded to the newest revision first."""
    if url.startswith("sqlite:///"):
        private_file(Path(url.removeprefix("sqlite:///")))  # 0600 in a 0700 dir (SQLite gives -wal/-shm its mode)
        # connections kept open for a worker's 16 activity threads (ORDERLY_WORKER_MAX_CONCURRENT_ACTIVITIES): past
        # the default pool of 5, each write opened a new connection (and ran the pragmas below) and closed it again
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
                               max_overflow=10)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        # enough connections for a worker's activity threads (ORDERLY_WORKER_MAX_CONCURRENT_ACTIVITIES, 16) at once
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if migrate:
        key = engine.url.render_as_string(hide_password=False)
        with _lock:
            if key not in _at_head:
                upgrade(engine)
                _at_head.add(key)
    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to `revision` under the migration lock. A database made before migrations existed (by `create_all`)
    is stamped with the initial revision first, so its tables are kept."""
    with migration_lock(engine) as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        names = set(inspect(conn).get_table_names())
        if "alembic_version" not in names and "orders" in names:
            command.stamp(config, INITIAL_REVISION)
        command.upgrade(config, revision)
    _at_head.discard(engine.url.render_as_string(hide_password=False))


def downgrade(engine: Engine, revision: str) -> None:
    with migration_lock(engine) as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    _at_head.discard(engine.url.render_as_string(hide_password=False))


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the cross-process migration lock."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
            yield conn
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with open(f"{engine.url.database}.migrate.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with engine.begin() as conn:
                    yield conn
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    else:
        with engine.begin() as conn:
            yield conn
