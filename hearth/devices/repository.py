"""The ingestion hot path, off the ORM: one statement per batch (DESIGN.md, "Hot paths").

``insert_events`` writes already-validated rows in one transaction; duplicates (same household,
day and client event ID) are skipped by the database, so a replayed batch stores nothing new.
The default (``method="auto"``) is each database's fastest bulk path (issue #12 item 5, ADR 0004):

- SQLite: multi-row ``INSERT OR IGNORE .. VALUES (..), (..), ..`` (up to ``VALUES_ROWS`` rows
  per statement, so a 1,000-event batch is two statements with two cached plans);
- PostgreSQL: ``COPY`` straight into the (partitioned) table in its own transaction; if an
  event of the batch is already stored, that COPY is refused whole by the unique index and the
  batch goes through the staging path: ``COPY`` into a session temporary table, then one
  ``INSERT .. SELECT .. ON CONFLICT DO NOTHING`` (``method="staging"`` always does that, and
  so does a call inside a caller's transaction, which a refused COPY would abort).

``method="executemany"`` keeps the former path (one prepared statement per row), for comparison
and as a fall-back. Everything else in the app uses the ORM.
"""

# ruff: noqa: S608 (SQL built only from module constants and generated partition names)

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from django.db import IntegrityError, connections, transaction

try:
    from psycopg.errors import UniqueViolation
except ImportError:  # pragma: no cover (SQLite-only installs)
    UniqueViolation = IntegrityError  # type: ignore[assignment,misc]

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
_SQLITE_ROW = f"({', '.join(['?'] * len(COLUMNS))})"
_SQLITE_INSERT = f"INSERT OR IGNORE INTO {TABLE} ({_COLS}) VALUES {_SQLITE_ROW}"
# Rows per multi-row VALUES statement: 500 x 9 = 4,500 parameters, under SQLite's default limit
# of 32,766 (3.32+); a fixed size keeps the number of distinct statements (and plans) small.
VALUES_ROWS = 500


@functools.lru_cache(maxsize=VALUES_ROWS)
def _sqlite_values_sql(n: int) -> str:
    return f"INSERT OR IGNORE INTO {TABLE} ({_COLS}) VALUES {', '.join([_SQLITE_ROW] * n)}"


_PG_INSERT = (
    f"INSERT INTO {TABLE} ({_COLS}) VALUES ({', '.join(['%s'] * 9)}) "
    "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
)


def _sqlite_ts(value: dt.datetime) -> str:
    # Django's SQLite format for aware datetimes under USE_TZ: naive UTC, space-separated.
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ")


Method = Literal["auto", "executemany", "copy", "values", "staging"]


def _sqlite_params(rows: Sequence[Row]) -> list[Any]:
    """The rows' values in one flat list (a multi-row VALUES statement's parameters), with the
    datetimes and days as Django stores them on SQLite. Each distinct datetime or day object is
    formatted once: a batch shares one ``received_at``, and its events share few device times
    (the validator parses each distinct one once, so neighbours usually hold the very same
    object: an identity test, then a lookup by identity, cheaper than hashing a datetime)."""
    texts: dict[int, str] = {}
    params: list[Any] = []
    extend = params.extend
    last_ts: object = None
    last_rec: object = None
    last_day: object = None
    ts_text = rec_text = day_text = ""
    for h, c, t, tier, ts, rec, day, svc, payload in rows:
        if ts is not last_ts:
            last_ts = ts
            ts_text = texts.get(id(ts)) or texts.setdefault(id(ts), _sqlite_ts(ts))
        if rec is not last_rec:
            last_rec = rec
            rec_text = texts.get(id(rec)) or texts.setdefault(id(rec), _sqlite_ts(rec))
        if day is not last_day:
            last_day = day
            day_text = texts.get(id(day)) or texts.setdefault(id(day), day.isoformat())
        extend((h, c, t, tier, ts_text, rec_text, day_text, svc, payload))
    return params


def insert_events(
    rows: Sequence[Row],
    *,
    using: str = "default",
    method: Method = "auto",
) -> int:
    """Insert ``rows`` once each; return how many were new. One transaction; ``auto`` is
    multi-row VALUES on SQLite and COPY on PostgreSQL."""
    if not rows:
        return 0
    rows = _first_of_each_key(rows)
    connection = connections[using]
    vendor = connection.vendor
    if vendor == "sqlite":
        with _sqlite_writer_lock(str(connection.settings_dict["NAME"])):
            return _insert(connection, using, rows, method)
    return _insert(connection, using, rows, method)


