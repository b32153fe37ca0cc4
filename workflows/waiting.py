"""Waiting for what the order needs next, with a timeout, and the ways a wait ends the process early.

A cancellation requested from Temporal arrives in a wait as `asyncio.CancelledError` (see `cancellation.py`): taken,
the wait ends as a cancelled order's does; refused (the order has shipped), the order goes on waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from .cancellation import TemporalCancel
from .state import OrderState


class OrderCancelled(Exception):
    """Raised inside the workflow when a step finds the order cancelled; `run` closes the order."""


class FormExpired(Exception):
    """Raised when an incomplete form was not completed within the policy's time."""


class Waiter:
    def __init__(self, state: OrderState, temporal_cancel: TemporalCancel) -> None:
        self.state, self.temporal_cancel = state, temporal_cancel

    async def until(self, condition: Callable[[], bool], timeout: timedelta | None = None,
                    cancellable: bool = True) -> bool:
        """Wait for `condition` up to `timeout`; False on timeout. Raises OrderCancelled when the order is cancelled."""
        stop = (lambda: condition() or self.state.cancel_requested) if cancellable else condition
        deadline = None if timeout is None else workflow.now() + timeout
        while True:
            left = None if deadline is None else deadline - workflow.now()
            if left is not None and left <= timedelta(0):
                done = stop()
                break
            try:
                await workflow.wait_condition(stop, timeout=left)
                done = True
                break
            except asyncio.TimeoutError:
                done = False
                break
            except asyncio.CancelledError:
                if self.temporal_cancel.take():
                    done = stop()
                    break  # (refused: recorded, and the order goes on waiting)
        if cancellable:
            self.stop_if_cancelled()
        return done and condition()

    def stop_if_cancelled(self) -> None:
        if self.state.cancel_requested:
            raise OrderCancelled()
