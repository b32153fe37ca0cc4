"""Issue 31, section 1: what an anonymous client can make the web server spend.

- Bodies: an API post without a valid token is refused (401) before its body is read, and every body is capped
  (`ORDERLY_MAX_REQUEST_BYTES`, 413 with a clear message). Measured on a real `orderly web` process: four parallel
  200 MB posts without a token, four with a token sent chunked and four declaring 200 MB; the process's resident
  memory must not grow by more than four requests (the most sent at once) could each hold under the cap: 4 MiB,
  where buffering the bodies would cost 800 MB. (One cap was the bound until a CI run measured 2.0 MiB: up to a
  cap a request is read, and four at once may each hold part of one.)
- Metrics: made-up methods and unmatched paths count under one label each, so /metrics stays small.
- Echoes: a refused value comes back as a short cut excerpt, not whole (twice).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models.settings import Settings

from .conftest import sofa_form
from .web_process import raw_post, rss_bytes, web_process

MB = 1 << 20
BIG = 200 * MB
AUTH = {"Authorization": "Bearer token-service"}
SHOP = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def web_proc(settings: Settings, client, worker):
    async with web_process(settings, client.service_client.config.target_host) as (base, proc):
        yield base, proc


async def test_big_bodies_cost_no_more_memory_than_the_cap(web_proc, settings):
    base, proc = web_proc
    cap = settings.max_request_bytes
    # every path once, small, so that what is measured is what the big bodies cost (not first-use imports)
    for _ in range(3):
        assert (await raw_post(base, "/api/orders", 10 * MB, {}))[0] == 401
        assert (await raw_post(base, "/api/orders", 4 * MB, AUTH, chunked=True))[0] == 413
        assert (await raw_post(base, "/api/orders", 10 * MB, AUTH))[0] == 413
        assert (await raw_post(base, "/", 4 * MB, SHOP, chunked=True))[0] == 413
    await asyncio.sleep(0.5)
    before = rss_bytes(proc.pid)

    anonymous = await asyncio.gather(*(raw_post(base, "/api/orders", BIG, {}) for _ in range(4)))
    chunked = await asyncio.gather(*(raw_post(base, "/api/orders", BIG, AUTH, chunked=True) for _ in range(4)))
    declared = await asyncio.gather(*(raw_post(base, "/api/orders", BIG, AUTH) for _ in range(4)))
    shop = await asyncio.gather(*(raw_post(base, "/", BIG, SHOP, chunked=True) for _ in range(2)))
    await asyncio.sleep(0.5)
    after = rss_bytes(proc.pid)
    print(f"\norderly web RSS before {before / MB:.1f} MiB, after 14 posts of 200 MB {after / MB:.1f} MiB "
          f"(grew {(after - before) / MB:.2f} MiB; cap {cap / MB:.2f} MiB); answered in "
          f"{max(a[2] for a in anonymous):.2f} s (401), {max(c[2] for c in chunked):.2f} s (413 chunked), "
          f"{max(d[2] for d in declared):.2f} s (413 declared)")

    for status, body, seconds in anonymous:
        assert status == 401 and b"An API token is required" in body, body[:300]
        assert seconds < 2, "refused before the body was read"
    for status, body, _ in chunked + declared:
        assert status == 413, body[:300]
        assert b'"kind":"too_large"' in body and b"larger than this server accepts (1024 KiB)" in body
    for status, body, _ in shop:
        assert status == 413 and b"That was too much to send" in body, body[:300]
    at_once = 4  # the most posts in flight together above; each may be read up to the cap before it is refused
    assert after - before <= at_once * cap, f"the process grew by {(after - before) / MB:.1f} MiB"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:  # and it still serves
        placed = await http.post("/api/orders", json=sofa_form(order_id="AFTER-BIG").model_dump(mode="json"),
                                 headers=AUTH)
        assert placed.status_code == 201, placed.text


async def test_a_wrong_token_is_refused_before_the_body_and_roles_are_still_checked(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        wrong = await http.post("/api/orders", content=b"{" * 5000, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"] == {
            "kind": "unauthorized", "message": "This API token is not valid", "details": None}
        assert wrong.headers["www-authenticate"] == "Bearer"
        forbidden = await http.post("/api/orders", json=sofa_form().model_dump(mode="json"),
                                    headers={"Authorization": "Bearer token-warehouse"})
        assert forbidden.status_code == 403, forbidden.text
        catalog = await http.get("/api/catalog")  # public reads need no token
        assert catalog.status_code == 200


async def test_made_up_methods_and_paths_count_under_one_label_each(web):
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        before = len((await http.get("/metrics")).text)
        for i in range(300):
            await http.request(f"X{i}", "/api/orders")
            await http.get(f"/no/such/path/{i}")
        text = (await http.get("/metrics")).text
    series = [line for line in text.splitlines() if line.startswith("orderly_http_requests_total{")]
    assert not any('method="X' in line for line in series)
    assert any('method="(other)",route="/api/orders",status="405"' in line for line in series), series
    assert not any("/no/such/path" in line for line in series)
    assert any('route="(unmatched)",status="404"' in line for line in series)
    assert len(text) - before < 20_000, f"/metrics grew by {len(text) - before} bytes for 600 made-up requests"


async def test_a_refused_value_is_echoed_as_a_short_excerpt(web):
    """Both layers that refuse a value cut it: the input models (a made-up option name, in the field's path) and the
    form validator (an option value that is not a choice)."""
    async with httpx.AsyncClient(base_url=web, timeout=30) as http:
        body = sofa_form().model_dump(mode="json")
        body["lines"][0]["options"]["y" * 100_000] = "z"
        by_model = await http.post("/api/orders", json=body, headers=AUTH)
        body = sofa_form().model_dump(mode="json")
        body["lines"][0]["options"]["fabric"] = "x" * 500_000
        by_validator = await http.post("/api/orders", json=body, headers=AUTH)
    for refused in (by_model, by_validator):
        assert refused.status_code == 422, refused.text[:500]
        assert len(refused.content) < 3_000, f"a {len(refused.content)}-byte answer echoes the value"
    assert "lines.0.options.yyyyyyyyyy" in by_model.text and "y…" in by_model.text
    assert "'xxxxxxxxxx" in by_validator.text and "x…" in by_validator.text
    assert by_validator.json()["error"]["details"][0]["field"] == "lines[0].options.fabric"
