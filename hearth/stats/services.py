"""Visitor statistics writes (PP-2): count a view into the buffer, flush it, close past days.

The process's buffer (``BUFFER``) is flushed in one transaction when it asks (size or age), by
the flusher thread that gunicorn starts in each worker (``start_flusher``), and at worker exit
(``flush``, from gunicorn's ``worker_exit`` and ``atexit``). ``close_days`` (a periodic task)
folds each past day's visitor-days into the rollups and deletes them and the day's salt.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import secrets
import threading
from collections import Counter
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from hearth.stats import repository
from hearth.stats.buffer import PageView, StatsBuffer
from hearth.stats.models import DailySalt, Dimension, VisitorDay

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "ENABLED": True,
    "FLUSH_SIZE": 2_000,  # distinct keys (day × dimension × key, and visitor-days)
    "MAX_KEYS": 20_000,  # the bound: past it, new keys are dropped and counted
    "FLUSH_SECONDS": 10.0,
    # A past day closes this long after its midnight, so every worker has flushed it first.
    "CLOSE_GRACE_MINUTES": 15,
    # Each serving process starts its flusher thread at its first counted view (any server:
    # granian, gunicorn, runserver); tests turn it off and flush by hand.
    "FLUSHER_THREAD": True,
}


def config(name: str) -> Any:
    return getattr(settings, "HEARTH_STATS", {}).get(name, DEFAULTS[name])


def new_buffer() -> StatsBuffer:
    return StatsBuffer(
        flush_size=int(config("FLUSH_SIZE")),
        max_keys=int(config("MAX_KEYS")),
        flush_seconds=float(config("FLUSH_SECONDS")),
    )


BUFFER = new_buffer()
_flusher_pid: int | None = None  # the process whose flusher thread runs (a fork has none)

_salt_lock = threading.Lock()
_salt: tuple[dt.date, bytes] | None = None


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_of(at: dt.datetime) -> dt.date:
    """The statistics day: the shop's local date (settings.TIME_ZONE, whatever is activated)."""
    return at.astimezone(_zone()).date()


def salt_for(day: dt.date) -> bytes:
    """The day's salt: read (or made) once per process per day; an older one is forgotten."""
    global _salt
    cached = _salt  # one read of one reference: no lock on the fast path
    if cached is not None and cached[0] == day:
        return cached[1]
    with _salt_lock:
        if _salt is not None and _salt[0] == day:
            return _salt[1]
        row = DailySalt.objects.filter(day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = DailySalt.objects.create(day=day, salt=secrets.token_bytes(32))
            except IntegrityError:  # another worker made it first
                row = DailySalt.objects.get(day=day)
        _salt = (day, bytes(row.salt))
        return _salt[1]


def forget_salt() -> None:
    global _salt
    with _salt_lock:
        _salt = None


def count_view(view: PageView, *, buffer: StatsBuffer | None = None) -> None:
    """Buffer one view; flush now if the buffer asks (for its age, only when no flusher thread
    runs in this process: then the thread flushes it, off the request)."""
    buffer = buffer or BUFFER
    flusher = _flusher_pid == os.getpid()
    if not flusher and config("FLUSHER_THREAD"):
        start_flusher()
        flusher = True
    if buffer.add(view) and (not flusher or len(buffer) >= buffer.flush_size):
        flush(buffer=buffer)


def flush(*, buffer: StatsBuffer | None = None) -> int:
    """Write the buffer in one transaction; returns the keys written (0 if empty or failed).

    A failed write is logged and its views counted as dropped, never raised into a page.
    """
    buffer = buffer or BUFFER
    batch = buffer.drain()
    if not batch:
        return 0
    try:
        with transaction.atomic():
            repository.write_batch(batch)
    except Exception:
        logger.exception("visitor statistics: a flush failed; its views are counted as dropped")
        lost: dict[dt.date, int] = {}
        for (day, dim, _key), n in batch.counts.items():
            if dim == Dimension.VIEWS:
                lost[day] = lost.get(day, 0) + n
        for day, n in lost.items():
            buffer.count_dropped(day, n)
        return 0
    return len(batch)


def close_days(*, now: dt.datetime) -> list[dt.date]:
    """Fold every past day's visitor-days into the rollups; delete them and the day's salt.

    A day closes ``CLOSE_GRACE_MINUTES`` after its end. Unique visitors are its visitor-days;
    its entry page per visitor-day is the first page viewed, its exit page the last (a visit of
    one page is both). Safe to run twice: a closed day has nothing left to fold.
    """
    grace = dt.timedelta(minutes=int(config("CLOSE_GRACE_MINUTES")))
    before = day_of(now - grace)
    days = sorted(
        set(VisitorDay.objects.filter(day__lt=before).values_list("day", flat=True).distinct())
        | set(DailySalt.objects.filter(day__lt=before).values_list("day", flat=True))
    )
    for day in days:
        with transaction.atomic():
            # Locked, so a second closer waits and then finds them gone (nothing counted twice);
            # a visitor-day flushed late (after these) keeps its higher ID for the next run.
            rows = list(
                VisitorDay.objects.select_for_update()
                .filter(day=day)
                .values_list("pk", "entry_path", "exit_path")
            )
            entries = Counter(entry for _pk, entry, _exit in rows)
            exits = Counter(exit_path for _pk, _entry, exit_path in rows)
            repository.add_counts(
                [(day, Dimension.VISITORS.value, "", len(rows))]
                + [(day, Dimension.ENTRY.value, path, n) for path, n in sorted(entries.items())]
                + [(day, Dimension.EXIT.value, path, n) for path, n in sorted(exits.items())]
            )
            if rows:
                VisitorDay.objects.filter(day=day, pk__lte=max(pk for pk, _e, _x in rows)).delete()
            DailySalt.objects.filter(day=day).delete()
    if days:
        forget_salt()
    return days


def _flush_loop(interval: float) -> None:
    event = threading.Event()
    while not event.wait(interval):
        if BUFFER.due():
            flush()
            connection.close()


def start_flusher() -> None:
    """Start this process's flusher thread and its exit flush (once per process)."""
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    _flusher_pid = os.getpid()
    interval = max(1.0, float(config("FLUSH_SECONDS")) / 2)
    threading.Thread(
        target=_flush_loop, args=(interval,), name="stats-flusher", daemon=True
    ).start()
    atexit.register(flush)
