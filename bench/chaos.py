"""`orderly bench --chaos`: N order lifecycles at load while the Orderly worker is SIGKILLed every few seconds (and
started again), and the Temporal dev server is restarted once on its SQLite file.

    warm-up        a few orders, no faults, not counted
    orderly        N lifecycles as in the main bench, the driver retrying every client call with a bounded backoff;
                   beside it the faults: every `kill_every` seconds of a worker's life it is SIGKILLed and a new one
                   started; once a quarter of the orders have completed, the next fault is a server restart instead
    settle         every order's final state read from the server

It reports orders completed and lost (an order lost is one the driver started that did not reach `completed`), the
faults survived, the driver's retries, and every duplicate provider send (a message key sent more than once), each
matched against the one window docs/messages.md names ("Messages: each one at most once"): a worker killed after the
provider accepted a message and before the send log recorded it. The baselines are not run: under faults the
ratio to a fault-free baseline would mean nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import sqlite3
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.service import RPCError, RPCStatusCode

from models.order import workflow_id_for

from .driver import MessageWatch, OrderDriver, Recorder, Retrier, run_pool
from .lifecycles import BENCH_POLICY, Options, channel_for, machine
from .measures import _parse_utc, messages_of
from .report import latency, print_chaos_summary, target, write_json
from .serve import SENDS_LOG
from .stack import Measured, Stack

WINDOW = ("the worker was SIGKILLed after the provider accepted the message and before the send log recorded it; "
          "its activity's retry sent it again (docs/messages.md, 'Messages: each one at most once': the one window)")


@dataclass
class Faults:
    """The fault loop beside the Orderly phase: SIGKILL the worker `every` seconds after it is ready, start a new
    one; once `restart_when` orders have completed, restart the server (once) in place of the next kill."""

    stack: Stack
    worker: Measured
    every: float
    restart_when: int
    server_away: float = 2.0
    kills: list[dict[str, Any]] = field(default_factory=list)
    restarts: list[dict[str, Any]] = field(default_factory=list)

    async def run(self, completed: Callable[[], int], stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), self.every)
                return
            except TimeoutError:
                pass
            if not self.restarts and completed() >= self.restart_when:
                at, done = time.time(), completed()
                away = await self.stack.restart_server(self.server_away)
                self.restarts.append({"at": at, "orders_completed_before": done, "unreachable_s": round(away, 2)})
                continue
            pid, done = self.worker.proc.pid, completed()
            await self.stack.kill(self.worker)
            killed_at = time.time()
            self.worker = await self.stack.start_worker()
            self.kills.append({"at": killed_at, "pid": pid, "orders_completed_before": done,
                               "new_worker_ready_after_s": round(time.time() - killed_at, 2)})


def sends_by_key(sends_log: Path, order_ids: set[str]) -> dict[str, list[tuple[float, int]]]:
    """key -> every provider send of it as (time, worker pid), oldest first."""
    sends: dict[str, list[tuple[float, int]]] = defaultdict(list)
    if sends_log.exists():
        for line in sends_log.read_text().splitlines():
            parts = line.strip().split("\t")
            if len(parts) == 3 and parts[0].split("/", 1)[0] in order_ids:
                sends[parts[0]].append((float(parts[1]), int(parts[2])))
    return {k: sorted(v) for k, v in sends.items()}


def explain_duplicates(sends: dict[str, list[tuple[float, int]]], logged_at: dict[str, float],
                       kills: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every key sent more than once, and whether each repeat is docs/messages.md's one window: the send before it was
    made by a worker the bench SIGKILLed after that send, before the send log had the key (the log row was written
    after the kill, by the retry), and before the repeat."""
    out = []
    for key, made in sorted(sends.items()):
        if len(made) < 2:
            continue
        repeats = []
        for (t, pid), (t_next, _pid_next) in zip(made, made[1:]):
            kill = next((k for k in kills if k["pid"] == pid and t <= k["at"] <= t_next), None)
            logged = logged_at.get(key)
            in_window = kill is not None and (logged is None or logged >= kill["at"])
            repeats.append({"sent_at": t, "by_pid": pid, "repeated_after_s": round(t_next - t, 3),
                            "killed_after_send_s": round(kill["at"] - t, 3) if kill else None,
                            "explained": in_window})
        explained = all(r["explained"] for r in repeats)
        out.append({"key": key, "sends": len(made), "explained": explained,
                    "why": WINDOW if explained else "NOT explained by the window: no kill of the sending worker "
                                                    "between the send and its repeat, or the key was logged first",
                    "repeats": repeats})
    return out


