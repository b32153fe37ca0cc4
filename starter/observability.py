"""Logs and metrics: JSON log lines that name the order, Prometheus metrics for the web app and the worker.

- `setup_logging(settings)`: `ORDERLY_LOG_FORMAT=json` writes one JSON object a line; every line logged inside an
  activity carries `order_id` (from the workflow id `order-<id>`), `workflow_id`, `activity` and `attempt`; web
  requests about an order carry its id too (`order_context`).
- The web app's metrics (`prometheus_client`, served at `/metrics`): requests by route and status, their latency,
  orders created by channel, and the send log's messages by kind and status (sent, failed, ...).
- The worker's metrics come from the Temporal SDK runtime (`worker_runtime`), served at ORDERLY_WORKER_METRICS_ADDRESS.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from models.settings import Settings
from models.tables import MessageRecord

from .redaction import RedactSecrets

ORDER_PREFIX = "order-"
_order_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("orderly_order_id", default=None)

# ---- metrics of the web app ----

HTTP_REQUESTS = Counter("orderly_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("orderly_http_request_duration_seconds", "time to answer an HTTP request",
                         ["method", "route"])
ORDERS_CREATED = Counter("orderly_orders_created", "orders started (not counting duplicate submissions)",
                         ["channel"])
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


def metrics_middleware(app) -> None:  # noqa: ANN001  (a FastAPI app)
    """Count every request and time it, labelled by the route's template (`/api/orders/{order_id}`), not its path;
    log lines written while answering a request about an order name the order."""

    @app.middleware("http")
    async def _measure(request, call_next):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        status = 500
        found = ORDER_PATH.search(request.url.path)
        token = _order_id.set(found.group(1) if found else None)
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            if template != "/metrics":
                HTTP_REQUESTS.labels(request.method, template, str(status)).inc()
                HTTP_LATENCY.labels(request.method, template).observe(time.perf_counter() - start)
            _order_id.reset(token)


# ---- the worker's metrics: the Temporal SDK's own, from its runtime ----

def worker_runtime(settings: Settings) -> Runtime | None:
    """A runtime that serves the SDK's Prometheus metrics (temporal_* counters and histograms) on the configured
    address; None keeps the default runtime (no metrics endpoint)."""
    if not settings.worker_metrics_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=settings.worker_metrics_address)))


# ---- logs ----

@contextmanager
def order_context(order_id: str | None) -> Iterator[None]:
    """Every log line written inside names this order."""
    token = _order_id.set(order_id)
    try:
        yield
    finally:
        _order_id.reset(token)


def current_order_id() -> str | None:
    if activity.in_activity():
        workflow_id = activity.info().workflow_id or ""
        return workflow_id.removeprefix(ORDER_PREFIX) if workflow_id.startswith(ORDER_PREFIX) else None
    return _order_id.get()


class OrderFilter(logging.Filter):
    """Adds `order_id` (and inside an activity its workflow id, name and attempt) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "order_id", None) is None:
            record.order_id = current_order_id()
        if activity.in_activity():
            info = activity.info()
            record.workflow_id, record.activity, record.attempt = info.workflow_id, info.activity_type, info.attempt
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, order_id, and the activity's details when in one."""

    EXTRA = ("order_id", "workflow_id", "activity", "attempt")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update({k: getattr(record, k) for k in self.EXTRA if getattr(record, k, None) is not None})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(settings: Settings, stream=None) -> logging.Handler:  # noqa: ANN001
    """Configure the root logger once for this process, in the format from settings."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(OrderFilter())
    handler.addFilter(RedactSecrets())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "orderly", False)]:
        root.removeHandler(old)
    handler.orderly = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler
