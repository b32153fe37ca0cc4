"""The web app's way to Temporal when Temporal may be away: the app starts and serves without it.

`orderly web` used to connect before serving and stop when it could not ("Application startup failed"), taking the
console, the customer pages and the order list down with Temporal though they read the database. Now the client is
a `TemporalLink`: it connects in the background, retrying with a growing pause (at most `MAX_PAUSE` s), and until it
has a client every use of it raises `OrderError("unavailable")` — which each surface already answers as "try again"
(the API's 503, the pages' "Please try again in a moment"). Once connected, the SDK's client reconnects by itself
after an outage. `/readyz` reads `problem` to say that Temporal is the part that is down.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from temporalio.client import Client

from models.settings import Settings
from plumbing.connection import connect, tls_config
from plumbing.payload_encryption import data_converter_for

from .orders import OrderError

MAX_PAUSE = 5.0  # seconds between attempts, at most
log = logging.getLogger("orderly.web")


class TemporalLink:
    """Stands for the Temporal client: attribute access goes to the client once there is one."""

    def __init__(self, settings: Settings) -> None:
        tls_config(settings), data_converter_for(settings)  # settings that can never work fail the start (ValueError)
        self.settings, self.client, self.problem = settings, None, "not connected yet"
        self._task: asyncio.Task | None = None

    def __getattr__(self, name: str) -> Any:
        if self.client is None:
            raise OrderError("unavailable", f"Temporal cannot be reached at {self.settings.temporal_address} "
                                            f"({self.problem}); orders cannot be placed or changed right now, "
                                            "nothing was changed: please try again in a moment")
        return getattr(self.client, name)

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="temporal-link")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _connect(self) -> Client:
        pause = 0.2
        while True:
            try:
                self.client = await connect(self.settings)
                log.info("connected to Temporal at %s", self.settings.temporal_address)
                return self.client
            except Exception as e:  # noqa: BLE001  (unreachable, refused, TLS handshake: all mean "try again")
                self.problem = (str(e).splitlines() or [type(e).__name__])[0][:300]
                log.warning("Temporal at %s cannot be reached (%s); trying again in %.1f s",
                            self.settings.temporal_address, self.problem, pause)
            await asyncio.sleep(pause)
            pause = min(MAX_PAUSE, pause * 2)
