"""Client calls that ride out a restarted worker or a Temporal server away for a while (the chaos bench)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from temporalio.service import RPCError

from starter import orders


class ApiError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_name(e: BaseException) -> str:
    """What went wrong, in a word or two, for counting retries by cause."""
    if isinstance(e, RPCError):
        return f"RPCError {e.status.name if e.status is not None else '?'}"
    if isinstance(e, orders.OrderError):
        return f"OrderError {e.kind}"
    if isinstance(e, ApiError):
        return f"HTTP {e.status}"
    return type(e).__name__


class Retrier:
    """Client calls that ride out a worker being restarted or the Temporal server being away for a while (the chaos
    bench): a failed call is tried again after a bounded backoff (`first` seconds, doubling to `most`) for at most
    `patience` seconds, then its error is raised. Every retry is counted, by step and by cause.

    An action whose answer was lost may have taken effect all the same (the update was accepted, then the server
    went away), and sending it again would be refused ("already shipped"): so before each retry of an action,
    `applied()` looks at the order, and a retry is only sent for what has not happened."""

    def __init__(self, patience: float = 300, first: float = 0.5, most: float = 5) -> None:
        self.patience, self.first, self.most = patience, first, most
        self.by_step: Counter = Counter()
        self.by_cause: Counter = Counter()
        self.found_applied: Counter = Counter()  # retries not sent: the action had taken effect

    async def __call__(self, step: str, attempt: Callable[[], Awaitable],
                       applied: Callable[[], Awaitable[bool]] | None = None):
        deadline = time.monotonic() + self.patience
        delay = self.first
        while True:
            try:
                return await attempt()
            except Exception as e:
                if time.monotonic() + delay > deadline:
                    raise
                self.by_step[step] += 1
                self.by_cause[error_name(e)] += 1
            await asyncio.sleep(delay)
            delay = min(self.most, delay * 2)
            if applied is not None:
                with contextlib.suppress(Exception):  # cannot tell yet (no worker to answer): try the action again
                    if await applied():
                        self.found_applied[step] += 1
                        return None

    def figures(self) -> dict:
        return {"retries": sum(self.by_step.values()), "by_step": dict(sorted(self.by_step.items())),
                "by_cause": dict(sorted(self.by_cause.items())),
                "found_applied_instead_of_resent": dict(sorted(self.found_applied.items())),
                "backoff": {"first_s": self.first, "most_s": self.most, "patience_s": self.patience}}
