"""The web app's metrics (`prometheus_client`, served at `/metrics`): requests by route and status, their latency,
orders created by channel, and the send log's messages by kind and status (sent, failed, ...)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from models.tables import MessageRecord
from plumbing.observability import order_context

HTTP_REQUESTS = Counter("orderly_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("orderly_http_request_duration_seconds", "time to answer an HTTP request",
                         ["method", "route"])
ORDERS_CREATED = Counter("orderly_orders_created", "orders started (not counting duplicate submissions)",
                         ["channel"])
# The label values a client cannot multiply: a made-up method counts as `(other)`, a path no route matches as
# `(unmatched)`, so the series stay (methods x routes x statuses) however many requests are invented.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ORDER_PATH = re.compile(r"/orders/([A-Za-z0-9_.:-]+)")


class MessagesCollector(Collector):
    """`orderly_messages{kind, status}`: messages in the send log by kind and status (sent, failed, ...), read from
    the database at each scrape, so the figure covers every worker of the cluster and survives restarts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("orderly_messages", "messages in the send log, by kind and status",
                                   labels=["kind", "status"])
        with self.engine.connect() as conn:
            for kind, status, count in conn.execute(select(MessageRecord.kind, MessageRecord.status, func.count())
                                                    .group_by(MessageRecord.kind, MessageRecord.status)):
                family.add_metric([kind, status], count)
        yield family


def metrics_text(engine: Engine) -> bytes:
    """The web app's scrape: the process's counters and the send log's figures."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MessagesCollector(engine))
    return generate_latest(REGISTRY) + generate_latest(registry)


class RequestMetrics:
    """Count every request and time it, labelled by the route's template (`/api/orders/{order_id}`), not its path;
    log lines written while answering a request about an order name the order. Plain ASGI (not Starlette's
    `BaseHTTPMiddleware`, which would wrap an error raised while reading the body, the 413 of
    `request_guard`, into an exception group that no handler recognises)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def counted_send(message) -> None:  # noqa: ANN001
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        found = ORDER_PATH.search(scope["path"])
        with order_context(found.group(1) if found else None):
            try:
                await self.app(scope, receive, counted_send)
            finally:
                template = getattr(scope.get("route"), "path", None) or "(unmatched)"
                method = scope["method"] if scope["method"] in METHODS else "(other)"
                if template != "/metrics":
                    HTTP_REQUESTS.labels(method, template, str(status)).inc()
                    HTTP_LATENCY.labels(method, template).observe(time.perf_counter() - start)
