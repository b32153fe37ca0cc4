"""Business-day arithmetic in the company's timezone, skipping weekends and public holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=16)
def _holidays(country: str, year: int) -> holidays.HolidayBase | dict:
    return holidays.country_holidays(country, years=year) if country else {}


def is_business_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: datetime, days: int, timezone: str, country: str) -> date:
    """The date `days` business days after `start` (an aware datetime), counted in the company's timezone.

    An order received on a weekend or holiday starts counting from the next business day.
    """
    day = start.astimezone(ZoneInfo(timezone)).date()
    while not is_business_day(day, country):
        day += timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country):
            remaining -= 1
    return day
