"""The web application: the HTTP API, the customer pages and the staff console, on one FastAPI app."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from store.database import make_engine
from models.catalog import load_catalog
from models.settings import Settings

from . import console, console_completion, console_invoice, console_printouts, insights, pages, web
from . import health
from .api import install_error_handlers, router
from .post_limits import PostLimits
from .request_guard import RequestGuard
from .temporal_link import TemporalLink


def create_app(settings: Settings, client: Client | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if client is not None:
            app.state.client = client
            yield
            return
        app.state.client = link = TemporalLink(settings)  # serves at once; connects (and reconnects) by itself
        link.start()
        yield
        await link.stop()

    app = FastAPI(title="Orderly", version="0.1.0", lifespan=lifespan,
                  description="Orders as durable Temporal workflows: start them, read them, act on them.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.catalog = load_catalog(settings.catalog_path)
    app.state.post_limits = PostLimits(settings)
    install_error_handlers(app)
    health.install(app)  # /healthz, /readyz, /metrics and request metrics
    pages.install(app)
    app.include_router(router())
    app.include_router(web.router())
    app.include_router(console_completion.router())  # before the console's own /orders/{id}/{action} routes
    app.include_router(console_printouts.router())
    app.include_router(console_invoice.router())
    app.include_router(console.router())
    app.include_router(insights.router())
    app.add_middleware(RequestGuard)  # before anything reads a body
    return app
