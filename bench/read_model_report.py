"""The read-model benchmark's report: `read-model.json`, and `read-model.png` (each page's median against the number
of orders), with the issue's targets checked: at most 150 ms at the largest size, at most 3x its own 1k figure; the
insights page and its JSON (issue 29) at most 1 s, with no growth rule (they count every order of the period, so
they grow with it by nature)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TARGET_MS = 150
TARGET_GROWTH = 3.0
INSIGHTS_TARGET_MS = 1000


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    first, last = report["sizes"][0], report["sizes"][-1]
    found = {}
    for label, figure in last["pages"].items():
        base = first["pages"].get(label, {}).get("median_ms")
        growth = round(figure["median_ms"] / base, 2) if base else None
        if "insights" in label:
            ok = figure["median_ms"] <= INSIGHTS_TARGET_MS
        else:
            ok = figure["median_ms"] <= TARGET_MS and (growth is None or growth <= TARGET_GROWTH)
        found[label] = {"median_ms": figure["median_ms"], "growth": growth, "ok": ok}
    return found


def write_report(report: dict[str, Any], out: Path) -> None:
    report["verdicts"] = verdicts(report)
    report["all_ok"] = all(v["ok"] for v in report["verdicts"].values())
    (out / "read-model.json").write_text(json.dumps(report, indent=2))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    sizes = [s["orders"] for s in report["sizes"]]
    fig, ax = plt.subplots(figsize=(11, 7))
    for label in report["sizes"][-1]["pages"]:
        ax.plot(sizes, [s["pages"].get(label, {}).get("median_ms") for s in report["sizes"]], marker="o",
                linewidth=0.8, label=label)
    ax.axhline(TARGET_MS, color="red", linestyle="--", label=f"target {TARGET_MS} ms")
    ax.set_xscale("log")
    ax.set_xlabel("orders in the read model")
    ax.set_ylabel("median ms")
    ax.set_title(f"Read model on {report['database']}: every page and list, each role")
    ax.legend(fontsize=5, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "read-model.png", dpi=120)
    plt.close(fig)


def table(report: dict[str, Any]) -> str:
    """A markdown table: each page's median at each size, its growth from the first size, and the verdict."""
    sizes = [s["orders"] for s in report["sizes"]]
    lines = ["| page | " + " | ".join(f"{n:,} orders" for n in sizes) + " | growth | ok |",
             "| --- |" + " --- |" * (len(sizes) + 2)]
    for label, verdict in report["verdicts"].items():
        cells = [f"{s['pages'].get(label, {}).get('median_ms', '—')} ms" for s in report["sizes"]]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {verdict['growth']}x | "
                     f"{'yes' if verdict['ok'] else '**no**'} |")
    return "\n".join(lines)
