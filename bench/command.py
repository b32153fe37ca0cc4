"""The `orderly bench` command behind the CLI: checks its options and what it needs, runs a mode, cleans up."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from rich.console import Console

VIAS = ("mixed", "api", "client")
CODES = ("worktree", "head")


class BenchUsageError(Exception):
    pass


class BenchFailed(Exception):
    """The run failed; its server, worker and web logs are kept for a look."""


def check(orders: int, concurrency: int, rate: float | None, intake: int | None, via: str,
          open_orders: int | None, code: str = "worktree", chaos: bool = False, kill_every: float = 5.0,
          address: str | None = None) -> None:
    missing = [m for m in ("psutil", "matplotlib", "httpx") if importlib.util.find_spec(m) is None]
    if missing:
        raise BenchUsageError(f"the bench needs {', '.join(missing)}: pip install -e '.[bench]' (make bench does it)")
    if via not in VIAS:
        raise BenchUsageError(f"--via must be one of {', '.join(VIAS)}, not {via!r}")
    if code not in CODES:
        raise BenchUsageError(f"--code must be one of {', '.join(CODES)}, not {code!r}")
    if orders < 2:
        raise BenchUsageError("--orders must be at least 2 (the baseline runs half before and half after)")
    if concurrency < 1 or (rate is not None and rate <= 0) or (intake is not None and intake < 1):
        raise BenchUsageError("--concurrency, --rate and --intake must be positive")
    if open_orders is not None and open_orders < 1:
        raise BenchUsageError("--open-orders must be positive")
    if chaos and open_orders is not None:
        raise BenchUsageError("--chaos and --open-orders are separate modes: choose one")
    if chaos and kill_every <= 0:
        raise BenchUsageError("--kill-every must be positive")
    if chaos and address:
        raise BenchUsageError("--chaos restarts the Temporal server: it runs only on its own embedded dev server "
                              "(unset TEMPORAL_ADDRESS)")


def quiet_core_logs() -> None:
    """The Temporal SDK core logs (its retries while a server is away, say) to stdout, where `--json` writes the
    report: forward them to Python logging instead (warnings and worse reach stderr)."""
    import logging

    from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core"))))), error_if_already_set=False)


def main(orders: int, concurrency: int, rate: float | None, intake: int | None, via: str, open_orders: int | None,
         out: Path, keep: bool, as_json: bool, code: str = "worktree", chaos: bool = False,
         kill_every: float = 5.0) -> dict:
    """Run the bench; returns the report. Progress and the summary go to stderr with --json, else to stdout."""
    address = os.environ.get("TEMPORAL_ADDRESS") or None
    check(orders, concurrency, rate, intake, via, open_orders, code, chaos, kill_every, address)
    console = Console(stderr=as_json, soft_wrap=True)
    quiet_core_logs()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")).resolve() / f"orderly-bench-{os.getpid()}"
    out = out.resolve()
    failed = False
    try:
        if open_orders is not None:
            from .open_orders import run as run_open
            report = asyncio.run(run_open(open_orders, concurrency, out, workdir, address, console, code=code))
        elif chaos:
            from .chaos import run as run_chaos
            from .lifecycles import Options
            options = Options(orders=orders, concurrency=concurrency, rate=rate, via=via, out=out, workdir=workdir,
                              code=code)
            report = asyncio.run(run_chaos(options, console, kill_every))
        else:
            from .lifecycles import Options, run
            options = Options(orders=orders, concurrency=concurrency, rate=rate, intake=intake, via=via, out=out,
                              workdir=workdir, address=address, code=code)
            report = asyncio.run(run(options, console))
    except (Exception, SystemExit) as e:
        failed = True
        message = e.code if isinstance(e, SystemExit) else f"{type(e).__name__}: {e}"
        raise BenchFailed(f"the bench failed: {message}; its logs (temporal.log, worker.log, web.log) are kept in "
                          f"{workdir}") from e
    finally:
        if not keep and not failed:
            shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        json.dump(report, sys.stdout, indent=2, default=str)
        print()
    else:
        console.print(f"report: {report['files']['json']}" + (f", chart: {report['files']['chart']}"
                                                                 if "chart" in report["files"] else ""))
    return report
