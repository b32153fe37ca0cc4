"""The read model's role-scoped lists, counts, queues and the overdue list answer exactly what the old filters over
stored views answered (`tests/read_model_oracle.py`): the same rows in the same order, for every role, on a mixed
data set written through the store's own write (`save_order`)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bench.read_model_mix import first_events, order_views
from models.tables import OrderSearchTerm
from starter import console_queues
from starter.auth import Caller
from starter.read_scopes import scope
from store import read_model, search
from tests import read_model_oracle as oracle

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
ROLES = ("admin", "warehouse", "accounts", "customer-service", "manufacturer:nordwood", "manufacturer:fabrica",
         "manufacturer:nobody")
DEPARTMENTS = {"warehouse": ["warehouse"], "accounts": ["accounts-receivable"]}


@pytest.fixture
def mixed(engine, settings):
    views = list(order_views(400, NOW, seed=7))
    for view in views:
        read_model.save_order(engine, view, first_events(view))
    today = NOW.astimezone(ZoneInfo(settings.company_timezone)).date()
    return views, today


def caller_of(role: str) -> Caller:
    return Caller.of(role, "fp")


@pytest.mark.parametrize("role", ROLES)
def test_role_scoped_lists_and_counts_are_the_old_filters(engine, settings, mixed, role):
    views, _ = mixed
    caller = caller_of(role)
    party = caller.party or None
    assert len({v.status for v in views}) >= 9, "the data set has every kind of order"
    for status in (None, "completed", "confirmed", "delivered", "cancelled"):
        for limit, offset in ((50, 0), (20, 20), (7, 3), (1000, 0), (10, 395)):
            got = [r.order_id for r in read_model_list(engine, caller, status, limit, offset)]
            assert got == oracle.listed(views, party, status, limit, offset), (status, limit, offset)
    assert read_model_counts(engine, caller) == oracle.counts(views, party)
    for cap in (3, 40):  # the console's counts: each status up to cap + 1 ("more than cap")
        assert read_model.count_by_status(engine, scope(caller), cap) == {
            status: min(n, cap + 1) for status, n in oracle.counts(views, party).items()}
    if party == "nobody":
        assert oracle.counts(views, party) == {}


@pytest.mark.parametrize("few", [search.FEW, 3])  # 3: every search but the last finds "many" (walks the newest)
@pytest.mark.parametrize("role", ROLES)
def test_role_scoped_search_is_the_old_filter(engine, settings, mixed, role, few, monkeypatch):
    monkeypatch.setattr(search, "FEW", few)
    views, _ = mixed
    caller = caller_of(role)
    party = caller.party or None
    kinds = ("order",) if party else search.KINDS
    for q in ("ORD-00003", "ord-0001", "dela", "katherine johnson", "555", "zz-nothing"):
        with Session(engine) as session:
            ids = set(session.exec(select(OrderSearchTerm.order_id).where(
                OrderSearchTerm.order_id.in_(search.matching_ids(engine, q, kinds)))))
        for status in (None, "completed"):
            for limit, offset in ((50, 0), (5, 5)):
                got = [r.order_id for r in read_model_search(engine, caller, q, status, limit, offset, kinds)]
                assert got == oracle.listed(views, party, status, limit, offset, ids), (q, status, limit, offset)


@pytest.mark.parametrize("role", ROLES)
def test_every_queue_and_the_overdue_list_are_the_old_filters(engine, settings, mixed, role):
    views, today = mixed
    caller = caller_of(role)
    party = caller.party or None
    departments = [party] if party else DEPARTMENTS.get(caller.role)
    expected = oracle.queues(views, party, departments, settings, today, console_queues.ROLE_QUEUES[caller.role])
    found = {}
    for queue in console_queues.queues_for(engine, settings, caller, today, {}):
        entries = []
        for page in range(1, queue.pages + 1):
            [paged] = [q for q in console_queues.queues_for(engine, settings, caller, today, {queue.key: page})
                       if q.key == queue.key]
            assert paged.count == queue.count
            entries += [(e.view.order_id, e.due, e.note) for e in paged.shown]
        found[queue.key] = entries
    assert found == expected
    assert sum(map(len, expected.values())) > 0 or party == "nobody"
    assert overdue_ids(engine, caller, today) == oracle.overdue(views, party, today)


# The read model's answers, as the console and the API ask for them.

def read_model_list(engine, caller, status, limit, offset):
    return read_model.list_orders(engine, status, limit, offset, scope(caller))


def read_model_search(engine, caller, q, status, limit, offset, kinds):
    return search.search_orders(engine, q, status, limit, offset, scope(caller), kinds)


def read_model_counts(engine, caller):
    return read_model.count_by_status(engine, scope(caller))


def overdue_ids(engine, caller, today):
    entries, count = console_queues.overdue(engine, caller, today, 10_000)
    assert count == len(entries)
    return [e.view.order_id for e in entries]
