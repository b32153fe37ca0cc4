"""The insights facts as `save_order` writes them (`store/insight_rows.py`): rewritten whole on every save, so a
retried write leaves the same rows; the fields a form was missing kept after it is completed; and migration
`0008_insights` filling them from the orders stored before it."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from models.order import OrderStatus
from models.tables import (InsightDelay, InsightLine, InsightMissingField, InsightOrder, InsightPart, InsightRequest)
from store import database, read_model
from store.insights import insights, period
from tests.insights_seed import FABRIC, TODAY, accepted, base, seed

TABLES = (InsightPart, InsightLine, InsightDelay, InsightOrder, InsightRequest, InsightMissingField)


def rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.__tablename__: sorted(tuple(r) for r in conn.execute(select(t.__table__))) for t in TABLES}


def test_a_retried_save_leaves_the_same_rows(engine):
    seed(engine)
    before = rows(engine)
    view, events = accepted("I-08", seq=2)
    read_model.save_order(engine, view, events)  # the activity retried with the same input
    read_model.save_order(engine, view, [])      # and a later save with nothing new
    assert rows(engine) == before
    assert len(before["insight_parts"]) == 10 and len(before["insight_delays"]) == 3
    assert len(before["insight_orders"]) == 11 and len(before["insight_missing_fields"]) == 3


def test_a_later_save_rewrites_the_order_facts(engine):
    view, _ = accepted("R-1", seq=2)
    unshipped = view.model_copy(update={"shipments": [], "status": OrderStatus.confirmed, "feedback": None,
                                        "feedback_call": None})
    read_model.save_order(engine, unshipped, [])
    with engine.connect() as conn:
        part = conn.execute(select(InsightPart.__table__)).one()._mapping
        assert part["kept"] is None and part["open"] is True and part["shipped_on"] is None
    read_model.save_order(engine, view, [])
    with engine.connect() as conn:
        part = conn.execute(select(InsightPart.__table__)).one()._mapping
        assert part["kept"] is True and part["open"] is False and str(part["shipped_on"]) == "2026-10-19"
        order = conn.execute(select(InsightOrder.__table__)).one()._mapping
        assert order["feedback_channel"] == "survey" and order["rating"] is None


def test_the_missing_fields_outlive_the_forms_completion(engine):
    incomplete = base("M-1").model_copy(update={"status": OrderStatus.incomplete, "problems": [FABRIC]})
    read_model.save_order(engine, incomplete, [])
    view, _ = accepted("M-1", seq=2)
    read_model.save_order(engine, view, [])  # complete now: the view has no problems left
    assert view.problems == []
    with engine.connect() as conn:
        missing = conn.execute(select(InsightMissingField.__table__)).all()
    assert [(m.order_id, m.field, m.name, m.line) for m in missing] == [("M-1", "lines[0].options.fabric", "fabric", 0)]
    found = insights(engine, period("2026-01-01", "2026-11-30", TODAY))
    assert found["form"]["missing_fields"] == [{"product_type": "sofa", "field": "fabric", "orders": 1}]


def test_the_migration_fills_the_facts_of_orders_stored_before_it(engine):
    seed(engine)
    expected = insights(engine, period("2026-01-01", "2026-11-30", TODAY))
    database.downgrade(engine, "0007_staff_accounts")  # as a database was before issue 29: no insight tables
    database.upgrade(engine)
    found = insights(engine, period("2026-01-01", "2026-11-30", TODAY))
    # the fields an order's form was missing were in its view only while it was incomplete: for the orders
    # completed before the migration they are not known (I-01 and I-02); the expired I-11's still are
    assert found["form"]["missing_fields"] == [{"product_type": "", "field": "customer.phone", "orders": 1}]
    assert {k: v for k, v in found.items() if k != "form"} == {k: v for k, v in expected.items() if k != "form"}
    assert {k: v for k, v in found["form"].items() if k != "missing_fields"} == {
        k: v for k, v in expected["form"].items() if k != "missing_fields"}


def test_facts_deleted_by_hand_come_back_with_the_next_save(engine):
    seed(engine)
    before = rows(engine)
    with engine.begin() as conn:
        for table in TABLES[:-1]:
            conn.execute(delete(table.__table__))
    for n in range(1, 11):
        view, _ = accepted(f"I-{n:02d}", seq=2)
        read_model.save_order(engine, view, [])
    read_model.save_order(engine, base("I-11").model_copy(update={"status": OrderStatus.expired}), [])
    assert rows(engine) == before
