"""The processes the bench measures, each started on its own so psutil can see its CPU and memory.

    python -m bench.serve orderly    the Orderly worker (as `orderly worker` builds it), counting every send
    python -m bench.serve baseline   the baseline worker: same worker options, BaselineWorkflow
    python -m bench.serve web PORT   the web app (HTTP API) on 127.0.0.1:PORT

Settings come from the environment the bench gives them. Each prints `ready` on stdout once it serves, and stops
cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from pathlib import Path

from channels.mailer import OutboxMailer
from models.messages import OutgoingEmail
from models.settings import Settings
from plumbing.secrets import with_dev_secrets

SENDS_LOG = "sends.log"


class CountingMailer(OutboxMailer):
    """The outbox mailer, also appending each provider send's key to `<var>/sends.log` (`key<TAB>time<TAB>pid`): the
    bench counts duplicates as sends beyond one per key (the outbox file of a resent key would be overwritten, so
    files alone cannot), and the chaos bench matches each repeat to the worker it killed (`bench/chaos.py`)."""

    def __init__(self, directory: Path, log: Path) -> None:
        super().__init__(directory)
        self.lock = threading.Lock()
        self.log = open(log, "a", buffering=1, encoding="utf-8")

    def send(self, email: OutgoingEmail) -> str:
        provider_id = super().send(email)
        with self.lock:
            self.log.write(f"{email.key}\t{time.time():.6f}\t{os.getpid()}\n")
        return provider_id


def baseline_worker(client, settings: Settings):
    from temporalio.worker import Worker

    from worker import worker_options

    from .baseline import BaselineWorkflow, baseline_activity, baseline_local_activity
    from .straightforward import StraightforwardWorkflow
    # the Orderly worker's own tuning and sandbox, from the same settings
    return Worker(client, task_queue=settings.task_queue,
                  **worker_options(settings, [BaselineWorkflow, StraightforwardWorkflow],
                                   [baseline_activity, baseline_local_activity]))


async def run_worker(kind: str) -> None:
    from plumbing.connection import connect
    from worker import build_worker

    settings = with_dev_secrets(Settings())  # the bench made <var>/secrets.json; every process shares it
    client = await connect(settings)
    if kind == "orderly":
        worker = build_worker(client, settings, mailer=CountingMailer(settings.outbox_dir,
                                                                      settings.var_dir / SENDS_LOG))
    else:
        worker = baseline_worker(client, settings)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with worker:
        print("ready", flush=True)
        await stop.wait()


async def run_web(port: int) -> None:
    import uvicorn

    from plumbing.connection import connect
    from starter.web_app import create_app

    settings = with_dev_secrets(Settings())
    client = await connect(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, client), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise SystemExit(f"the web app could not start on port {port}")
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await task


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else ""
    if kind in ("orderly", "baseline"):
        Path(Settings().var_dir).mkdir(parents=True, exist_ok=True)
        asyncio.run(run_worker(kind))
    elif kind == "web" and len(argv) == 2 and argv[1].isdigit():
        asyncio.run(run_web(int(argv[1])))
    else:
        raise SystemExit("usage: python -m bench.serve orderly | baseline | web PORT")


if __name__ == "__main__":
    from starter.cli_common import exit_without_finalizing
    exit_without_finalizing(lambda: main(sys.argv[1:]))  # no finalization with the SDK's threads alive
