"""Waiting for what the order needs next, with a timeout, and the two ways a wait ends the process early."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from .state import OrderState


class OrderCancelled(Exception):
    """Raised inside the workflow when a step finds the order cancelled; `run` closes the order."""


class FormExpired(Exception):
    """Raised when an incomplete form was not completed within the policy's time."""


class Waiter:
    def __init__(self, state: OrderState) -> None:
        self.state = state

    async def until(self, condition: Callable[[], bool], timeout: timedelta | None = None,
                    cancellable: bool = True) -> bool:
        """Wait for `condition` up to `timeout`; False on timeout. Raises OrderCancelled when the order is cancelled."""
        stop = (lambda: condition() or self.state.cancel_requested) if cancellable else condition
        if timeout is not None and timeout <= timedelta(0):
            done = stop()
        else:
            try:
                await workflow.wait_condition(stop, timeout=timeout)
                done = True
            except asyncio.TimeoutError:
                done = False
        if cancellable:
            self.stop_if_cancelled()
        return done and condition()

    def stop_if_cancelled(self) -> None:
        if self.state.cancel_requested:
            raise OrderCancelled()
