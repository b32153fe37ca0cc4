"""When a send is remembered in the activity's heartbeat: only when the log write after the provider's acceptance
fails or is slow (a heartbeat is a write on the Temporal server, so the common case must not pay one)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from temporalio.testing import ActivityEnvironment

from activities.delivery import kept_alive, remember_sent, remembered_if_slow, sent_before


def heartbeats_around(write, beat: threading.Event | None = None) -> tuple[list, BaseException | None]:  # noqa: ANN001
    env, beats, error = ActivityEnvironment(), [], None

    def on_heartbeat(*details) -> None:  # noqa: ANN002
        beats.append(details)
        if beat is not None:
            beat.set()
    env.on_heartbeat = on_heartbeat

    def activity_body() -> None:
        with remembered_if_slow("ORD-1/order_confirmation/customer/1", "sg-123", after=0.1):
            write()
    try:
        env.run(activity_body)
    except Exception as e:  # noqa: BLE001
        error = e
    return beats, error


def test_a_prompt_log_write_sends_no_heartbeat():
    beats, error = heartbeats_around(lambda: None)
    time.sleep(0.2)  # past the watchdog's second
    assert error is None and beats == []


def test_a_slow_log_write_is_remembered_while_it_waits():
    """The write lasts until the watchdog's heartbeat comes (at most 10 s): it used to sleep 0.4 s, and a watchdog
    thread scheduled later than that on a busy machine was cancelled before it fired."""
    beat = threading.Event()
    started = time.monotonic()
    beats, error = heartbeats_around(lambda: beat.wait(10), beat)
    assert beat.is_set(), "the watchdog never remembered the send while the write hung"
    assert time.monotonic() - started >= 0.1, "not before the watchdog's time"
    assert error is None
    assert beats == [({"ORD-1/order_confirmation/customer/1": "sg-123"},)]


def test_a_failed_log_write_is_remembered_before_the_error_goes_up():
    def fails() -> None:
        raise ConnectionError("database unreachable")
    beats, error = heartbeats_around(fails)
    assert isinstance(error, ConnectionError)
    assert beats == [({"ORD-1/order_confirmation/customer/1": "sg-123"},)]


def test_the_next_attempt_finds_the_remembered_send():
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_details=[{"ORD-1/x/customer/1": "sg-9"}])
    assert env.run(sent_before, "ORD-1/x/customer/1") == "sg-9"
    assert env.run(sent_before, "ORD-1/y/customer/1") is None


def test_outside_an_activity_nothing_is_remembered():
    with remembered_if_slow("k", "p", after=0.01):
        time.sleep(0.05)  # no activity context: no watchdog, no error
    with pytest.raises(ValueError):
        with remembered_if_slow("k", "p"):
            raise ValueError("passes through")


def test_a_long_send_heartbeats_while_it_runs_carrying_what_it_remembers():
    """The send activities have a heartbeat timeout, so a send whose worker died is retried in seconds; a send that
    runs long beats meanwhile — with the sends an earlier attempt remembered, which the next attempt must still see."""
    env, beats = ActivityEnvironment(), []
    env.on_heartbeat = lambda *details: beats.append(details)
    env.info = dataclasses.replace(env.info, heartbeat_details=[{"ORD-1/x/customer/1": "sg-9"}])

    def long_send() -> None:
        with kept_alive(every=0.05):
            deadline = time.monotonic() + 10
            while len(beats) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            remember_sent("ORD-1/y/customer/1", "sg-10")
            deadline = time.monotonic() + 10
            while len(beats) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
    env.run(long_send)
    assert len(beats) >= 4
    assert beats[0] == beats[1] == ({"ORD-1/x/customer/1": "sg-9"},)
    assert beats[-1] == ({"ORD-1/x/customer/1": "sg-9", "ORD-1/y/customer/1": "sg-10"},)


def test_a_short_send_sends_no_heartbeat():
    env, beats = ActivityEnvironment(), []
    env.on_heartbeat = lambda *details: beats.append(details)

    def short_send() -> None:
        with kept_alive(every=0.2):
            time.sleep(0.01)
    env.run(short_send)
    time.sleep(0.3)  # past when a beat would have come, had the send still run
    assert beats == []
