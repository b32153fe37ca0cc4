"""Timeouts and retry policies of every activity the order workflow calls: bounded attempts, bounded time.

Read-only mappings: this module is passed through the sandbox (`sandbox.py`), one copy shared by every order.
"""

from datetime import timedelta
from types import MappingProxyType

from temporalio.common import RetryPolicy

CHECK_OPTIONS = MappingProxyType(dict(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=10)))
# A send whose worker died is retried once no heartbeat came for 10 s: a send that runs longer than 3 s beats every
# 3 s (`activities.delivery.kept_alive`), a shorter one never needs to
SEND_OPTIONS = MappingProxyType(dict(
    start_to_close_timeout=timedelta(seconds=60), heartbeat_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5),
                             maximum_attempts=30)))
SAVE_OPTIONS = MappingProxyType(dict(
    start_to_close_timeout=timedelta(seconds=30), schedule_to_close_timeout=timedelta(hours=1),
    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30))))
