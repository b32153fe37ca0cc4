"""Work the order starts beside its main process (reminders, saves from handlers), finished before it completes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow


class Background:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Future] = []

    def start(self, work: Awaitable[None]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    async def finish(self) -> None:
        """Wait for the reminders, the handlers and the saves they started, so the last state reaches the read model."""
        await asyncio.gather(*self.tasks)
        await workflow.wait_condition(workflow.all_handlers_finished)
        while pending := [task for task in self.tasks if not task.done()]:
            await asyncio.gather(*pending)
