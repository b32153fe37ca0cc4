"""`/healthz` (the process answers), `/readyz` (Temporal and the database answer) and `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from .temporal_link import TemporalLink
from .web_metrics import RequestMetrics, metrics_text

CHECK_TIMEOUT = 3.0  # seconds for each dependency to answer


def router() -> APIRouter:
    ops = APIRouter(tags=["operations"])

    @ops.get("/healthz", summary="the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @ops.get("/readyz", summary="Temporal and the database are reachable (503 naming what is not)")
    async def readyz(request: Request) -> JSONResponse:
        checks = dict(zip(("temporal", "database"), await asyncio.gather(
            check(temporal_ok(request)), check(asyncio.to_thread(database_ok, request.app.state.engine)))))
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(status_code=200 if ready else 503,
                            content={"status": "ready" if ready else "unavailable", "checks": checks})

    @ops.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        body = await asyncio.to_thread(metrics_text, request.app.state.engine)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return ops


async def check(probe) -> str:  # noqa: ANN001
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT)
        return "ok"
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:.0f}s"
    except Exception as e:  # noqa: BLE001  (any failure means not ready; say which)
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")


async def temporal_ok(request: Request) -> None:
    client = getattr(request.app.state, "client", None)
    if client is None:
        raise RuntimeError("not connected yet")
    if isinstance(client, TemporalLink) and client.client is None:
        raise RuntimeError(f"cannot reach Temporal at {client.settings.temporal_address} ({client.problem}); "
                           "connecting again by itself")
    if not await client.service_client.check_health():
        raise RuntimeError("the server reports itself unhealthy")


def database_ok(engine) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def install(app) -> None:  # noqa: ANN001  (a FastAPI app)
    """Mount the operations routes and measure every request."""
    app.add_middleware(RequestMetrics)
    app.include_router(router())
