"""The worker's delivery of one message through one channel, at most once per key.

The send log is checked before the provider is called and written after it answered (`channels.sending.attempt`):
a retried or re-run activity finds the key and does not call the provider again. The one window nothing can close
is between the provider accepting a message and the log write: a crash there sends that message again on retry
(with the same Message-ID, SendGrid `orderly_key` or webhook `Idempotency-Key`, so the receiver can tell it is a
repeat). When the log write is in trouble, the acceptance is also remembered in the activity's heartbeat, which
Temporal hands to the next attempt, so a database outage alone never causes a repeat.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from temporalio import activity

from channels.sending import Channels, attempt
from models.messages import Delivery, Outgoing
from store.send_log import FINAL, as_delivery, key_for, record_patiently

REMEMBER_AFTER = 1.0  # seconds a log write may take before the send is remembered in a heartbeat anyway
KEEP_ALIVE_EVERY = 3.0  # seconds between a long send activity's heartbeats (its heartbeat timeout is 10 s)


def deliver_once(engine: Engine, channels: Channels, out: Outgoing, *, last_try: bool = False) -> Delivery:
    """Deliver unless the log already has this key sent (or given up, or being resent by staff), or an earlier
    attempt of this activity saw the provider accept it before its log write failed (see `sent_before`).

    A key that went out with other content (a reset workflow sending with other facts) is not this message: it is
    delivered as the key's next revision, `<key>~2` (`send_log.key_for`), never dropped."""
    out, earlier = key_for(engine, out)
    if earlier is not None and earlier.status in FINAL:
        return as_delivery(earlier, duplicate=True)
    if (provider_id := sent_before(out.key)) is not None:
        row = record_patiently(engine, channels.settings.send_log_patience, out, "sent", outcome="sent",
                               by="worker", provider_id=provider_id)
        return as_delivery(row, duplicate=True)
    return attempt(engine, channels, out, by="worker", last_try=last_try, guard=remembered_if_slow)


def sent_before(key: str) -> str | None:
    """The provider id an earlier attempt of this activity recorded (as heartbeat details) for `key`, if any."""
    if not activity.in_activity():
        return None
    details = activity.info().heartbeat_details
    sent = details[0] if details and isinstance(details[0], dict) else {}
    return sent.get(key)


_SENT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("sent", default=None)


def remember_sent(key: str, provider_id: str) -> None:
    """Record with the Temporal server that the provider accepted `key`: if the log write then fails for good (the
    database is down), the activity's retry finds it in its heartbeat details and does not send the message again."""
    if not activity.in_activity():
        return
    sent = _sent()
    sent[key] = provider_id
    activity.heartbeat(dict(sent))


def _sent() -> dict[str, str]:
    """The sends this activity remembers: an earlier attempt's (its heartbeat details), and, inside `kept_alive`,
    this attempt's since."""
    if (sent := _SENT.get()) is not None:  # inside `kept_alive`: this attempt's, kept as they come
        return sent
    details = activity.info().heartbeat_details
    return dict(details[0]) if details and isinstance(details[0], dict) else {}


@contextmanager
def kept_alive(every: float = KEEP_ALIVE_EVERY) -> Iterator[None]:
    """Around a send activity: a heartbeat every `every` seconds while it runs, carrying what it remembers.

    The send activities have a heartbeat timeout (`workflows/activity_options.py`), so a send whose worker died is
    retried by Temporal within seconds instead of at the end of its 60 s start-to-close timeout. An activity that
    finishes within `every` seconds — nearly all of them — sends no heartbeat: the common case costs the server
    nothing."""
    if not activity.in_activity():
        yield
        return
    bound = _SENT.set(_sent())  # this attempt's remembered sends: the watchdog's copy of the context shares them
    context, done = contextvars.copy_context(), threading.Event()

    def beat() -> None:
        if not done.is_set():  # (a beat already taken off the watchdog's list as the activity ended)
            activity.heartbeat(dict(_sent()))
    disarm = WATCHDOG.arm(every, lambda: context.run(beat), repeat=True)
    try:
        yield
    finally:
        done.set()
        disarm()
        _SENT.reset(bound)


class Watchdog:
    """One daemon thread for every send's "is the log write slow?" check in the process: a thread started per send
    cost more than the send log's own write. `arm` schedules a call `after` seconds from now and returns what
    disarms it (a call already made stays made)."""

    def __init__(self) -> None:
        self.due: list[tuple[float, int]] = []
        self.calls: dict[int, Callable[[], None]] = {}
        self.every: dict[int, float] = {}  # the repeating ones, and their interval
        self.lock = threading.Condition()
        self.count = itertools.count()
        self.thread: threading.Thread | None = None

    def arm(self, after: float, call: Callable[[], None], repeat: bool = False) -> Callable[[], None]:
        """`call` in `after` seconds (and, with `repeat`, every `after` seconds from then on until disarmed)."""
        n = next(self.count)
        with self.lock:
            self.calls[n] = call
            if repeat:
                self.every[n] = after
            heapq.heappush(self.due, (time.monotonic() + after, n))
            if self.thread is None or not self.thread.is_alive():  # (first use, or after a fork)
                self.thread = threading.Thread(target=self.serve, name="send-log-watchdog", daemon=True)
                self.thread.start()
            self.lock.notify()

        def disarm() -> None:
            with self.lock:
                self.calls.pop(n, None)
                self.every.pop(n, None)
        return disarm

    def serve(self) -> None:
        while True:
            with self.lock:
                while not self.due or self.due[0][0] > time.monotonic():
                    self.lock.wait(self.due[0][0] - time.monotonic() if self.due else None)
                _, n = heapq.heappop(self.due)
                call = self.calls.get(n) if n in self.every else self.calls.pop(n, None)
                if call is not None and n in self.every:
                    heapq.heappush(self.due, (time.monotonic() + self.every[n], n))
            if call is not None:
                try:
                    call()  # outside the lock: a slow heartbeat must not hold up the sends arming their checks
                except Exception:  # noqa: BLE001 (one failed call must not stop every later send's)
                    logging.getLogger(__name__).exception("send watchdog call failed")


WATCHDOG = Watchdog()


@contextmanager
def remembered_if_slow(key: str, provider_id: str, after: float = REMEMBER_AFTER) -> Iterator[None]:
    """Around the log write after the provider accepted `key`: if the write fails, or has not finished within
    `after` seconds (a database that hangs rather than refuses), remember the send in a heartbeat first.

    A heartbeat is a write on the Temporal server, so it is spent only when the log write is in trouble: the
    common case, a log write that succeeds at once, costs the server nothing. Only a worker crash between the
    provider's answer and the log write (or, for a slow write, the first `after` seconds of it) remains open."""
    if not activity.in_activity():
        yield
        return
    context, fired = contextvars.copy_context(), threading.Event()

    def remember() -> None:
        context.run(remember_sent, key, provider_id)
        fired.set()
    disarm = WATCHDOG.arm(after, remember)
    try:
        yield
    except BaseException:
        disarm()
        if not fired.is_set():  # (a heartbeat sent twice in a race carries the same details)
            remember_sent(key, provider_id)
        raise
    finally:
        disarm()
