"""The one place that reads the time.

Business rules never call this: they take the time as an argument. Interfaces (views, API,
tasks) call :func:`now` and pass the value in. Tests freeze it with :func:`frozen`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/Toronto")

_source: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC unless a test froze another)."""
    return _source()


def today_eastern() -> dt.date:
    """Today's date on the warehouse's wall clock (America/Toronto)."""
    return now().astimezone(EASTERN).date()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze :func:`now` at ``at`` (which must be timezone-aware) inside the block."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    global _source
    previous = _source
    _source = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _source = previous
