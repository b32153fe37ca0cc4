"""The read-model schema is Alembic's: empty database to head and back, no drift from the tables, safe concurrent
starts, databases made before migrations adopted, idempotent writes. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

from store import database, read_model
from store.message_log import list_messages
from models.order import OrderView, TimelineEvent
from models.tables import MessageRecord, OrderRecord, TimelineRecord
from tests.conftest import TEST_DATABASE, sofa_form

ORDERLY = str(Path(sys.executable).parent / "orderly")
TABLES = {"orders", "order_timeline", "messages"}


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (not made from the migrated template)."""
    if TEST_DATABASE == "postgres":
        admin = request.getfixturevalue("postgres")
        name = f"e_{uuid.uuid4().hex[:12]}"
        url = admin.create(name)
        yield url
        admin.drop(name)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


def schema_drift(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


def test_empty_database_upgrades_to_head_and_back_down(empty_url: str):
    engine = database.make_engine(empty_url, migrate=False)
    assert database.current_revision(engine) is None
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    database.downgrade(engine, "base")
    assert database.current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    database.upgrade(engine)  # and up again: every downgrade undid exactly what its upgrade did
    assert database.current_revision(engine) == database.head_revision()
    engine.dispose()


def test_migrated_schema_matches_the_tables_in_models(empty_url: str):
    """A column added to models/tables.py without a migration fails here."""
    engine = database.make_engine(empty_url)
    assert schema_drift(engine) == [], "models/tables.py and the migrations disagree; add a revision"
    engine.dispose()


# `orderly db upgrade` with Alembic's own log on (INFO): each migration it runs is logged as "Running upgrade".
ORDERLY_LOGGING_MIGRATIONS = ("import logging, sys; logging.basicConfig(level=logging.WARNING, stream=sys.stdout); "
                              "logging.getLogger('alembic.runtime.migration').setLevel(logging.INFO); "
                              "from starter.cli import main; sys.argv = ['orderly', 'db', 'upgrade']; main()")


def test_several_processes_starting_at_once_migrate_once(empty_url: str):
    """Three processes upgrade an empty database at the same moment: all succeed, and each revision's migration
    ran once among them (counted from Alembic's log), not once per process."""
    env_url = {"ORDERLY_DATABASE_URL": empty_url}
    procs = [subprocess.Popen([sys.executable, "-c", ORDERLY_LOGGING_MIGRATIONS], env={**os.environ, **env_url},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    runs = [line for out in outputs for line in out.splitlines() if "Running upgrade" in line]
    revisions = [line.split("Running upgrade", 1)[1].split(",")[0].strip() for line in runs]
    chain = [f"{r.down_revision or ''} -> {r.revision}".lstrip() for r in reversed(list(
        ScriptDirectory.from_config(database.alembic_config()).walk_revisions()))]
    assert revisions == chain, outputs  # every revision once, in order, whichever process ran them
    assert sum(bool(any("Running upgrade" in line for line in out.splitlines())) for out in outputs) == 1, outputs
    engine = database.make_engine(empty_url, migrate=False)
    assert database.current_revision(engine) == database.head_revision()
    engine.dispose()


def test_a_database_made_before_migrations_is_adopted_with_its_rows(empty_url: str):
    legacy = database.make_engine(empty_url, migrate=False)
    database.upgrade(legacy, database.INITIAL_REVISION)  # the tables `create_all` made before migrations existed ...
    with legacy.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # ... and no record of any revision
    with Session(legacy) as session:
        session.add(OrderRecord(order_id="ORD-OLD", status="confirmed", channel="web",
                                received_at=datetime(2026, 1, 2, tzinfo=timezone.utc)))
        session.commit()
    legacy.dispose()
    engine = database.make_engine(empty_url)
    assert database.current_revision(engine) == database.head_revision()
    assert [r.order_id for r in read_model.list_orders(engine)] == ["ORD-OLD"]
    engine.dispose()


def test_repeated_writes_never_duplicate_rows_or_timeline_entries(engine):
    form = sofa_form()
    view = OrderView(order_id="ORD-TWICE", status="confirmed", channel=form.channel, customer=form.customer,
                     shipping_address=form.shipping_address, received_at=datetime(2026, 11, 29, tzinfo=timezone.utc))
    events = [TimelineEvent(seq=1, at=view.received_at, kind="received", text="Order received"),
              TimelineEvent(seq=2, at=view.received_at, kind="confirmed", text="Order confirmed")]
    for _ in range(2):  # a retried activity
        read_model.save_order(engine, view, events)
    message = MessageRecord(key="ORD-TWICE/order_confirmation/customer/1", order_id="ORD-TWICE",
                            kind="order_confirmation", recipient="ada@example.com", subject="Your order")
    for _ in range(2):
        read_model.log_message(engine, message)
    with Session(engine) as session:
        assert len(session.exec(select(OrderRecord)).all()) == 1
        assert [t.seq for t in session.exec(select(TimelineRecord))] == [1, 2]
        assert len(session.exec(select(MessageRecord)).all()) == 1
    assert read_model.list_orders(engine)[0].total == str(Decimal("0"))
    assert engine.dialect.name == ("postgresql" if TEST_DATABASE == "postgres" else "sqlite")


def test_orderly_db_commands_report_the_revision_and_refuse_unknown_ones(empty_url: str):
    env = {**os.environ, "ORDERLY_DATABASE_URL": empty_url}

    def db(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([ORDERLY, "db", *args], env=env, capture_output=True, text=True, timeout=60)

    assert "at revision base (empty); newest" in db("current").stdout
    head = database.head_revision()
    assert f"at revision {head}" in db("upgrade").stdout
    assert "(up to date)" in db("current").stdout
    unknown = db("downgrade", "no-such-revision")
    assert unknown.returncode == 1 and "Can't locate revision identified by 'no-such-revision'" in unknown.stderr
    assert "at revision base (empty)" in db("downgrade", "base").stdout
    unreachable = subprocess.run([ORDERLY, "db", "current"], capture_output=True, text=True, timeout=60,
                                 env={**env, "ORDERLY_DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:1/x"})
    assert unreachable.returncode == 1 and "cannot reach the database (127.0.0.1:1/x)" in unreachable.stderr
    assert "y@" not in unreachable.stderr  # no password in the message


def test_every_migration_keeps_the_rows_of_a_database_in_use(empty_url: str):
    """Each revision up and down on a database that has orders, timeline entries and logged messages: nothing is
    lost, and columns a revision adds get their defaults on the rows already there."""
    engine = database.make_engine(empty_url, migrate=False)
    database.upgrade(engine, database.INITIAL_REVISION)
    at = datetime(2026, 1, 2, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO orders (order_id, status, channel, customer_name, customer_email, total, currency, "
            "received_at, shipped, updated_at) VALUES ('ORD-ROWS', 'shipped', 'web', 'Ada', 'ada@example.com', "
            "'1299.00', 'USD', :at, :yes, :at)"), {"at": at, "yes": True})
        conn.execute(text("INSERT INTO order_timeline (order_id, seq, at, kind, text) VALUES "
                          "('ORD-ROWS', 1, :at, 'received', 'Order received'), "
                          "('ORD-ROWS', 2, :at, 'status:shipped', 'Shipped')"), {"at": at})
        conn.execute(text(
            "INSERT INTO messages (key, order_id, kind, recipient, subject, status, provider_id, attempts, text, "
            "html, created_at, sent_at) VALUES ('ORD-ROWS/order_confirmation/customer/1', 'ORD-ROWS', "
            "'order_confirmation', 'ada@example.com', 'Your order', 'sent', 'sg-1', 1, 'hello', '<p>hello</p>', "
            ":at, :at)"), {"at": at})

    def rows() -> tuple:
        with engine.connect() as conn:
            return (conn.execute(text("SELECT order_id, status, total FROM orders")).all(),
                    conn.execute(text("SELECT seq, kind FROM order_timeline ORDER BY seq")).all(),
                    conn.execute(text("SELECT key, status, provider_id, attempts FROM messages")).all())
    kept = rows()
    assert kept[0] == [("ORD-ROWS", "shipped", "1299.00")] and len(kept[1]) == 2 and len(kept[2]) == 1
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    assert rows() == kept
    [message] = list_messages(engine, order_id="ORD-ROWS")
    assert (message.channel, message.last_error, message.status) == ("email", "", "sent")
    assert [r.order_id for r in read_model.list_orders(engine)] == ["ORD-ROWS"]
    database.downgrade(engine, database.INITIAL_REVISION)
    assert rows() == kept
    database.upgrade(engine)
    assert rows() == kept and schema_drift(engine) == []
    engine.dispose()
