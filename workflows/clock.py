"""Dates in the company's timezone, from the workflow's deterministic clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)  # allowed by workflows/sandbox.py

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def today(self) -> date:
        return self.local_date(workflow.now())

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(), self.tz)
