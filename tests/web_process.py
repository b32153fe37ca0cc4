"""`orderly web` as its own process (as it runs in a deployment), for the tests that measure it from outside: its
memory under big bodies, its start while Temporal is away."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from models.settings import Settings

from .conftest import TOKENS

ORDERLY = str(Path(sys.executable).parent / "orderly")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """The process's resident memory now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


@asynccontextmanager
async def web_process(settings: Settings, temporal_address: str, **env: str):
    """Run `orderly web` with the test's settings against `temporal_address`; yield (base URL, process)."""
    port = free_port()
    environment = {**os.environ, "TEMPORAL_ADDRESS": temporal_address, "ORDERLY_WEB_HOST": "127.0.0.1",
                   "ORDERLY_WEB_PORT": str(port), "ORDERLY_VAR_DIR": str(settings.var_dir),
                   "ORDERLY_TASK_QUEUE": settings.task_queue, "ORDERLY_SECRET_KEY": "test-secret-key",
                   "ORDERLY_API_TOKENS": json.dumps(TOKENS), "ORDERLY_LOG_LEVEL": "WARNING", **env}
    log = open(settings.var_dir.parent / "web.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([ORDERLY, "web"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            for _ in range(300):
                assert proc.poll() is None, "orderly web exited:\n" + (settings.var_dir.parent / "web.log").read_text()
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("orderly web did not answer /healthz within 30 s")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def raw_post(base: str, path: str, size: int, headers: dict[str, str], chunked: bool = False,
                   chunk: int = 1 << 20) -> tuple[int, bytes, float]:
    """POST `size` bytes to `path` over a plain socket, sending (in a thread) while the server reads and reading
    its answer as soon as it comes (a server that answers early is not made to wait for the whole body); (status,
    body, seconds until the answer)."""
    return await asyncio.to_thread(_raw_post, base, path, size, headers, chunked, chunk)


def _raw_post(base: str, path: str, size: int, headers: dict[str, str], chunked: bool,
              chunk: int) -> tuple[int, bytes, float]:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=120)
    headers = {"Content-Type": "application/json", **headers}
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}",
            "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}",
            *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    start = time.monotonic()
    block = b"[" + b"1," * (chunk // 2 - 1) + b"1"  # (as JSON it never ends: the body is not meant to be valid)
    answered = threading.Event()

    def send() -> None:
        try:
            sock.sendall("\r\n".join(head).encode())
            sent = 0
            while sent < size and not answered.is_set():
                piece = block[:size - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked and not answered.is_set():
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection after answering: the answer is read below

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            assert piece, f"the connection closed without an answer: {data!r}"
            data += piece
        elapsed = time.monotonic() - start
        head_in, _, body = data.partition(b"\r\n\r\n")
        lines = head_in.decode("latin-1").split("\r\n")
        length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                       if k.strip().lower() == "content-length"), 0)
        while len(body) < length:
            piece = sock.recv(65536)
            assert piece, "the connection closed in the middle of the answer"
            body += piece
    finally:
        answered.set()
        with contextlib.suppress(OSError):  # (already reset by the server)
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        sender.join(30)
    return int(lines[0].split()[1]), body, elapsed
