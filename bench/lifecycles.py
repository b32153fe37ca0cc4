"""The main bench: N complete order lifecycles against the same-run baseline, then intake by API, client and raw start.

Phases, all on one server and one invocation (the baseline brackets Orderly's run, half before and half after, so a
change of load on a shared machine weighs on both alike):

    warm-up             a few orders, baseline and straightforward workflows, not counted
    baseline 1/2        N/2 BaselineWorkflow lifecycles (the mirrored baseline: Orderly's own shape, doing nothing)
    straightforward 1/2 N/2 StraightforwardWorkflow lifecycles (the obvious shape of the same process)
    orderly             N Orderly lifecycles, submitted and acted on through the API or the client (alternating)
    straightforward 2/2 N/2 StraightforwardWorkflow lifecycles
    baseline 2/2        N/2 BaselineWorkflow lifecycles
    intake        M submissions each through the API, `submit_order` on the client, and a raw `start_workflow`
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .driver import BaselineDriver, MessageWatch, OrderDriver, Recorder, StraightforwardDriver, run_pool
from .measures import confirmation_times, history_of, messages_of
from .report import MB, latency, per_second, print_summary, ratio, target, write_chart, write_json
from .serve import SENDS_LOG
from .stack import Measured, Stack, sample_rss

FEEDBACK_DELAY = 1.0
# the policy of the bench's orders (seconds): the feedback request comes 1 s after delivery; nothing else fires
BENCH_POLICY = {
    "ORDERLY_COMPLETION_REMINDER": "600", "ORDERLY_COMPLETION_EXPIRY": "1200",
    "ORDERLY_ACKNOWLEDGEMENT_REMINDER": "600", "ORDERLY_DELAY_GRACE": "0", "ORDERLY_DELAY_RECHECK": "600",
    "ORDERLY_FEEDBACK_DELAY": str(FEEDBACK_DELAY), "ORDERLY_FEEDBACK_REMINDER": "600",
    "ORDERLY_SETTLE_BEFORE_CLOSING": "false",  # the bench measures fulfilment: its orders' money is taken elsewhere
}


@dataclass
class Options:
    orders: int = 200
    concurrency: int = 20
    rate: float | None = None
    intake: int | None = None  # submissions per intake path; default: `orders`
    via: str = "mixed"         # api, client or mixed (alternating)
    warmup: int = 4
    out: Path = Path("var/bench")
    workdir: Path | None = None
    address: str | None = None
    chart: bool = True
    code: str = "worktree"  # the worker and web run a copy of the working tree, or of the last commit (`head`)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cores": psutil.cpu_count(), "physical_cores": psutil.cpu_count(logical=False),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "platform": platform.platform(),
            "python": platform.python_version(), "load_average_at_start": [round(x, 2) for x in load] if load else None}


class Phase:
    """CPU seconds each measured process used between `begin` and `end`."""

    def __init__(self, processes: dict[str, Measured | None]) -> None:
        self.processes = {k: v for k, v in processes.items() if v is not None}
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def begin(self) -> "Phase":
        self.before = {k: p.cpu_seconds() for k, p in self.processes.items()}
        return self

    def end(self) -> "Phase":
        self.used = {k: p.cpu_seconds() - self.before[k] for k, p in self.processes.items()}
        return self


def resources(phase: Phase, n: int, worker: str, peak: int, peak_overall: int) -> dict[str, Any]:
    def per(name: str) -> float | None:
        used = phase.used.get(name)
        return None if used is None or n == 0 else round(used / n, 4)
    return {"orders": n, "worker_cpu_s": round(phase.used.get(worker, 0), 2), "worker_cpu_s_per_order": per(worker),
            "server_cpu_s": round(phase.used["server"], 2) if "server" in phase.used else None,
            "server_cpu_s_per_order": per("server"),
            "web_cpu_s_per_order": per("web") if worker == "worker" else None,
            "driver_cpu_s_per_order": per("driver"),
            "all_measured_cpu_s_per_order": round(sum(phase.used.values()) / n, 4) if n else None,
            # the system under test, without the bench's own driver (it shares the machine's cores)
            "service_cpu_s_per_order": round(sum(v for k, v in phase.used.items() if k != "driver") / n, 4)
            if n else None,
            "worker_peak_rss_mb": round(peak / MB, 1),
            "worker_peak_rss_whole_run_mb": round(peak_overall / MB, 1)}


def combine(a: Phase, b: Phase) -> Phase:
    both = Phase({})
    both.used = {k: a.used.get(k, 0) + b.used.get(k, 0) for k in set(a.used) | set(b.used)}
    return both


async def run(options: Options, console: Console) -> dict[str, Any]:
    os.environ.update(BENCH_POLICY)  # submit_order reads the policy in the submitting process (this one, and web)
    run_id = secrets.token_hex(3).upper()
    workdir = options.workdir or Path(os.environ.get("TMPDIR", "/tmp")) / f"orderly-bench-{run_id}"
    n, m = options.orders, options.intake if options.intake is not None else options.orders
    started_at = datetime.now(timezone.utc)
    report: dict[str, Any] = {"run": run_id, "started_at": started_at.isoformat(), "machine": machine(),
                              "options": {"orders": n, "concurrency": options.concurrency, "rate": options.rate,
                                          "intake": m, "via": options.via, "warmup": options.warmup,
                                          "code": options.code,
                                          "server": options.address or "embedded dev server (SQLite, WAL)"},
                              "policy": BENCH_POLICY}
    stack = await Stack.start(workdir, BENCH_POLICY, options.address, options.code)
    sampler = None
    left_open: list[str] = []  # the intake orders: confirmed, then waiting for their departments
    try:
        worker = await stack.start_worker()
        baseline_worker = await stack.start_baseline_worker()
        web = await stack.start_web()
        sampler = asyncio.create_task(sample_rss([worker, baseline_worker, web]))
        db_path = stack.settings.var_dir / "orderly.db"
        rec, warm = Recorder(), Recorder()
        limits = httpx.Limits(max_connections=options.concurrency * 2 + 8)
        async with httpx.AsyncClient(base_url=stack.web_url, timeout=120, limits=limits) as http, \
                MessageWatch(db_path) as watch:
            drive = OrderDriver(stack.client, stack.settings, http, stack.tokens, watch, rec)
            base = BaselineDriver(stack.client, stack.baseline_queue, FEEDBACK_DELAY, rec)
            plain = StraightforwardDriver(stack.client, stack.baseline_queue, FEEDBACK_DELAY, rec)

            def via(order_id: str) -> str:
                return channel_for(order_id, options.via)

            with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=False) as progress:
                async def phase(label: str, ids: list[str], job, measured: dict) -> tuple[Phase, tuple[float, float]]:
                    task = progress.add_task(label, total=len(ids))
                    p = Phase(measured).begin()
                    span = await run_pool(ids, options.concurrency, options.rate, job,
                                          lambda: progress.advance(task))
                    return p.end(), span

                driver = Measured("driver", psutil.Process(), children=False)
                on_orderly = {"worker": worker, "server": stack.server, "web": web, "driver": driver}
                on_baseline = {"baseline": baseline_worker, "server": stack.server, "driver": driver}
                warm_drive = OrderDriver(stack.client, stack.settings, http, stack.tokens, watch, warm)
                await phase("warm-up", [f"W{run_id}-{i}" for i in range(options.warmup)],
                            lambda x: warm_drive.lifecycle(x, via(x)), {})
                warm_base = BaselineDriver(stack.client, stack.baseline_queue, FEEDBACK_DELAY, warm)
                await phase("warm-up baseline", [f"baseline-w{run_id}-{i}" for i in range(options.warmup)],
                            warm_base.lifecycle, {})
                warm_plain = StraightforwardDriver(stack.client, stack.baseline_queue, FEEDBACK_DELAY, warm)
                await phase("warm-up straightforward", [f"plain-w{run_id}-{i}" for i in range(options.warmup)],
                            warm_plain.lifecycle, {})
                half = n // 2
                b1, b1_span = await phase("baseline 1/2", [f"baseline-{run_id}-{i}" for i in range(half)],
                                          base.lifecycle, on_baseline)
                s1, s1_span = await phase("straightforward 1/2", [f"plain-{run_id}-{i}" for i in range(half)],
                                          plain.lifecycle, on_baseline)
                o, o_span = await phase("orderly lifecycles", [f"L{run_id}-{i}" for i in range(n)],
                                        lambda x: drive.lifecycle(x, via(x)), on_orderly)
                s2, s2_span = await phase("straightforward 2/2", [f"plain-{run_id}-{i}" for i in range(half, n)],
                                          plain.lifecycle, on_baseline)
                b2, b2_span = await phase("baseline 2/2", [f"baseline-{run_id}-{i}" for i in range(half, n)],
                                          base.lifecycle, on_baseline)
                intake_spans: dict[str, tuple[float, float]] = {}
                for path, job in (("api", lambda x: drive.submit(x, "api")),
                                  ("client", lambda x: drive.submit(x, "client")),
                                  ("raw-start", drive.start_raw)):
                    ids = [f"I{run_id}-{path}-{i}" for i in range(m)]
                    left_open += ids
                    _p, intake_spans[path] = await phase(f"intake: {path}", ids, job, {})
                    # let the worker finish these orders' confirmation and work orders before the next path
                    await asyncio.gather(*(watch.wait(x, "work_order", 2, timeout=600) for x in ids))

        orderly_ids = {x for name, x, *_ in rec.steps if name.startswith("lifecycle:") and x.startswith("L")}
        baseline_ids = {x for name, x, *_ in rec.steps if name == "lifecycle:baseline"}
        plain_ids = {x for name, x, *_ in rec.steps if name == "lifecycle:straightforward"}
        report["history"] = {"orderly": await history_of(stack.client, f"order-L{run_id}-0"),
                             "baseline": await history_of(stack.client, f"baseline-{run_id}-0"),
                             "straightforward": await history_of(stack.client, f"plain-{run_id}-0")}
        msgs = messages_of(db_path, orderly_ids, stack.settings.var_dir / SENDS_LOG)
        submitted = {x: s for name, x, s, _e in rec.steps if name.startswith("submit:") and x in orderly_ids}
        confirmed = {x: at - submitted[x] for x, at in confirmation_times(db_path).items() if x in orderly_ids}
        report["messages"] = msgs

        o_seconds = o_span[1] - o_span[0]
        b_seconds = (b1_span[1] - b1_span[0]) + (b2_span[1] - b2_span[0])
        orderly_rate = round(len(orderly_ids) / o_seconds, 2)
        baseline_rate = round(len(baseline_ids) / b_seconds, 2) if b_seconds > 0 else None
        p_seconds = (s1_span[1] - s1_span[0]) + (s2_span[1] - s2_span[0])
        plain_rate = round(len(plain_ids) / p_seconds, 2) if p_seconds > 0 else None
        report["throughput"] = {"orderly_lifecycles": len(orderly_ids), "orderly_seconds": round(o_seconds, 2),
                                "orderly_lifecycles_per_s": orderly_rate,
                                "baseline_workflows": len(baseline_ids), "baseline_seconds": round(b_seconds, 2),
                                "baseline_workflows_per_s": baseline_rate,
                                "ratio": ratio(orderly_rate, baseline_rate),
                                "straightforward_workflows": len(plain_ids),
                                "straightforward_seconds": round(p_seconds, 2),
                                "straightforward_workflows_per_s": plain_rate,
                                "ratio_to_straightforward": ratio(orderly_rate, plain_rate)}
        conf_at = confirmation_times(db_path)
        paths = {}
        for path, (t0, t1) in intake_spans.items():
            ids = [x for name, x, *_ in rec.steps if name == f"submit:{path}" and x.startswith(f"I{run_id}-")]
            confirmed_by = max(conf_at[x] for x in ids)
            paths[path] = {"submissions": m, "answered_seconds": round(t1 - t0, 2),
                           "answered_per_s": round(m / (t1 - t0), 2),
                           "confirmed_seconds": round(confirmed_by - t0, 2),
                           "confirmed_per_s": round(m / (confirmed_by - t0), 2),
                           "answer_latency": latency([e - s for name, x, s, e in rec.steps
                                                      if name == f"submit:{path}" and x.startswith(f"I{run_id}-")]),
                           "confirmation_latency": latency([conf_at[x] - s for name, x, s, _e in rec.steps
                                                            if name == f"submit:{path}" and x in ids])}
        report["intake"] = {
            "concurrency": options.concurrency, "paths": paths,
            "api_vs_client": ratio(paths["api"]["answered_per_s"], paths["client"]["answered_per_s"]),
            "api_vs_raw_start": ratio(paths["api"]["confirmed_per_s"], paths["raw-start"]["confirmed_per_s"]),
            "api_vs_raw_start_answers": ratio(paths["api"]["answered_per_s"], paths["raw-start"]["answered_per_s"]),
            "note": "answered: until the last submission returned (API and client: the form checked, intake answer; "
                    "raw start: the server accepted the start). confirmed: until the last of these orders' "
                    "confirmation email was logged, i.e. the orders really carried through intake."}

        def steps_of(ids: set[str], prefix: str) -> dict[str, list[float]]:
            out: dict[str, list[float]] = {}
            for name, x, s, e in rec.steps:
                if x in ids and name.startswith(prefix):
                    out.setdefault(name, []).append(e - s)
            return out
        orderly_lat = {"submission → confirmation logged": latency(list(confirmed.values()))}
        orderly_lat.update({k: latency(v) for k, v in sorted(steps_of(orderly_ids, "submit:").items())})
        orderly_lat.update({k: latency(v) for k, v in sorted(steps_of(orderly_ids, "update:").items())})
        orderly_lat.update({k: latency(v) for k, v in sorted(steps_of(orderly_ids, "lifecycle:").items())})
        baseline_lat = {k: latency(v) for k, v in sorted(steps_of(baseline_ids, "").items())}
        report["latency"] = {"orderly": orderly_lat, "baseline": baseline_lat}
        report["resources"] = {"orderly": resources(o, len(orderly_ids), "worker", worker.peak_rss_between(*o_span),
                                                    worker.peak_rss()),
                               "baseline": resources(combine(b1, b2), len(baseline_ids), "baseline",
                                                     max(baseline_worker.peak_rss_between(*b1_span),
                                                         baseline_worker.peak_rss_between(*b2_span)),
                                                     baseline_worker.peak_rss()),
                               "straightforward": resources(combine(s1, s2), len(plain_ids), "baseline",
                                                            max(baseline_worker.peak_rss_between(*s1_span),
                                                                baseline_worker.peak_rss_between(*s2_span)),
                                                            baseline_worker.peak_rss()),
                               "server_db_mb": round((stack.server_db_bytes() or 0) / MB, 1)
                               if stack.server else None}
        service = (report["resources"]["orderly"]["service_cpu_s_per_order"],
                   report["resources"]["baseline"]["service_cpu_s_per_order"])
        report["throughput"]["cpu_capacity_ratio"] = ratio(service[1], service[0]) if stack.server else None
        report["throughput"]["cpu_capacity_note"] = (
            "baseline / Orderly CPU seconds per lifecycle of the worker, server and web processes: the throughput "
            "ratio to expect where those processes, not the bench's driver or other load, use up the cores")
        report["targets"] = {
            "lifecycle throughput / mirrored baseline ≥ 0.85": target(report["throughput"]["ratio"], at_least=0.85),
            "lifecycle throughput / straightforward shape ≥ 1.1": target(
                report["throughput"]["ratio_to_straightforward"], at_least=1.1),
            "history events per order ≤ 66": target(report["history"]["orderly"]["events"], at_most=66),
            "history payload bytes per order ≤ 15,500": target(report["history"]["orderly"]["payload_bytes"],
                                                               at_most=15_500),
            "worker CPU per order ≤ 1.3 × mirrored baseline's": target(ratio(
                report["resources"]["orderly"]["worker_cpu_s_per_order"],
                report["resources"]["baseline"]["worker_cpu_s_per_order"]), at_most=1.3),
            "API intake / client submit_order ≥ 0.8": target(report["intake"]["api_vs_client"], at_least=0.8),
            "API intake / raw start_workflow (to confirmation) ≥ 0.8": target(report["intake"]["api_vs_raw_start"],
                                                                               at_least=0.8),
            "duplicates == 0": target(report["messages"]["duplicates"], at_most=0),
        }
        report["finished_at"] = datetime.now(timezone.utc).isoformat()
        report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None

        origin = min(s for _n, _x, s, _e in rec.steps)
        series: dict[str, Any] = {}
        for name, ids, spans in (("orderly", orderly_ids, [o_span]), ("baseline", baseline_ids, [b1_span, b2_span])):
            ends = [e for step, x, _s, e in rec.steps if x in ids and step.startswith("lifecycle:")]
            t, rate = per_second(ends, spans, origin, 2.0)
            series[name] = {"t": t, "per_second": rate}
        conf_points = sorted((submitted[x] - origin, c * 1000) for x, c in confirmed.items())
        series["confirmation"] = {"label": "orderly: submission → confirmation logged",
                                  "t": [p[0] for p in conf_points], "ms": [p[1] for p in conf_points]}
        life = sorted((s - origin, (e - s) * 1000) for step, x, s, e in rec.steps
                      if x in orderly_ids and step.startswith("lifecycle:"))
        series["lifecycle"] = {"label": "orderly: whole lifecycle (incl. 1 s feedback delay)",
                               "t": [p[0] for p in life], "ms": [p[1] for p in life]}
        base_life = sorted((s - origin, (e - s) * 1000) for step, x, s, e in rec.steps
                           if x in baseline_ids and step == "lifecycle:baseline")
        series["baseline lifecycle"] = {"label": "baseline: whole lifecycle", "t": [p[0] for p in base_life],
                                        "ms": [p[1] for p in base_life]}
        report["series"] = {"bucket_seconds": 2.0, "origin": origin,
                            **{k: {"t": v["t"], "per_second": [None if math.isnan(r) else r for r in v["per_second"]]}
                               for k, v in series.items() if k in ("orderly", "baseline")}}
        options.out.mkdir(parents=True, exist_ok=True)
        json_path = options.out / "bench.json"
        report["files"] = {"json": str(json_path)}
        if options.chart:
            chart = options.out / "bench.png"
            write_chart(series, chart, f"orderly bench: {len(orderly_ids)} lifecycles at concurrency "
                                       f"{options.concurrency}, {report['machine']['cores']} cores "
                                       f"(ratio to baseline {report['throughput']['ratio']})")
            report["files"]["chart"] = str(chart)
        write_json(report, json_path)
        print_summary(report, console)
        return report
    finally:
        if sampler is not None:
            sampler.cancel()
        if options.address is not None:  # leave nothing running on someone else's server
            await asyncio.gather(*(stack.client.get_workflow_handle(f"order-{x}").terminate("bench finished")
                                   for x in left_open), return_exceptions=True)
        await stack.close()


def channel_for(order_id: str, via: str) -> str:
    """How an order is started: as asked, or (`mixed`) every other one through the API, the rest by the client."""
    if via != "mixed":
        return via
    return "api" if int(order_id.rsplit("-", 1)[1]) % 2 == 0 else "client"