def logged_times(db_path: Path) -> dict[str, float]:
    """key -> when the send log recorded the message sent."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT key, sent_at FROM messages WHERE sent_at IS NOT NULL").fetchall()
    return {key: _parse_utc(sent_at) for key, sent_at in rows}


async def final_states(stack: Stack, ids: list[str], retry: Retrier) -> dict[str, str]:
    """order id -> the status of its workflow on the server (`missing` if it was never started)."""
    async def one(order_id: str) -> tuple[str, str]:
        async def describe() -> str:
            try:
                d = await stack.client.get_workflow_handle(workflow_id_for(order_id)).describe()
            except RPCError as e:  # not found: never started; anything else is retried
                if e.status == RPCStatusCode.NOT_FOUND:
                    return "missing"
                raise
            return d.status.name.lower() if d.status else "unknown"
        return order_id, await retry("describe", describe)
    return dict(await asyncio.gather(*(one(x) for x in ids)))


async def run(options: Options, console: Console, kill_every: float) -> dict[str, Any]:
    os.environ.update(BENCH_POLICY)
    run_id = secrets.token_hex(3).upper()
    workdir = options.workdir or Path(os.environ.get("TMPDIR", "/tmp")) / f"orderly-bench-{run_id}"
    n = options.orders
    report: dict[str, Any] = {
        "run": run_id, "mode": "chaos", "started_at": datetime.now(timezone.utc).isoformat(), "machine": machine(),
        "options": {"orders": n, "concurrency": options.concurrency, "rate": options.rate, "via": options.via,
                    "warmup": options.warmup, "code": options.code, "kill_every_s": kill_every,
                    "server": "embedded dev server (SQLite, WAL)"},
        "policy": BENCH_POLICY,
        "skipped": "the mirrored and straightforward baselines and the intake paths are not run in chaos mode: "
                   "under faults a ratio to a fault-free baseline would mean nothing"}
    stack = await Stack.start(workdir, BENCH_POLICY, None, options.code)
    try:
        worker = await stack.start_worker()
        await stack.start_web()
        db_path = stack.settings.var_dir / "orderly.db"
        rec, warm = Recorder(), Recorder()
        retry = Retrier()
        failures: dict[str, str] = {}
        limits = httpx.Limits(max_connections=options.concurrency * 2 + 8)
        async with httpx.AsyncClient(base_url=stack.web_url, timeout=120, limits=limits) as http, \
                MessageWatch(db_path) as watch:
            # a send held up by a kill is retried after its activity's 60 s timeout, maybe more than once
            drive = OrderDriver(stack.client, stack.settings, http, stack.tokens, watch, rec, retry=retry,
                                wait_timeout=900)

            def via(order_id: str) -> str:
                return channel_for(order_id, options.via)

            with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=False) as progress:
                warm_drive = OrderDriver(stack.client, stack.settings, http, stack.tokens, watch, warm)
                task = progress.add_task("warm-up", total=options.warmup)
                await run_pool([f"W{run_id}-{i}" for i in range(options.warmup)], options.concurrency, None,
                               lambda x: warm_drive.lifecycle(x, via(x)), lambda: progress.advance(task))

                ids = [f"C{run_id}-{i}" for i in range(n)]
                completed = 0

                async def job(order_id: str) -> None:
                    nonlocal completed
                    try:
                        await drive.lifecycle(order_id, via(order_id))
                        completed += 1
                    except Exception as e:  # noqa: BLE001 — counted as lost below, the others go on
                        failures[order_id] = f"{type(e).__name__}: {e}"

                faults = Faults(stack, worker, kill_every, restart_when=max(1, n // 4))
                stop = asyncio.Event()
                chaos = asyncio.create_task(faults.run(lambda: completed, stop))
                task = progress.add_task("orderly under faults", total=n)
                pool = asyncio.create_task(run_pool(ids, options.concurrency, options.rate, job,
                                                    lambda: progress.advance(task)))
                try:
                    await asyncio.wait({pool, chaos}, return_when=asyncio.FIRST_COMPLETED)
                    if chaos.done():  # the fault loop ends only when stopped: it failed (a worker did not start)
                        pool.cancel()
                        await chaos
                    span = await pool
                finally:
                    stop.set()
                    pool.cancel()
                    await asyncio.gather(chaos, return_exceptions=True)  # a worker being started is waited for
        states = await final_states(stack, ids, retry)
        seconds = span[1] - span[0]
        done_ids = {x for x, s in states.items() if s == "completed"}
        lost = sorted(x for x, s in states.items() if s != "completed")
        msgs = messages_of(db_path, set(ids), stack.settings.var_dir / SENDS_LOG)
        duplicates = explain_duplicates(sends_by_key(stack.settings.var_dir / SENDS_LOG, set(ids)),
                                        logged_times(db_path), faults.kills)
        msgs["duplicate_keys"] = duplicates
        report["messages"] = msgs
        statuses: dict[str, int] = defaultdict(int)
        for s in states.values():
            statuses[s] += 1
        report["chaos"] = {
            "orders": n, "completed": len(done_ids), "lost": len(lost), "lost_orders": lost[:20],
            "final_statuses": dict(sorted(statuses.items())),
            "driver_failures": dict(list(sorted(failures.items()))[:20]),
            "kills": len(faults.kills), "server_restarts": len(faults.restarts),
            "duplicates": msgs["duplicates"], "duplicate_keys": len(duplicates),
            "duplicates_explained_by_the_window": sum(1 for d in duplicates if d["explained"]),
            "duplicates_not_explained": sum(1 for d in duplicates if not d["explained"]),
            "orders_not_as_expected": msgs["orders_not_as_expected"],
            "seconds": round(seconds, 2), "completed_per_s": round(len(done_ids) / seconds, 2) if seconds else None,
            "kill_every_s": kill_every,
            "kill_log": [{**k, "at": round(k["at"] - span[0], 2)} for k in faults.kills],
            "server_restart_log": [{**r, "at": round(r["at"] - span[0], 2)} for r in faults.restarts],
            "driver": retry.figures(),
            "window": WINDOW,
        }
        report["latency"] = {"orderly": {
            name: latency([e - s for step, x, s, e in rec.steps if step == name and x in done_ids])
            for name in sorted({step for step, *_ in rec.steps})}}
        report["targets"] = {
            "orders lost == 0": target(len(lost), at_most=0),
            "duplicates not explained by the window == 0": target(report["chaos"]["duplicates_not_explained"],
                                                                   at_most=0),
            "duplicates == 0": target(msgs["duplicates"], at_most=0),
            "worker kills ≥ 1": target(len(faults.kills), at_least=1),
            "server restarts == 1": target(len(faults.restarts), at_least=1, at_most=1),
        }
        report["finished_at"] = datetime.now(timezone.utc).isoformat()
        report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
        options.out.mkdir(parents=True, exist_ok=True)
        json_path = options.out / "bench-chaos.json"
        report["files"] = {"json": str(json_path)}
        write_json(report, json_path)
        print_chaos_summary(report, console)
        return report
    finally:
        await stack.close()
