"""TEST FAULT INJECTION ONLY: kill this worker process at a chosen point of a message delivery.

Off unless `ORDERLY_TEST_CRASH_AT` is set (the crash tests set it on a worker subprocess). Its value is
`<point>:<message kind>[:<channel>]`, e.g. `after_send:order_confirmation` or `after_log:work_order:webhook`, with
points `before_send` (log checked, provider not called), `after_send` (provider accepted, log not written) and
`after_log` (log written, activity not completed). The process SIGKILLs itself, as a power cut would.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "ORDERLY_TEST_CRASH_AT"
POINTS = ("before_send", "after_send", "after_log")


def crash_point(point: str, kind: str, channel: str) -> None:
    spec = os.environ.get(CRASH_AT)
    if not spec:
        return
    want = spec.split(":")
    if want[0] == point and want[1:2] == [kind] and (len(want) < 3 or want[2] == channel):
        os.kill(os.getpid(), signal.SIGKILL)
