"""Logs and the worker's metrics: JSON log lines that name the order, the Temporal SDK's Prometheus metrics.

- `setup_logging(settings)`: `ORDERLY_LOG_FORMAT=json` writes one JSON object a line; every line logged inside an
  activity carries `order_id` (from the workflow id `order-<id>`), `workflow_id`, `activity` and `attempt`; web
  requests about an order carry its id too (`order_context`).
- The web app's own metrics are `starter/web_metrics.py`.
- The worker's metrics come from the Temporal SDK runtime (`worker_runtime`), served at ORDERLY_WORKER_METRICS_ADDRESS.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from temporalio import activity
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from models.settings import Settings

from .redaction import RedactSecrets

ORDER_PREFIX = "order-"
_order_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("orderly_order_id", default=None)

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