def _first_of_each_key(rows: Sequence[Row]) -> Sequence[Row]:
    """The first row of each dedup key (household, day, client event ID), in order: a batch
    that repeats an event stores its first copy on every path, whatever order a bulk
    ``INSERT .. SELECT`` would visit the rows in."""
    if len({row[1] for row in rows}) == len(rows):  # distinct client event IDs: distinct keys
        return rows
    seen: dict[tuple[int, dt.date, str], Row] = {}
    for row in rows:
        seen.setdefault((row[0], row[6], row[1]), row)
    return rows if len(seen) == len(rows) else list(seen.values())


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
    outer = connection.in_atomic_block  # inside a caller's transaction: no commit after us
    if vendor == "postgresql" and method in ("auto", "copy") and not outer:
        # A fresh batch (the usual case) goes straight into the table by COPY, in its own
        # transaction. COPY has no ON CONFLICT: if any event is already stored (a replay), the
        # unique index refuses the COPY, the whole transaction rolls back with nothing stored,
        # and the batch takes the staging path below, which skips what is already there.
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                with cursor.cursor.copy(_PG_COPY_DIRECT) as copy:
                    copy.write(_copy_text(rows))
                return len(rows)
        except (UniqueViolation, IntegrityError):
            pass
    with transaction.atomic(using=using):
        if vendor == "sqlite":
            params = _sqlite_params(rows)
            # The raw sqlite3 cursor: "?" placeholders, no per-row query rewriting.
            with connection.cursor() as cursor:
                raw = cursor.cursor
                before = connection.connection.total_changes
                width = len(COLUMNS)
                if method == "executemany":
                    sqlite3.Cursor.executemany(
                        raw,
                        _SQLITE_INSERT,
                        [params[i : i + width] for i in range(0, len(params), width)],
                    )
                else:
                    step = VALUES_ROWS * width
                    for start in range(0, len(params), step):
                        chunk = params[start : start + step] if len(params) > step else params
                        sqlite3.Cursor.execute(raw, _sqlite_values_sql(len(chunk) // width), chunk)
                return int(connection.connection.total_changes - before)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                if method == "executemany":
                    cursor.cursor.executemany(_PG_INSERT, rows)
                    return int(cursor.cursor.rowcount)
                return _pg_copy(cursor.cursor, rows, clear=outer)
    raise NotImplementedError(f"no telemetry insert path for {vendor!r}")


_PG_COPY_DIRECT = f"COPY {TABLE} ({_COLS}) FROM STDIN"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    """One value in COPY's text format: NULL as \\N, strings with backslash, tab, newline and
    carriage return escaped."""
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _copy_text(rows: Sequence[Row]) -> str:
    """The rows as one COPY text-format payload, sent in one write: about a third of the CPU
    of ``write_row`` per row (2.5 -> 0.9 ms for 500 rows). Built plainly first; if any value
    holds a character COPY must escape (counted over the whole text: every tab and newline
    must be a separator, every backslash a NULL marker, no carriage return), built again with
    each value escaped; the fields are typed, so only strings can hold one."""
    texts: dict[int, str] = {}
    out: list[str] = []
    append = out.append
    nulls = 0
    for h, c, t, tier, ts, rec, day, svc, payload in rows:
        ts_text = texts.get(id(ts)) or texts.setdefault(id(ts), ts.isoformat())
        rec_text = texts.get(id(rec)) or texts.setdefault(id(rec), rec.isoformat())
        day_text = texts.get(id(day)) or texts.setdefault(id(day), day.isoformat())
        if svc is None:
            svc_text = "\\N"
            nulls += 1
        else:
            svc_text = svc
        append(f"{h}\t{c}\t{t}\t{tier}\t{ts_text}\t{rec_text}\t{day_text}\t{svc_text}\t{payload}\n")
    data = "".join(out)
    width = len(COLUMNS)
    if (
        data.count("\t") == (width - 1) * len(rows)
        and data.count("\n") == len(rows)
        and data.count("\\") == nulls  # each backslash is a NULL marker of ours
        and "\r" not in data
    ):
        return data
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)


def _pg_copy(cursor: Any, rows: Sequence[Row], *, clear: bool) -> int:
    """COPY into the session's temporary table, then one INSERT .. SELECT. The temporary table
    empties itself at commit; inside a caller's transaction (``clear``) it is emptied here, or
    the next batch in that transaction would move these rows again (say, after a purge)."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS devices_event_incoming (household_id bigint, "
        "client_event_id varchar(64), type varchar(32), tier_at_receipt varchar(20), "
        "device_ts timestamptz, received_at timestamptz, day date, service varchar(40), "
        "payload jsonb) ON COMMIT DELETE ROWS"
    )
    with cursor.copy(f"COPY devices_event_incoming ({_COLS}) FROM STDIN") as copy:
        copy.write(_copy_text(rows))
    cursor.execute(
        f"INSERT INTO {TABLE} ({_COLS}) SELECT {_COLS} FROM devices_event_incoming "
        "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
    )
    stored = int(cursor.rowcount)
    if clear:
        cursor.execute("DELETE FROM devices_event_incoming")
    return stored


def raw_insert(rows: Sequence[Row], *, using: str = "default", method: Method = "auto") -> int:
    """The same statements with no validation and no HTTP."""
    return insert_events(rows, using=using, method=method)
