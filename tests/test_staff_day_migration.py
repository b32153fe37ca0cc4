"""Migration 0010_staff_day fills customer service's incomplete-orders queue and the warehouse's pick list from the
orders already stored (rows written by a release before issue 28 had neither), and its downgrade removes them."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select

from bench.read_model_mix import first_events, order_views
from models.order import OrderStatus
from models.tables import QueueEntry
from models.work_queues import ready_to_ship
from store import database, read_model

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
ENTRIES = QueueEntry.__table__


def kinds(engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ENTRIES.c.queue, ENTRIES.c.order_id).where(
            ENTRIES.c.queue.in_(("incomplete", "ready")))).all()
    found: dict[str, set[str]] = {"incomplete": set(), "ready": set()}
    for queue, order_id in rows:
        found[queue].add(order_id)
    return found


def test_the_migration_fills_the_new_queues_from_stored_orders(settings):
    engine = database.make_engine(settings.db_url)
    views = list(order_views(120, NOW, seed=3))
    for view in views:
        read_model.save_order(engine, view, first_events(view))
    expected = {"incomplete": {v.order_id for v in views if v.status is OrderStatus.incomplete},
                "ready": {v.order_id for v in views if ready_to_ship(v)}}
    assert expected["incomplete"] and expected["ready"], "the mix has both"
    assert kinds(engine) == expected, "written with each order"

    database.downgrade(engine, "0007_staff_accounts")
    assert kinds(engine) == {"incomplete": set(), "ready": set()}
    with engine.begin() as conn:  # as a release before issue 28 left them
        conn.execute(delete(ENTRIES).where(ENTRIES.c.queue.in_(("incomplete", "ready"))))
    database.upgrade(engine)
    assert kinds(engine) == expected
    engine.dispose()
