"""The ingestion hot path, off the ORM: one prepared statement per batch (DESIGN.md, "Hot paths").

``insert_events`` writes already-validated rows with one ``executemany`` through
``connection.cursor()``; duplicates (same household, day and client event ID) are skipped by the
database (``INSERT OR IGNORE`` on SQLite, ``ON CONFLICT DO NOTHING`` on PostgreSQL), so a replayed
batch stores nothing new. On PostgreSQL, ``method="copy"`` instead copies the rows into a
temporary table and moves them with one ``INSERT .. SELECT .. ON CONFLICT DO NOTHING``.
Everything else in the app uses the ORM.
"""

# ruff: noqa: S608 (SQL built only from module constants and generated partition names)

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from django.db import connections, transaction

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX)
    fcntl = None  # type: ignore[assignment]

TABLE = "devices_telemetryevent"
COLUMNS = (
    "household_id",
    "client_event_id",
    "type",
    "tier_at_receipt",
    "device_ts",
    "received_at",
    "day",
    "service",
    "payload",
)
# (household_id, client_event_id, type, tier_at_receipt, device_ts, received_at, day, service,
#  payload as JSON text). Datetimes aware (UTC); day a date.
Row = tuple[int, str, str, str, dt.datetime, dt.datetime, dt.date, str | None, str]

_COLS = ", ".join(COLUMNS)
_SQLITE_INSERT = f"INSERT OR IGNORE INTO {TABLE} ({_COLS}) VALUES ({', '.join(['?'] * 9)})"
_PG_INSERT = (
    f"INSERT INTO {TABLE} ({_COLS}) VALUES ({', '.join(['%s'] * 9)}) "
    "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
)


def _sqlite_ts(value: dt.datetime) -> str:
    # Django's SQLite format for aware datetimes under USE_TZ: naive UTC, space-separated.
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ")


def _sqlite_params(rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """The rows with their datetimes and days as Django stores them on SQLite; each distinct
    datetime or day is formatted once (a batch shares ``received_at`` and few device times)."""
    texts: dict[dt.datetime, str] = {}
    days: dict[dt.date, str] = {}
    params: list[tuple[Any, ...]] = []
    append = params.append
    for h, c, t, tier, ts, rec, day, svc, payload in rows:
        ts_text = texts.get(ts)
        if ts_text is None:
            ts_text = texts[ts] = _sqlite_ts(ts)
        rec_text = texts.get(rec)
        if rec_text is None:
            rec_text = texts[rec] = _sqlite_ts(rec)
        day_text = days.get(day)
        if day_text is None:
            day_text = days[day] = day.isoformat()
        append((h, c, t, tier, ts_text, rec_text, day_text, svc, payload))
    return params


def insert_events(
    rows: Sequence[Row],
    *,
    using: str = "default",
    method: Literal["executemany", "copy"] = "executemany",
) -> int:
    """Insert ``rows`` once each; return how many were new. One statement, one transaction."""
    if not rows:
        return 0
    connection = connections[using]
    vendor = connection.vendor
    if vendor == "sqlite":
        with _sqlite_writer_lock(str(connection.settings_dict["NAME"])):
            return _insert(connection, using, rows, method)
    return _insert(connection, using, rows, method)


_lock_files: dict[str, Any] = {}


@contextlib.contextmanager
def _sqlite_writer_lock(name: str) -> Iterator[None]:
    """Queue this process's writers on an OS file lock before SQLite's own lock.

    SQLite's busy handler sleeps in growing steps while another process writes; a blocking
    ``flock`` wakes the next writer as soon as the lock is released (several gunicorn workers)."""
    if not name or name == ":memory:" or name.startswith("file:") or fcntl is None:
        yield
        return
    handle = _lock_files.get(name)
    if handle is None:
        handle = _lock_files[name] = open(f"{name}.ingest-lock", "a+b")  # noqa: SIM115
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _insert(connection: Any, using: str, rows: Sequence[Row], method: str) -> int:
    vendor = connection.vendor
    with transaction.atomic(using=using):
        if vendor == "sqlite":
            params = _sqlite_params(rows)
            # The raw sqlite3 cursor: "?" placeholders, no per-row query rewriting.
            with connection.cursor() as cursor:
                before = connection.connection.total_changes
                sqlite3.Cursor.executemany(cursor.cursor, _SQLITE_INSERT, params)
                return int(connection.connection.total_changes - before)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                if method == "copy":
                    return _pg_copy(cursor.cursor, rows)
                cursor.cursor.executemany(_PG_INSERT, rows)
                return int(cursor.cursor.rowcount)
    raise NotImplementedError(f"no telemetry insert path for {vendor!r}")


def _pg_copy(cursor: Any, rows: Sequence[Row]) -> int:
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS devices_event_incoming (household_id bigint, "
        "client_event_id varchar(64), type varchar(32), tier_at_receipt varchar(20), "
        "device_ts timestamptz, received_at timestamptz, day date, service varchar(40), "
        "payload jsonb) ON COMMIT DELETE ROWS"
    )
    with cursor.copy(f"COPY devices_event_incoming ({_COLS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {TABLE} ({_COLS}) SELECT {_COLS} FROM devices_event_incoming "
        "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
    )
    return int(cursor.rowcount)


def raw_insert(rows: Sequence[Row], *, using: str = "default") -> int:
    """The benchmark's yardstick: the same statement with no validation and no HTTP."""
    return insert_events(rows, using=using)
