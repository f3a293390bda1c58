"""The per-process buffer of page views (PP-2): no database write per request.

Views are folded into counters as they come (one counter per day, dimension and key; one entry
per visitor-day), so memory grows with distinct keys, not with views. ``add`` asks for a flush
when the buffer holds ``flush_size`` keys or its oldest view is ``flush_seconds`` old; at
``max_keys`` it refuses new keys and counts the drops (a flood cannot grow memory without bound;
views of keys already held still count). ``drain`` hands the whole content over in one swap.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from hearth.stats.models import Dimension


@dataclass(frozen=True)
class PageView:
    day: dt.date
    at: dt.datetime
    path: str
    referrer: str
    browser: str
    os: str
    visitor: str


@dataclass
class VisitorHits:
    first_seen: dt.datetime
    entry_path: str
    last_seen: dt.datetime
    exit_path: str
    views: int


@dataclass
class Batch:
    counts: Counter[tuple[dt.date, str, str]] = field(default_factory=Counter)
    visitors: dict[tuple[dt.date, str], VisitorHits] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.counts) + len(self.visitors)


def _keys(view: PageView) -> tuple[tuple[dt.date, str, str], ...]:
    return (
        (view.day, Dimension.VIEWS.value, ""),
        (view.day, Dimension.PAGE.value, view.path),
        (view.day, Dimension.REFERRER.value, view.referrer),
        (view.day, Dimension.BROWSER.value, view.browser),
        (view.day, Dimension.OS.value, view.os),
    )


class StatsBuffer:
    def __init__(self, *, flush_size: int, max_keys: int, flush_seconds: float) -> None:
        if not 0 < flush_size <= max_keys:
            raise ValueError("need 0 < flush_size <= max_keys")
        self.flush_size = flush_size
        self.max_keys = max_keys
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._batch = Batch()
        self._since: float | None = None

    def __len__(self) -> int:
        return len(self._batch)

    def add(self, view: PageView) -> bool:
        """Count one view; True when the buffer should be flushed now."""
        with self._lock:
            batch = self._batch
            keys = _keys(view)
            vkey = (view.day, view.visitor)
            new = sum(1 for k in keys if k not in batch.counts) + (vkey not in batch.visitors)
            if new and len(batch) + new > self.max_keys:
                batch.counts[(view.day, Dimension.DROPPED.value, "")] += 1
                return True
            for k in keys:
                batch.counts[k] += 1
            hits = batch.visitors.get(vkey)
            if hits is None:
                batch.visitors[vkey] = VisitorHits(view.at, view.path, view.at, view.path, 1)
            else:
                if view.at < hits.first_seen:
                    hits.first_seen, hits.entry_path = view.at, view.path
                if view.at >= hits.last_seen:
                    hits.last_seen, hits.exit_path = view.at, view.path
                hits.views += 1
            if self._since is None:
                self._since = time.monotonic()
            return len(batch) >= self.flush_size or self._due()

    def _due(self) -> bool:
        return self._since is not None and time.monotonic() - self._since >= self.flush_seconds

    def due(self) -> bool:
        with self._lock:
            return self._due()

    def drain(self) -> Batch:
        with self._lock:
            batch, self._batch, self._since = self._batch, Batch(), None
            return batch

    def count_dropped(self, day: dt.date, views: int) -> None:
        """Record views lost (a failed flush), within the bound (the drop key exists per day)."""
        with self._lock:
            self._batch.counts[(day, Dimension.DROPPED.value, "")] += views
