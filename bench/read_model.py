"""`orderly bench --read-model N`: the read side at 1k, 10k and N orders, on SQLite or PostgreSQL.

Seeds the read model with a realistic mix (`read_model_mix.py`) through the store's own write (`save_order`, as the
activity calls it), in a shuffled order so that every size on the way is a mix of its own (old and new, closed and
open); at 1,000, 10,000 and N orders it times every console page (home with each role's queues, each queue's next
page, search, the next page by `?after=`) and every API list (first page, a status, a search, `offset=5000` (or
the last full page of a smaller list), the `next` link) for each role, and the insights page and its JSON
(`/api/insights`, the last 12 months and the mix's whole three years) for the roles that may see them, in process
over ASGI (no network in the figures). Writes `read-model.json` and
`read-model.png`; the database stays at `DIR/read-model.db` (or at `--database-url`).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from models.order import TimelineEvent
from models.settings import Settings
from store import read_model

from .read_model_mix import first_events, order_views
from .read_model_report import write_report

ROLES = {"admin": "admin", "warehouse": "warehouse", "accounts": "accounts", "customer-service": "customer-service",
         "manufacturer": "manufacturer:nordwood"}
SIZES = (1_000, 10_000)
INSIGHTS_ROLES = ("admin", "customer-service", "manufacturer")
REASONS = ("Fabric out of stock", "Supplier late", "Carrier strike", "Workshop backlog", "Wrong finish, remade",
           "Holiday closure", "Quality check failed", "Customer asked to wait")
REPEATS = 7
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
FIRST_DAY = (NOW - timedelta(days=3 * 365)).date()


def run(n: int, out: Path, database_url: str | None = None, echo=print) -> dict[str, Any]:  # noqa: ANN001
    out.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        for suffix in ("", "-wal", "-shm"):
            (out / f"read-model.db{suffix}").unlink(missing_ok=True)
    settings = Settings(var_dir=out / "var", database_url=database_url or f"sqlite:///{out / 'read-model.db'}",
                        secret_key="bench-read-model", api_tokens={f"token-{r}": v for r, v in ROLES.items()},
                        _env_file=None)
    from store.database import make_engine
    engine = make_engine(settings.db_url)
    views = list(order_views(n, NOW))
    random.Random(26).shuffle(views)
    report: dict[str, Any] = {"orders": n, "database": engine.dialect.name, "sizes": [], "seeding": []}
    seeded, started = 0, time.perf_counter()
    for size in sorted({s for s in SIZES if s < n} | {n}):
        t0 = time.perf_counter()
        for view in views[seeded:size]:
            read_model.save_order(engine, view, first_events(view) + delay_events(view))
        report["seeding"].append({"orders": size, "seconds": round(time.perf_counter() - t0, 1),
                                  "per_order_ms": round((time.perf_counter() - t0) * 1000 / (size - seeded), 3)})
        seeded = size
        echo(f"seeded {size:,} orders ({time.perf_counter() - started:.0f} s so far); timing the pages")
        report["sizes"].append({"orders": size, "pages": asyncio.run(time_pages(settings, views[:size]))})
    report["seeding_seconds"] = round(sum(s["seconds"] for s in report["seeding"]), 1)
    engine.dispose()
    write_report(report, out)
    return report


def delay_events(view) -> list:  # noqa: ANN001
    """A delay staff reported, with its reason, on about one accepted order in seven (for the insights page)."""
    rng = random.Random(view.order_id)
    if not view.parts or rng.random() > 0.15:
        return []
    part = rng.choice(view.parts)
    day = view.received_at + timedelta(days=rng.randint(3, 30))
    return [TimelineEvent(seq=3, at=day, kind="status:delayed", text="Delayed", data={
        "reason": rng.choice(REASONS), "date": part.expected_fulfillment_date.isoformat(),
        "previous_date": part.original_fulfillment_date.isoformat(), "departments": [part.department]})]


async def time_pages(settings: Settings, seeded: list) -> dict[str, dict[str, float]]:
    """Median and p95 milliseconds of each page and list, for each role."""
    from starter.web_app import create_app
    app = create_app(settings, client=None)
    app.state.client = None  # the lists and queues read the store only
    transport = httpx.ASGITransport(app=app)
    found: dict[str, dict[str, float]] = {}
    newest = max(seeded, key=lambda v: v.received_at)
    name = newest.customer.name
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for role in ROLES:
            token = f"token-{role}"
            api = {"Authorization": f"Bearer {token}"}
            console = await signed_in(http, token)
            deep = min(5000, seen(seeded, ROLES[role]) - 50)  # a full page (at 1,000 orders there is no 5,000th)
            home = await http.get("/staff", cookies=console)
            pages = {f"console home ({role})": ("/staff", None),
                     f"console search ({role})": (f"/staff?q={newest.order_id[:9] if role == 'manufacturer' else name}",
                                                  None),
                     f"console next page ({role})": ("/staff" + next_link(home.text), None),
                     f"api list ({role})": ("/api/orders?limit=50", api),
                     f"api list confirmed ({role})": ("/api/orders?limit=50&status=confirmed", api),
                     f"api search ({role})": (f"/api/orders?limit=50&q={newest.order_id[:9]}", api),
                     f"api offset 5000 or the last page ({role})": (f"/api/orders?limit=50&offset={deep}", api)}
            if role != "manufacturer":  # a name thousands of customers share (a twentieth of them): "many" found
                pages[f"console search, a first name ({role})"] = ("/staff?q=maria", None)
            first = (await http.get("/api/orders?limit=50", headers=api)).json()
            if first.get("next"):
                pages[f"api next ({role})"] = (first["next"], api)
            if role in INSIGHTS_ROLES:  # the insights page (charts included) and its JSON: the last 12 months, and
                #                        the whole three years the mix spans
                pages[f"console insights ({role})"] = ("/staff/insights", None)
                pages[f"api insights ({role})"] = ("/api/insights", api)
                pages[f"api insights, 3 years ({role})"] = (f"/api/insights?from={FIRST_DAY}&to={NOW.date()}", api)
            for key in queue_keys(home.text):
                pages[f"console queue {key} page 2 ({role})"] = (f"/staff?page-{key}=2", None)
            for label, (path, headers) in pages.items():
                found[label] = await timed(http, path, headers, None if headers else console)
    found.update(order_page_reads(settings, newest.order_id))
    return found


def seen(views: list, role: str) -> int:
    """How many of the orders a role's lists hold (a manufacturer's: those it makes a part of)."""
    maker = role.partition(":")[2]
    return sum(1 for v in views if not maker or any(line.fulfiller == maker for line in v.lines))


async def signed_in(http: httpx.AsyncClient, token: str) -> dict[str, str]:
    page = await http.get("/staff/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = await http.post("/staff/login", data={"csrf": csrf, "token": token}, cookies=page.cookies)
    return dict(response.cookies)


def next_link(html: str) -> str:
    tail = html.split('id="by-status"')[1]
    return tail.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&") if 'rel="next"' in tail else ""


def queue_keys(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('class="work-queue" id="queue-')[1:]]


async def timed(http: httpx.AsyncClient, path: str, headers, cookies) -> dict[str, float]:  # noqa: ANN001
    took = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        response = await http.get(path, headers=headers, cookies=cookies)
        took.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return {"median_ms": round(statistics.median(took), 2), "max_ms": round(max(took), 2)}


def order_page_reads(settings: Settings, order_id: str) -> dict[str, dict[str, float]]:
    """An order's page asks its workflow for the order (Temporal, not the read model: the same at any size); what
    it reads from the read model is the order's messages and timeline, timed here."""
    from store import message_log
    from store.database import make_engine
    engine, took = make_engine(settings.db_url), []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        message_log.list_messages(engine, order_id)
        read_model.timeline(engine, order_id)
        took.append((time.perf_counter() - t0) * 1000)
    return {"order page, read-model reads (all roles)": {"median_ms": round(statistics.median(took), 2),
                                                         "max_ms": round(max(took), 2)}}
