"""The per-process buffer is bounded: a flood cannot grow memory; drops are counted (PP-2)."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.stats.buffer import PageView, StatsBuffer
from hearth.stats.models import Dimension

pytestmark = pytest.mark.promise("PP-2")

DAY = dt.date(2026, 11, 2)
T = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def view(n: int, *, path: str | None = None, visitor: str = "v") -> PageView:
    return PageView(
        DAY, T + dt.timedelta(seconds=n), path or f"/p{n}", "", "Chrome", "Linux", visitor
    )


def test_a_flood_of_distinct_pages_stays_within_the_bound_and_counts_its_drops():
    buffer = StatsBuffer(flush_size=50, max_keys=100, flush_seconds=3600)
    asks = [buffer.add(view(n, visitor=f"v{n}")) for n in range(100_000)]
    assert len(buffer) <= 100 + 1  # the bound, plus the day's drop counter
    batch = buffer.drain()
    counted = batch.counts[(DAY, Dimension.VIEWS.value, "")]
    dropped = batch.counts[(DAY, Dimension.DROPPED.value, "")]
    assert counted + dropped == 100_000
    assert counted < 50 and dropped > 99_000
    assert all(asks[counted:])  # every refused view asks for a flush
    assert len(buffer) == 0


def test_views_of_keys_already_held_still_count_when_the_buffer_is_full():
    buffer = StatsBuffer(flush_size=10, max_keys=10, flush_seconds=3600)
    for n in range(1000):
        buffer.add(view(n, path="/", visitor="same"))
    batch = buffer.drain()
    assert batch.counts[(DAY, Dimension.VIEWS.value, "")] == 1000
    assert batch.counts[(DAY, Dimension.DROPPED.value, "")] == 0
    assert batch.visitors[(DAY, "same")].views == 1000


def test_the_buffer_asks_for_a_flush_at_its_size_or_age():
    buffer = StatsBuffer(flush_size=8, max_keys=100, flush_seconds=3600)
    assert buffer.add(view(0, visitor="a")) is False  # 6 keys: 5 counts, 1 visitor-day
    assert buffer.add(view(1, visitor="b")) is True  # 8 keys: a new page, a new visitor-day
    old = StatsBuffer(flush_size=100, max_keys=100, flush_seconds=0)
    assert old.add(view(0)) is True


def test_a_visitor_days_entry_is_its_earliest_page_and_its_exit_its_latest():
    buffer = StatsBuffer(flush_size=100, max_keys=100, flush_seconds=3600)
    buffer.add(view(5, path="/middle"))
    buffer.add(view(9, path="/last"))
    buffer.add(view(1, path="/first"))  # arrived late (another thread), but earlier
    hits = buffer.drain().visitors[(DAY, "v")]
    assert (hits.entry_path, hits.exit_path, hits.views) == ("/first", "/last", 3)


def test_a_buffer_needs_a_sane_size():
    with pytest.raises(ValueError):
        StatsBuffer(flush_size=10, max_keys=5, flush_seconds=1)
