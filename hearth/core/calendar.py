"""The business calendar of PROMISES.md, as pure functions of dates.

A business day is a Monday to Friday that is neither an Ontario statutory holiday nor a federal
statutory holiday (observed days included), exactly as the ``holidays`` package reports them:
``country_holidays("CA", subdiv="ON")`` together with
``country_holidays("CA", categories=("government",))``. Easter Monday and the Civic Holiday are
therefore business days; the National Day for Truth and Reconciliation and Remembrance Day are not.

We take the ``holidays`` package for the table (it tracks every statute change) and cache each
year's dates as a frozen set, so a lookup is one set membership test.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

SATURDAY = 5


@cache
def holidays_in(year: int) -> dict[dt.date, str]:
    """Ontario and federal statutory holidays of ``year``, observed days included, with names."""
    ontario = holidays.country_holidays("CA", subdiv="ON", years=year)
    federal = holidays.country_holidays("CA", categories=("government",), years=year)
    merged: dict[dt.date, str] = {}
    for table in (ontario, federal):
        for day, name in table.items():
            merged.setdefault(day, name)
    return merged


@cache
def _closed_days(year: int) -> frozenset[dt.date]:
    return frozenset(holidays_in(year))


def holiday_name(day: dt.date) -> str | None:
    """The holiday's name, or None when ``day`` is not a statutory holiday."""
    return holidays_in(day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    """True for a Monday to Friday that is not an Ontario or federal statutory holiday."""
    return day.weekday() < SATURDAY and day not in _closed_days(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """The first business day strictly after ``day``."""
    candidate = day + dt.timedelta(days=1)
    while not is_business_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself never counts).

    ``add_business_days(d, 0)`` is ``d``. "Within N working days of D" means on or before
    ``add_business_days(D, N)``.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    for _ in range(count):
        current = next_business_day(current)
    return current


def business_days_between(start: dt.date, end: dt.date) -> int:
    """How many business days fall in the half-open range (start, end]."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count
