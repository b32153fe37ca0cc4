"""A small workflow for the undecodable-payload tests: it hears words by a typed signal and records what its dynamic
signal handler got that could not be decoded (`models/undecodable.py`), as the order workflow does."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue

from models.undecodable import is_undecodable, undecodable_reason


@workflow.defn
class Listener:
    def __init__(self) -> None:
        self.heard: list[str] = []
        self.dropped: list[dict[str, str]] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: "stop" in self.heard)
        return self.heard

    @workflow.signal
    def hear(self, word: str) -> None:
        self.heard.append(word)

    @workflow.signal(dynamic=True)
    def unknown_message(self, name: str, args: Sequence[RawValue]) -> None:
        self.dropped += [{"name": name, "reason": undecodable_reason(a) or ""} for a in args if is_undecodable(a)]

    @workflow.update
    def say(self, word: str) -> str:
        self.heard.append(word)
        return word

    @workflow.query
    def state(self) -> dict[str, list]:
        return {"heard": self.heard, "dropped": self.dropped}
