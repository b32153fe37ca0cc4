"""`orderly bench --open-orders K`: start orders that stay open, waiting on their timers, in steps up to K, and report
the worker's memory and the server's database size at each step, to show memory stays flat as open orders grow.

The orders run under the business policy (reminders after a day, the lateness check after the promised date), so
once confirmed and sent to the departments they wait: nothing in them fires during the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from models.policy import Policy

from .driver import MessageWatch, OrderDriver, Recorder, run_pool
from .lifecycles import machine
from .report import MB, write_json, write_open_orders_chart
from .stack import Stack, sample_rss

DEFAULT_STEPS = (1000, 5000, 10000)
WORKER_CACHE = 1000  # temporalio's default max_cached_workflows, which `worker.build_worker` keeps


def steps_up_to(k: int, steps: tuple[int, ...] = DEFAULT_STEPS) -> list[int]:
    chosen = [s for s in steps if s < k]
    return [*chosen, k]


def file_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")
                     if p.is_file() and not p.name.endswith(".lock")) / MB, 1)


async def run(k: int, concurrency: int, out: Path, workdir: Path | None, address: str | None, console: Console,
              chart: bool = True, steps: list[int] | None = None, code: str = "worktree") -> dict[str, Any]:
    for name in Policy.model_fields:  # business defaults: the orders must keep waiting
        os.environ.pop(f"ORDERLY_{name.upper()}", None)
    run_id = secrets.token_hex(3).upper()
    workdir = workdir or Path(os.environ.get("TMPDIR", "/tmp")) / f"orderly-bench-open-{run_id}"
    steps = steps or steps_up_to(k)
    report: dict[str, Any] = {"run": run_id, "mode": "open-orders", "started_at": datetime.now(timezone.utc).isoformat(),
                              "machine": machine(), "options": {"open_orders": k, "steps": steps,
                                                                "concurrency": concurrency, "code": code,
                                                                "server": address or "embedded dev server (SQLite, WAL)"},
                              "worker_max_cached_workflows": WORKER_CACHE, "steps": []}
    stack = await Stack.start(workdir, {}, address, code)
    sampler = None
    ids: list[str] = []
    try:
        worker = await stack.start_worker()
        sampler = asyncio.create_task(sample_rss([worker]))
        await asyncio.sleep(2)
        report["idle_worker_rss_mb"] = round(worker.rss() / MB, 1)
        db_path = stack.settings.var_dir / "orderly.db"
        async with httpx.AsyncClient() as http, MessageWatch(db_path, every=0.5) as watch:
            drive = OrderDriver(stack.client, stack.settings, http, stack.tokens, watch, Recorder())
            with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                task = progress.add_task("open orders", total=steps[-1])
                for step in steps:
                    new = [f"O{run_id}-{i}" for i in range(len(ids), step)]
                    cpu0 = worker.cpu_seconds()
                    t0 = asyncio.get_running_loop().time()
                    await run_pool(new, concurrency, None, lambda x: drive.submit(x, "client"),
                                   lambda: progress.advance(task))
                    # open means confirmed and sent to the departments, now waiting on its timers
                    await asyncio.gather(*(watch.wait(x, "work_order", 2, timeout=1800) for x in new))
                    seconds = asyncio.get_running_loop().time() - t0
                    ids += new
                    await asyncio.sleep(3)  # let the last workflow tasks and activities settle
                    entry = {"open_orders": step, "seconds_to_open": round(seconds, 1),
                             "orders_per_s": round(len(new) / seconds, 1),
                             "worker_cpu_s_per_order": round((worker.cpu_seconds() - cpu0) / len(new), 4),
                             "worker_rss_mb": round(worker.rss() / MB, 1),
                             "worker_peak_rss_mb": round(worker.peak_rss() / MB, 1),
                             "server_db_mb": file_mb(stack.temporal_db) if stack.server else None,
                             "read_model_db_mb": file_mb(db_path)}
                    report["steps"].append(entry)
                    progress.console.print(f"  {step} open orders: worker RSS {entry['worker_rss_mb']} MB, "
                                           f"server DB {entry['server_db_mb']} MB")
        first, last = report["steps"][0], report["steps"][-1]
        growth = round(last["worker_rss_mb"] / first["worker_rss_mb"], 3)
        report["worker_rss_growth"] = {"from": first["open_orders"], "to": last["open_orders"], "ratio": growth,
                                       "at_most": 1.5, "met": growth <= 1.5}
        report["finished_at"] = datetime.now(timezone.utc).isoformat()
        out.mkdir(parents=True, exist_ok=True)
        report["files"] = {"json": str(out / "open-orders.json")}
        if chart:
            report["files"]["chart"] = str(out / "open-orders.png")
            write_open_orders_chart(report["steps"], out / "open-orders.png",
                                    f"orderly bench --open-orders {k}: worker memory and server database")
        write_json(report, out / "open-orders.json")
        table = Table("open orders", "worker RSS MB", "peak MB", "server DB MB", "read model MB", "orders/s",
                      title="open orders", title_justify="left")
        for s in report["steps"]:
            table.add_row(str(s["open_orders"]), str(s["worker_rss_mb"]), str(s["worker_peak_rss_mb"]),
                          str(s["server_db_mb"]), str(s["read_model_db_mb"]), str(s["orders_per_s"]))
        console.print(table)
        g = report["worker_rss_growth"]
        console.print(f"  worker RSS at {g['to']} / at {g['from']}: {g['ratio']} (target ≤ 1.5: "
                      f"{'met' if g['met'] else 'missed'})")
        return report
    finally:
        if sampler is not None:
            sampler.cancel()
        if address is not None and ids:  # leave nothing running on someone else's server
            await asyncio.gather(*(stack.client.get_workflow_handle(f"order-{x}").terminate("bench finished")
                                   for x in ids), return_exceptions=True)
        await stack.close()
