"""Search finds what staff type, keyset paging walks a whole list, and the read side's queries use indexes:

- "Dela Cruz" (a name of several words, as the customer wrote it), a local phone number without its country code
  ("555 0142", "5550142"), an order number's prefix, a name typed without its accents;
- non-ASCII and malformed `q` and `after` are matched or refused (422), never a 500;
- `next` links (`?after=`) in the API and the console give every row once, in the order `offset` gives them;
- on PostgreSQL, `EXPLAIN` shows every list, count, queue and search reading an index, not the whole table.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bench.read_model_mix import first_events, order_views
from models.order import Customer
from store import read_model, search
from tests.conftest import TEST_DATABASE
from tests.test_web_pages import staff_session

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)


def seed(engine, n: int = 120, prefix: str = "SRCH") -> list:
    views = list(order_views(n, NOW, seed=11, prefix=prefix))
    views[0] = views[0].model_copy(update={"customer": Customer(name="Maria Dela Cruz", email="mdc@example.com",
                                                                phone="+1 (757) 555-0142")})
    views[1] = views[1].model_copy(update={"customer": Customer(name="Zoë Brontë-Smith", email="zb@example.com",
                                                                phone="+44 20 7946 0958")})
    for view in views:
        read_model.save_order(engine, view, first_events(view))
    return views


def found(engine, q: str) -> list[str]:
    return [r.order_id for r in search.search_orders(engine, q, limit=500)]


def test_search_finds_what_staff_type(engine):
    views = seed(engine)
    dela_cruz, zoe = views[0].order_id, views[1].order_id
    for q in ("Dela Cruz", "dela cruz", "DELA CRUZ", "Maria Dela Cruz", "dela", "Cruz", "555 0142", "5550142",
              "555-0142", "757 555 0142", "+1 757 555 0142", "17575550142", "mdc@example.com"):
        assert dela_cruz in found(engine, q), q
    assert found(engine, "555 0142") == [dela_cruz], "a local number finds only its own order here"
    for q in ("Zoë", "zoe bronte", "Brontë-Smith", "7946 0958", "020 7946"[1:]):
        assert zoe in found(engine, q), q
    assert set(found(engine, "SRCH-000001")) == {v.order_id for v in views if v.order_id.startswith("SRCH-000001")
                                                 } == {f"SRCH-000001{k}" for k in range(10)}, "an order number's prefix"
    assert found(engine, "srch-0000001") == [views[0].order_id]
    assert found(engine, "cruz maria") == [] and found(engine, "5550143") == []


@pytest.mark.parametrize("q", ["Ж", "日本語", "a\ud7ff", "\U0010fffd", "%", "_a", "a%b", "'; drop table orders;--",
                               "\\", "é" * 200, "\U0001F600 smile", "ǅ", "ﬃ"])
def test_any_text_is_matched_or_found_empty_never_an_error(engine, q):
    seed(engine, 5)
    assert isinstance(found(engine, q), list)


async def test_malformed_q_and_after_are_refused_and_next_links_walk_every_row(web, engine):
    views = seed(engine, 75)
    newest_first = [v.order_id for v in sorted(views, key=lambda v: v.received_at, reverse=True)]
    async with httpx.AsyncClient(base_url=web, headers={"Authorization": "Bearer token-admin"}) as api:
        for q in ("a\x00b", "a\nb", "\u202e", "x" * 201):
            response = await api.get("/api/orders", params={"q": q})
            assert response.status_code == 422, (q, response.text)
        for raw in ("q=%ff%fe", "q=%ed%a0%80", "q=%c3", "after=%ff", "q=a%00"):  # not UTF-8, a surrogate, a NUL
            assert (await api.get(f"/api/orders?{raw}")).status_code in (200, 422), raw
        for q in ("Ж", "日本語", "%", "dela cruz", "\U0010fffd"):
            assert (await api.get("/api/orders", params={"q": q})).status_code == 200, q
        for after in ("nonsense", "é", "!!!", "a" * 201):
            assert (await api.get("/api/orders", params={"after": after})).status_code == 422, after
        walked, link = [], "/api/orders?limit=20"
        while link:
            page = (await api.get(link)).json()
            walked += [item["order_id"] for item in page["items"]]
            link = page["next"]
        assert walked[:len(newest_first)] == newest_first[:len(walked)] and set(newest_first) <= set(walked)
        by_offset = (await api.get("/api/orders", params={"limit": 20, "offset": 40})).json()
        assert [i["order_id"] for i in by_offset["items"]] == walked[40:60] and by_offset["next_offset"] == 60
        maker = await api.get("/api/orders", params={"limit": 5}, headers={"Authorization": "Bearer token-manufacturer"})
        theirs = [v.order_id for v in sorted(views, key=lambda v: v.received_at, reverse=True)
                  if any(line.fulfiller == "nordwood" for line in v.lines)]
        assert [i["order_id"] for i in maker.json()["items"]] == theirs[:5]
        after = (await api.get(maker.json()["next"], headers={"Authorization": "Bearer token-manufacturer"})).json()
        assert [i["order_id"] for i in after["items"]] == theirs[5:10]

    console = await staff_session(web, "token-admin")
    html = (await console.get("/staff")).text
    shown = []
    while True:
        table = html.split('id="orders"')[1].split("</table>")[0]
        shown += [row.split('"')[0] for row in table.split('<a href="/staff/orders/')[1:]]
        if 'rel="next"' not in html.split('id="by-status"')[1]:
            break
        link = html.split('id="by-status"')[1].split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
        html = (await console.get("/staff" + link)).text
    assert set(shown) >= set(newest_first) and len(shown) == len(set(shown))
    assert (await console.get("/staff", params={"after": "garbage"})).status_code == 422
    found_page = (await console.get("/staff", params={"q": "Dela Cruz"})).text
    assert found_page.index('id="by-status"') < found_page.index('id="queues"'), "results above the queues"
    assert views[0].order_id in found_page.split('id="orders"')[1].split("</table>")[0]
    assert (await console.get("/staff", params={"q": "日本語"})).status_code == 200
    await console.aclose()


@pytest.mark.skipif(TEST_DATABASE != "postgres", reason="EXPLAIN plans are PostgreSQL's (ORDERLY_TEST_DATABASE)")
def test_every_list_queue_count_and_search_reads_an_index(engine, settings):
    from starter import console_queues
    from starter.auth import Caller

    seed(engine, 2000)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    statements: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append((statement, parameters))

    from sqlalchemy import event
    event.listen(engine, "before_cursor_execute", record)
    today = NOW.date()
    for role in ("admin", "warehouse", "customer-service", "manufacturer:nordwood"):
        caller = Caller.of(role, "fp")
        party = caller.party or None
        read_model.list_orders(engine, None, 50, 0, party)
        read_model.list_orders(engine, "confirmed", 50, 0, party)
        read_model.list_orders(engine, None, 50, 0, party, after=(NOW - timedelta(days=30), "SRCH-0001000"))
        read_model.count_by_status(engine, party)
        read_model.count_by_status(engine, party, cap=100)  # the console's
        search.search_orders(engine, "maria dela cruz" if party is None else "srch-00012", None, 50, 0, party,
                             ("order",) if party else search.KINDS)  # a few found: read and sorted
        search.search_orders(engine, "srch-", None, 50, 0, party, ("order",))  # all 2,000: the newest walked
        console_queues.queues_for(engine, settings, caller, today, {})
        console_queues.overdue(engine, caller, today, 20)
    event.remove(engine, "before_cursor_execute", record)
    reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) > 30
    big = ("orders", "order_parties", "order_search", "order_timeline")
    with engine.connect() as conn:
        for statement, parameters in reads:
            if "FROM orders GROUP BY orders.status" in statement:
                continue  # the count of every order by status reads every order (or its index): nothing to narrow
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert not any(f"Seq Scan on {table} " in plan for table in big), (statement, plan)
            if "queue_entries" in statement:  # a few hundred rows here, where a scan is the planner's right choice:
                conn.exec_driver_sql("SET enable_seqscan = off")  # the query must be one its indexes answer
                plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
                conn.exec_driver_sql("SET enable_seqscan = on")
            assert "Index" in plan and "Seq Scan" not in plan, (statement, plan)
