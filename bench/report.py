"""Turning what the bench recorded into figures: percentiles, the JSON report, the PNG chart, the console summary."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

MB = 1024 * 1024


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100), linear between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency(values: list[float]) -> dict[str, Any]:
    """Milliseconds: count, p50, p95, p99, max."""
    ms = [v * 1000 for v in values]
    return {"count": len(ms), **{f"p{p}_ms": _round(percentile(ms, p)) for p in (50, 95, 99)},
            "max_ms": _round(max(ms)) if ms else None}


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None or math.isnan(x) else round(x, digits)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def target(value: float | None, at_least: float | None = None, at_most: float | None = None) -> dict[str, Any]:
    met = None if value is None else (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    return {"value": value, **({"at_least": at_least} if at_least is not None else {}),
            **({"at_most": at_most} if at_most is not None else {}), "met": met}


def write_json(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")


def per_second(ends: list[float], spans: list[tuple[float, float]], origin: float,
               bucket: float) -> tuple[list[float], list[float]]:
    """Completions per second in buckets of `bucket` seconds within each phase span, as (times since `origin`,
    rates); a NaN between spans leaves a gap in the line rather than a run of zeros across another phase."""
    times: list[float] = []
    rates: list[float] = []
    for start, end in spans:
        n = max(1, math.ceil((end - start) / bucket))
        counts = [0] * n
        for t in ends:
            if start <= t <= end:
                counts[min(n - 1, int((t - start) // bucket))] += 1
        times += [start - origin + (i + 0.5) * bucket for i in range(n)] + [end - origin]
        rates += [c / bucket for c in counts] + [float("nan")]
    return times, rates


def write_chart(series: dict[str, Any], path: Path, title: str) -> None:
    """Two panels over the run: completed lifecycles per second (Orderly and baseline), and latencies by the time
    the order was submitted (submission → confirmation logged, and the whole lifecycle)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for name, style in (("orderly", "-"), ("baseline", "--")):
        s = series.get(name)
        if s and s["t"]:
            top.step(s["t"], s["per_second"], style, where="mid", label=f"{name} lifecycles/s")
    top.set_ylabel("completed per second")
    top.legend(loc="upper right")
    top.grid(alpha=0.3)
    for name, marker in (("confirmation", "o"), ("lifecycle", "x"), ("baseline lifecycle", "+")):
        s = series.get(name)
        if s and s["t"]:
            bottom.scatter(s["t"], s["ms"], s=8, marker=marker, alpha=0.6, label=s["label"])
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("seconds since the start of the run")
    bottom.set_yscale("log")
    bottom.legend(loc="upper right")
    bottom.grid(alpha=0.3, which="both")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_open_orders_chart(steps: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ks = [s["open_orders"] for s in steps]
    ax.plot(ks, [s["worker_rss_mb"] for s in steps], "o-", label="worker RSS (MB)")
    if all(s.get("server_db_mb") is not None for s in steps):
        ax.plot(ks, [s["server_db_mb"] for s in steps], "s--", label="server database (MB)")
    ax.set_xlabel("open orders")
    ax.set_ylabel("MB")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_summary(report: dict[str, Any], console: Console) -> None:
    t = report["throughput"]
    table = Table("figure", "value", title="orderly bench", title_justify="left")
    table.add_row("complete orders / s", f"{t['orderly_lifecycles_per_s']}")
    table.add_row("mirrored baseline workflows / s", f"{t['baseline_workflows_per_s']}")
    table.add_row("ratio to the mirrored baseline (target ≥ 0.85)", f"{t['ratio']}")
    table.add_row("straightforward shape workflows / s", f"{t.get('straightforward_workflows_per_s')}")
    table.add_row("ratio to the straightforward shape (target ≥ 1.1)", f"{t.get('ratio_to_straightforward')}")
    table.add_row("CPU capacity ratio (worker+server+web)", f"{t.get('cpu_capacity_ratio')}")
    intake = report["intake"]
    for path in ("api", "client", "raw-start"):
        if path in intake["paths"]:
            p = intake["paths"][path]
            table.add_row(f"intake {path}: answered / confirmed per s", f"{p['answered_per_s']} / {p['confirmed_per_s']}")
    table.add_row("API / client submit_order (answered)", f"{intake['api_vs_client']}")
    table.add_row("API / raw start_workflow (confirmed)", f"{intake['api_vs_raw_start']}")
    for name, lat in report["latency"]["orderly"].items():
        table.add_row(f"{name} p50/p95/p99 ms", f"{lat['p50_ms']} / {lat['p95_ms']} / {lat['p99_ms']}")
    h = report["history"]
    table.add_row("history events per order", f"{h['orderly']['events']} (baseline {h['baseline']['events']}, "
                                               f"straightforward {h.get('straightforward', {}).get('events')})")
    table.add_row("history payload bytes per order", f"{h['orderly'].get('payload_bytes')}")
    r = report["resources"]
    table.add_row("worker CPU s / order", f"{r['orderly']['worker_cpu_s_per_order']} "
                                          f"(baseline {r['baseline']['worker_cpu_s_per_order']})")
    table.add_row("server CPU s / order", f"{r['orderly']['server_cpu_s_per_order']} "
                                          f"(baseline {r['baseline']['server_cpu_s_per_order']})")
    table.add_row("service CPU s / order (no driver)", f"{r['orderly']['service_cpu_s_per_order']} "
                                                       f"(baseline {r['baseline']['service_cpu_s_per_order']})")
    table.add_row("all processes CPU s / order", f"{r['orderly']['all_measured_cpu_s_per_order']} "
                                                 f"(baseline {r['baseline']['all_measured_cpu_s_per_order']})")
    table.add_row("peak worker RSS MB", f"{r['orderly']['worker_peak_rss_mb']} "
                                        f"(baseline {r['baseline']['worker_peak_rss_mb']})")
    m = report["messages"]
    table.add_row("messages sent / duplicates", f"{m['sent']} / {m['duplicates']}")
    console.print(table)
    for name, result in report["targets"].items():
        mark = {True: "[green]met[/green]", False: "[red]missed[/red]", None: "[yellow]n/a[/yellow]"}[result["met"]]
        console.print(f"  target {name}: {result['value']} {mark}")


def print_chaos_summary(report: dict[str, Any], console: Console) -> None:
    c = report["chaos"]
    table = Table("figure", "value", title="orderly bench --chaos", title_justify="left")
    table.add_row("orders", f"{c['orders']} at concurrency {report['options']['concurrency']}")
    table.add_row("worker SIGKILLs (every ~{:g} s) / server restarts".format(c["kill_every_s"]),
                  f"{c['kills']} / {c['server_restarts']}")
    table.add_row("completed", f"{c['completed']} in {c['seconds']} s ({c['completed_per_s']} / s)")
    table.add_row("lost (started, not completed)", f"{c['lost']}" + (f": {', '.join(c['lost_orders'])}"
                                                                      if c["lost_orders"] else ""))
    m = report["messages"]
    table.add_row("messages logged / provider sends", f"{m['sent']} / {m['provider_sends']}")
    table.add_row("orders without exactly their 5 messages", f"{c['orders_not_as_expected']}")
    table.add_row("duplicate sends (keys)", f"{c['duplicates']} ({c['duplicate_keys']}): "
                                            f"{c['duplicates_explained_by_the_window']} explained by the window, "
                                            f"{c['duplicates_not_explained']} not")
    d = c["driver"]
    table.add_row("driver retries", f"{d['retries']} " + (f"({', '.join(f'{k}: {v}' for k, v in d['by_cause'].items())})"
                                                           if d["by_cause"] else ""))
    lat = report["latency"]["orderly"]
    for name in ("lifecycle:api", "lifecycle:client"):
        if name in lat and lat[name]["count"]:
            table.add_row(f"{name} p50/p95/max ms", f"{lat[name]['p50_ms']} / {lat[name]['p95_ms']} / "
                                                    f"{lat[name]['max_ms']}")
    console.print(table)
    for dup in m.get("duplicate_keys", []):
        console.print(f"  duplicate {dup['key']} ×{dup['sends']}: {dup['why']}")
    console.print(f"  {report['skipped']}")
    for name, result in report["targets"].items():
        mark = {True: "[green]met[/green]", False: "[red]missed[/red]", None: "[yellow]n/a[/yellow]"}[result["met"]]
        console.print(f"  target {name}: {result['value']} {mark}")
