"""The stack the bench runs on: its own Temporal dev server (or `TEMPORAL_ADDRESS`), and the worker and web processes,
each a separate OS process so its CPU time and memory can be read with psutil."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from temporalio.client import Client

from models.settings import Settings
from starter.dev import die_with_parent, server_command, wait_for_server
from plumbing.secrets import with_dev_secrets
from plumbing.connection import connect

ROLES = ("service", "warehouse", "accounts", "manufacturer", "customer-service", "admin")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("models", "workflows", "activities", "channels", "store", "plumbing", "starter", "bench", "worker.py")


def snapshot_source(into: Path, code: str = "worktree") -> Path:
    """Copy Orderly's code for the bench's processes to run from: the working tree as it is, or (`head`) the last
    commit. Each process imports the code as it starts (and a strict workflow sandbox again for every new workflow),
    so processes started from a working tree that is being edited could run different halves of an edit; a copy
    keeps the whole run on one version of the code."""
    if code == "head":
        into.mkdir(parents=True, exist_ok=True)
        names = [n for n in SOURCES if (PROJECT_ROOT / n).exists()]
        archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", "HEAD", *names],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
        return into
    for name in SOURCES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.is_file():
            into.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Measured:
    """A process whose CPU seconds and memory the bench reads: with its children (e.g. none for the worker), except
    for the bench's own process (`children=False`), whose children are the measured processes themselves."""

    name: str
    proc: psutil.Process
    popen: subprocess.Popen | None = None
    children: bool = True
    sampled_peak: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (wall-clock time, RSS bytes)

    def cpu_seconds(self) -> float:
        try:
            t = self.proc.cpu_times()
            total = t.user + t.system
            for child in self.proc.children(recursive=True) if self.children else ():
                with _gone_ok():
                    c = child.cpu_times()
                    total += c.user + c.system
            return total
        except psutil.NoSuchProcess:
            return float("nan")

    def rss(self) -> int:
        try:
            rss = self.proc.memory_info().rss
        except psutil.NoSuchProcess:
            return 0
        self.sampled_peak = max(self.sampled_peak, rss)
        self.samples.append((time.time(), rss))
        return rss

    def peak_rss_between(self, start: float, end: float) -> int:
        """The highest sampled RSS within a phase (sampled twice a second)."""
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)

    def peak_rss(self) -> int:
        """The kernel's high-water mark (VmHWM) where there is one, else the highest sample."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return max(int(line.split()[1]) * 1024, self.sampled_peak)
        except OSError:
            pass
        return self.sampled_peak


class _gone_ok:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, psutil.NoSuchProcess)


@dataclass
class Stack:
    """Start with `await Stack.start(workdir, policy_env)`; `close()` stops everything it started."""

    workdir: Path
    settings: Settings
    env: dict[str, str]
    client: Client
    server: Measured | None = None
    processes: list[Measured] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # role -> token
    web_url: str = ""
    src: Path | None = None
    ports: tuple[int, int] | None = None  # the embedded server's gRPC and UI ports, kept for a restart

    @classmethod
    async def start(cls, workdir: Path, policy_env: dict[str, str], address: str | None,
                    code: str = "worktree") -> "Stack":
        workdir.mkdir(parents=True, exist_ok=True)
        var = workdir / "var"
        var.mkdir(exist_ok=True)
        run = secrets.token_hex(3)
        api_tokens = {f"bench-{role}-{secrets.token_hex(8)}": role for role in ROLES}
        # the secrets `orderly dev` makes (link key, payload encryption key) in <var>/secrets.json; our own tokens
        settings = with_dev_secrets(Settings(var_dir=var, task_queue=f"orderly-bench-{run}", database_url="",
                                             api_tokens=api_tokens))
        server = None
        if address is None:
            port, ui_port = free_port(), free_port()
            settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
            log = workdir / "temporal.log"
            with open(log, "ab") as log_file:
                popen = subprocess.Popen(server_command(settings, port, ui_port), stdout=log_file,
                                         stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
            server = Measured("server", psutil.Process(popen.pid), popen)
            try:
                client = await wait_for_server(settings, popen, log)
            except BaseException:
                _stop(server)
                raise
        else:
            settings = settings.model_copy(update={"temporal_address": address})
            client = await connect(settings)
        env = {**os.environ, **policy_env, "TEMPORAL_ADDRESS": settings.temporal_address,
               "TEMPORAL_NAMESPACE": settings.temporal_namespace, "ORDERLY_TASK_QUEUE": settings.task_queue,
               "ORDERLY_VAR_DIR": str(var), "ORDERLY_DATABASE_URL": "", "ORDERLY_API_TOKENS": json.dumps(api_tokens),
               # bytecode caches as an installed package has them (PYTHONDONTWRITEBYTECODE is set on some machines)
               "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        src = snapshot_source(workdir / "src", code)
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
        return cls(workdir, settings, env, client, server,
                   tokens={role: token for token, role in api_tokens.items()}, src=src,
                   ports=(port, ui_port) if address is None else None)

    @property
    def baseline_queue(self) -> str:
        return self.settings.task_queue + "-baseline"

    @property
    def temporal_db(self) -> Path:
        return self.settings.var_dir / "temporal.db"

    async def spawn(self, name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Measured:
        """Start `python -m bench.serve ARGS` and wait for its `ready` line."""
        log = open(self.workdir / f"{name}.log", "ab")
        popen = subprocess.Popen([sys.executable, "-m", "bench.serve", *args], env=env or self.env,
                                 cwd=self.src, stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                                 preexec_fn=die_with_parent)
        measured = Measured(name, psutil.Process(popen.pid), popen)
        self.processes.append(measured)
        line = await asyncio.wait_for(asyncio.to_thread(popen.stdout.readline), timeout)
        if line.strip() != b"ready":
            raise SystemExit(f"error: the bench's {name} process did not start (exit {popen.poll()}); "
                             f"see {self.workdir / (name + '.log')}")
        # what it prints afterwards (the SDK core logs to stdout, e.g. its retries while the server is away) goes to
        # its log: a pipe nobody reads would fill up and block the process
        threading.Thread(target=_copy, args=(popen.stdout, log), daemon=True).start()
        return measured

    async def start_worker(self) -> Measured:
        return await self.spawn("worker", "orderly")

    async def start_baseline_worker(self) -> Measured:
        return await self.spawn("baseline-worker", "baseline",
                                env={**self.env, "ORDERLY_TASK_QUEUE": self.baseline_queue})

    async def start_web(self) -> Measured:
        port = free_port()
        web = await self.spawn("web", "web", str(port))
        self.web_url = f"http://127.0.0.1:{port}"
        return web

    async def kill(self, measured: Measured) -> None:
        """SIGKILL a process the bench started (no shutdown of any kind: a crash) and reap it."""
        measured.popen.send_signal(signal.SIGKILL)
        await asyncio.to_thread(measured.popen.wait)

    async def restart_server(self, away: float = 2.0) -> float:
        """Stop the embedded dev server (SIGTERM, as an operator or a deploy would), leave it down `away` seconds,
        then start it again on the same ports and the same SQLite file (its state persists) and wait until it
        answers. Returns the seconds it was unreachable."""
        if self.server is None or self.ports is None:
            raise RuntimeError("only the bench's own dev server can be restarted, not the one at TEMPORAL_ADDRESS")
        stopped = time.time()
        await asyncio.to_thread(_stop, self.server)
        await asyncio.sleep(away)
        log = self.workdir / "temporal.log"
        with open(log, "ab") as log_file:
            popen = subprocess.Popen(server_command(self.settings, *self.ports), stdout=log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        self.server = Measured("server", psutil.Process(popen.pid), popen)
        await wait_for_server(self.settings, popen, log)  # a client of its own, only to know the server answers
        return time.time() - stopped

    def server_db_bytes(self) -> int | None:
        if self.server is None:
            return None
        return sum(p.stat().st_size for p in self.temporal_db.parent.glob(self.temporal_db.name + "*")
                   if p.is_file() and not p.name.endswith(".lock"))

    async def close(self) -> None:
        for measured in reversed(self.processes):
            _stop(measured)
        if self.server is not None:
            _stop(self.server)


def _copy(source, sink) -> None:
    for line in iter(source.readline, b""):
        sink.write(line)
        sink.flush()


def _stop(measured: Measured, timeout: float = 20) -> None:
    popen = measured.popen
    if popen is None or popen.poll() is not None:
        return
    popen.terminate()
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


async def sample_rss(processes: list[Measured], every: float = 0.5) -> None:
    """Keep the sampled peak RSS of each process current (for systems without VmHWM); cancel to stop."""
    while True:
        for p in processes:
            p.rss()
        await asyncio.sleep(every)

