"""Business-day arithmetic in the company's timezone, skipping weekends and public holidays."""

from __future__ import annotations

from collections.abc import Collection
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


def holidays_between(start: date, days: int, country: str) -> list[date]:
    """The public holidays of the `days` days from `start`: what a workflow counts business days with (the
    holidays library itself is not for the workflow sandbox: it reads the clock as it loads a country)."""
    return sorted(d for year in range(start.year, (start + timedelta(days=days)).year + 1)
                  for d in (_holidays(country, year) or {}) if start <= d <= start + timedelta(days=days))


def business_days_before(day: date, days: int, holidays: Collection[date] = ()) -> date:
    """The business day `days` business days before `day` (itself, for 0, when it is a business day), skipping
    weekends and the `holidays` given. Pure: the workflow calls it."""
    def working(d: date) -> bool:
        return d.weekday() < 5 and d not in holidays
    while not working(day):
        day -= timedelta(days=1)
    remaining = days
    while remaining > 0:
        day -= timedelta(days=1)
        if working(day):
            remaining -= 1
    return day


def business_days_after(day: date, days: int, holidays: Collection[date] = ()) -> date:
    """The business day `days` business days after `day`, counted from the next business day when `day` is not
    one (as `add_business_days`), skipping weekends and the `holidays` given. Pure: the workflow calls it."""
    def working(d: date) -> bool:
        return d.weekday() < 5 and d not in holidays
    while not working(day):
        day += timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if working(day):
            remaining -= 1
    return day
