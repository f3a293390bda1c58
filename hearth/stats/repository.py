"""The statistics write path: one statement per table per flush, off the ORM (DESIGN.md).

Both statements are upserts that SQLite and PostgreSQL read the same way: counts add up; a
visitor-day keeps its earliest first page (entry) and its latest last page (exit), whichever
process flushed first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection

from hearth.stats.buffer import Batch

_COUNTS = (
    "INSERT INTO stats_dailycount (day, dimension, key, count) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (day, dimension, key) DO UPDATE SET count = stats_dailycount.count + "
    "excluded.count"
)
_VISITORS = (
    "INSERT INTO stats_visitorday "
    "(day, visitor, first_seen, entry_path, last_seen, exit_path, views) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (day, visitor) DO UPDATE SET "
    "entry_path = CASE WHEN excluded.first_seen < stats_visitorday.first_seen "
    "THEN excluded.entry_path ELSE stats_visitorday.entry_path END, "
    "first_seen = CASE WHEN excluded.first_seen < stats_visitorday.first_seen "
    "THEN excluded.first_seen ELSE stats_visitorday.first_seen END, "
    "exit_path = CASE WHEN excluded.last_seen >= stats_visitorday.last_seen "
    "THEN excluded.exit_path ELSE stats_visitorday.exit_path END, "
    "last_seen = CASE WHEN excluded.last_seen >= stats_visitorday.last_seen "
    "THEN excluded.last_seen ELSE stats_visitorday.last_seen END, "
    "views = stats_visitorday.views + excluded.views"
)


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _at(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def add_counts(rows: Iterable[tuple[dt.date, str, str, int]]) -> None:
    params = [(_day(d), dim, key, n) for d, dim, key, n in rows if n]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(_COUNTS, params)


def write_batch(batch: Batch) -> None:
    """Write one drained buffer (the caller holds the transaction)."""
    add_counts((d, dim, key, n) for (d, dim, key), n in sorted(batch.counts.items()))
    params = [
        (_day(d), v, _at(h.first_seen), h.entry_path, _at(h.last_seen), h.exit_path, h.views)
        for (d, v), h in sorted(batch.visitors.items())
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(_VISITORS, params)
