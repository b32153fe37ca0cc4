"""`orderly web`: only the web server (HTTP API, pages, /healthz, /readyz, /metrics) against TEMPORAL_ADDRESS."""

from __future__ import annotations

import uvicorn

from models.settings import Settings

from plumbing.observability import setup_logging
from plumbing.payload_encryption import encryption_problem
from .web_app import create_app


def main(settings: Settings) -> None:
    if not settings.secret_key.get_secret_value():
        raise SystemExit("error: ORDERLY_SECRET_KEY is not set: it signs and checks customer links")
    if problem := encryption_problem(settings):
        raise SystemExit(f"error: {problem}")
    setup_logging(settings)
    uvicorn.run(create_app(settings), host=settings.web_host, port=settings.web_port, log_config=None,
                proxy_headers=True)
