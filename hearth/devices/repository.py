"""The ingestion hot path, off the ORM: one statement per batch (DESIGN.md, "Hot paths").

``insert_batch`` writes one batch's already-validated events in one transaction: one row in
the batch table (household, receipt time, tier at receipt), then the events, which carry only
the household, the batch id and their own fields (ADR 0004). Duplicates (same household, day and
client event ID) are skipped by the database's unique index, so a replayed batch stores nothing
new; a batch with no new event leaves no batch row. ``insert_events`` takes the same rows as it
always did (one tuple per event with its tier and receipt time) and groups them into batches.
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
BATCH_TABLE = "devices_telemetrybatch"
COLUMNS = (
    "household_id",
    "batch_id",
    "client_event_id",
    "type",
    "device_ts",
    "day",
    "payload",
)
# What a caller hands over, one tuple per validated event (kept as it was before the batch
# table, ADR 0004): (household_id, client_event_id, type, tier_at_receipt, device_ts,
# received_at, day, service, payload as JSON text). Datetimes aware (UTC); day a date. The rows
# sharing (household_id, tier_at_receipt, received_at) become one batch row; ``service`` is not
# stored apart from the payload (rollups read the type's service field there).
Row = tuple[int, str, str, str, dt.datetime, dt.datetime, dt.date, str | None, str]
# One event of a batch: (client_event_id, type, device_ts, day, payload as JSON text).
EventRow = tuple[str, str, dt.datetime, dt.date, str]

_COLS = ", ".join(COLUMNS)
_WIDTH = len(COLUMNS)
_SQLITE_ROW = f"({', '.join(['?'] * _WIDTH)})"
_SQLITE_INSERT = f"INSERT OR IGNORE INTO {TABLE} ({_COLS}) VALUES {_SQLITE_ROW}"
_SQLITE_BATCH = (
    f"INSERT INTO {BATCH_TABLE} (household_id, received_at, tier_at_receipt) VALUES (?, ?, ?)"
)
_SQL_DROP_BATCH = f"DELETE FROM {BATCH_TABLE} WHERE id = %s"
_SQLITE_DROP_BATCH = f"DELETE FROM {BATCH_TABLE} WHERE id = ?"
# Rows per multi-row VALUES statement: 500 x 7 = 3,500 parameters, under SQLite's default limit
# of 32,766 (3.32+); a fixed size keeps the number of distinct statements (and plans) small.
VALUES_ROWS = 500


@functools.lru_cache(maxsize=VALUES_ROWS)
def _sqlite_values_sql(n: int) -> str:
    return f"INSERT OR IGNORE INTO {TABLE} ({_COLS}) VALUES {', '.join([_SQLITE_ROW] * n)}"


_PG_INSERT = (
    f"INSERT INTO {TABLE} ({_COLS}) VALUES ({', '.join(['%s'] * _WIDTH)}) "
    "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
)
_PG_BATCH = (
    f"INSERT INTO {BATCH_TABLE} (household_id, received_at, tier_at_receipt) "
    "VALUES (%s, %s, %s) RETURNING id"
)


def _sqlite_ts(value: dt.datetime) -> str:
    # Django's SQLite format for aware datetimes under USE_TZ: naive UTC, space-separated.
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ")


Method = Literal["auto", "executemany", "copy", "values", "staging"]


def _sqlite_params(household_id: int, batch_id: int, events: Sequence[EventRow]) -> list[Any]:
    """The events' values in one flat list (a multi-row VALUES statement's parameters), with
    the datetimes and days as Django stores them on SQLite. Each distinct datetime or day object
    is formatted once: a batch's events share few device times (the validator parses each
    distinct one once, so neighbours usually hold the very same object: an identity test, then
    a lookup by identity, cheaper than hashing a datetime)."""
    texts: dict[int, str] = {}
    params: list[Any] = []
    extend = params.extend
    last_ts: object = None
    last_day: object = None
    ts_text = day_text = ""
    for c, t, ts, day, payload in events:
        if ts is not last_ts:
            last_ts = ts
            ts_text = texts.get(id(ts)) or texts.setdefault(id(ts), _sqlite_ts(ts))
        if day is not last_day:
            last_day = day
            day_text = texts.get(id(day)) or texts.setdefault(id(day), day.isoformat())
        extend((household_id, batch_id, c, t, ts_text, day_text, payload))
    return params


def insert_batch(
    *,
    household_id: int,
    tier: str,
    received_at: dt.datetime,
    events: Sequence[EventRow],
    using: str = "default",
    method: Method = "auto",
) -> int:
    """Store one batch's validated events once each, with one batch row holding the receipt
    time and tier; return how many events were new. One transaction; a batch with no new event
    (a replay) leaves no batch row. ``auto`` is multi-row VALUES on SQLite and COPY on
    PostgreSQL."""
    return _store([(household_id, tier, received_at, events)], using=using, method=method)


def insert_events(
    rows: Sequence[Row],
    *,
    using: str = "default",
    method: Method = "auto",
) -> int:
    """Insert ``rows`` once each; return how many were new. One transaction; the rows sharing
    household, tier and receipt time make one batch (``insert_batch``)."""
    if not rows:
        return 0
    groups: dict[tuple[int, str, dt.datetime], list[EventRow]] = {}
    for h, c, t, tier, ts, rec, day, _svc, payload in rows:
        key = (h, tier, rec)
        group = groups.get(key)
        if group is None:
            group = groups[key] = []
        group.append((c, t, ts, day, payload))
    return _store(
        [(h, tier, rec, events) for (h, tier, rec), events in groups.items()],
        using=using,
        method=method,
    )


Batch = tuple[int, str, dt.datetime, Sequence[EventRow]]


def _store(batches: list[Batch], *, using: str, method: Method) -> int:
    batches = [(h, tier, rec, _first_of_each_key(ev)) for h, tier, rec, ev in batches if ev]
    if not batches:
        return 0
    connection = connections[using]
    if connection.vendor == "sqlite":
        # Only one process writes at a time: what needs no lock is done before taking it (the
        # statements' parameters; each batch's id is set in them once its row is in).
        params = [_sqlite_params(h, 0, events) for h, _tier, _rec, events in batches]
        if connection.in_atomic_block:  # a caller's transaction: it commits, not us
            with _sqlite_writer_lock(str(connection.settings_dict["NAME"])):
                return _insert(connection, using, batches, method, params)
        with (
            _checkpoint_after(connection),
            _sqlite_writer_lock(str(connection.settings_dict["NAME"])),
        ):
            return _insert(connection, using, batches, method, params)
    return _insert(connection, using, batches, method)


#: Batches this process commits between two WAL checkpoints of its own (see _checkpoint_after).
SQLITE_CHECKPOINT_EVERY = 16
_commits_since_checkpoint = 0


@contextlib.contextmanager
def _checkpoint_after(connection: Any) -> Iterator[None]:
    """Commit without SQLite's automatic checkpoint, and checkpoint after the writer lock is
    released (issue #12 item 5; ADR 0004, fifth pass).

    In WAL mode the commit that takes the log past ``wal_autocheckpoint`` pages copies the log
    into the database and syncs it, inside that COMMIT: about 9 ms on this machine's disk,
    every ~35 batches, while the writer lock is held and every other worker waits for it (a
    third of the locked time, measured). Here the ingest's own commits skip that automatic
    checkpoint, and each process runs a PASSIVE checkpoint itself every
    ``SQLITE_CHECKPOINT_EVERY`` batches, once its lock is released: other workers write
    meanwhile (a checkpoint takes no writer lock), so the log stays as short as before
    and nothing waits on its sync. Other writers keep the connection's usual setting."""
    global _commits_since_checkpoint
    connection.ensure_connection()
    raw = connection.connection
    (usual,) = raw.execute("PRAGMA wal_autocheckpoint").fetchone()
    raw.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA wal_autocheckpoint={int(usual)}")
    _commits_since_checkpoint += 1
    if _commits_since_checkpoint >= SQLITE_CHECKPOINT_EVERY:
        _commits_since_checkpoint = 0
        raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _first_of_each_key(events: Sequence[EventRow]) -> Sequence[EventRow]:
    """The first event of each dedup key (day, client event ID; the household is the batch's),
    in order: a batch that repeats an event stores its first copy on every path, whatever order
    a bulk ``INSERT .. SELECT`` would visit the rows in."""
    if len({e[0] for e in events}) == len(events):  # distinct client event IDs: distinct keys
        return events
    seen: dict[tuple[dt.date, str], EventRow] = {}
    for e in events:
        seen.setdefault((e[3], e[0]), e)
    return events if len(seen) == len(events) else list(seen.values())


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


def _insert(
    connection: Any,
    using: str,
    batches: list[Batch],
    method: str,
    sqlite_params: list[list[Any]] | None = None,
) -> int:
    vendor = connection.vendor
    outer = connection.in_atomic_block  # inside a caller's transaction: no commit after us
    if vendor == "postgresql" and method in ("auto", "copy") and not outer:
        # A fresh batch (the usual case): its batch row, then its events straight into the
        # table by COPY, in one transaction. COPY has no ON CONFLICT: if any event is already
        # stored (a replay), the unique index refuses the COPY, the whole transaction rolls
        # back with nothing stored (the batch row too), and the batch takes the staging path
        # below, which skips what is already there.
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                raw = cursor.cursor
                for h, tier, rec, events in batches:
                    raw.execute(_PG_BATCH, (h, rec, tier))
                    batch_id = raw.fetchone()[0]
                    with raw.copy(_PG_COPY_DIRECT) as copy:
                        copy.write(_copy_text(h, batch_id, events))
                return sum(len(b[3]) for b in batches)
        except (UniqueViolation, IntegrityError):
            pass
    stored = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        raw = cursor.cursor
        last = len(batches) - 1
        for i, (h, tier, rec, events) in enumerate(batches):
            if vendor == "sqlite":
                params = sqlite_params[i] if sqlite_params else _sqlite_params(h, 0, events)
                new = _sqlite_batch(connection, raw, h, tier, rec, params, method)
            elif vendor == "postgresql":
                raw.execute(_PG_BATCH, (h, rec, tier))
                batch_id = raw.fetchone()[0]
                if method == "executemany":
                    raw.executemany(_PG_INSERT, [(h, batch_id, *e) for e in events])
                    new = int(raw.rowcount)
                else:
                    new = _pg_copy(raw, h, batch_id, events, clear=outer or i < last)
                if not new:  # a replay: no batch row for nothing (rollups never see one)
                    raw.execute(_SQL_DROP_BATCH, (batch_id,))
            else:
                raise NotImplementedError(f"no telemetry insert path for {vendor!r}")
            stored += new
    return stored


def _sqlite_batch(
    connection: Any,
    raw: Any,
    household_id: int,
    tier: str,
    received_at: dt.datetime,
    params: list[Any],
    method: str,
) -> int:
    """The batch row, then its events by multi-row VALUES (or executemany), on the raw sqlite3
    cursor: "?" placeholders, no per-row query rewriting. ``params``: the events' values as
    ``_sqlite_params`` builds them, the batch id set here. The batch row goes again if no
    event was new."""
    sqlite3.Cursor.execute(raw, _SQLITE_BATCH, (household_id, _sqlite_ts(received_at), tier))
    batch_id = raw.lastrowid
    before = connection.connection.total_changes
    params[1::_WIDTH] = [batch_id] * (len(params) // _WIDTH)
    if method == "executemany":
        sqlite3.Cursor.executemany(
            raw,
            _SQLITE_INSERT,
            [params[i : i + _WIDTH] for i in range(0, len(params), _WIDTH)],
        )
    else:
        step = VALUES_ROWS * _WIDTH
        for start in range(0, len(params), step):
            chunk = params[start : start + step] if len(params) > step else params
            sqlite3.Cursor.execute(raw, _sqlite_values_sql(len(chunk) // _WIDTH), chunk)
    new = int(connection.connection.total_changes - before)
    if not new:  # a replay: no batch row for nothing (rollups never see one)
        sqlite3.Cursor.execute(raw, _SQLITE_DROP_BATCH, (batch_id,))
    return new


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


def _copy_text(household_id: int, batch_id: int, events: Sequence[EventRow]) -> str:
    """The events as one COPY text-format payload, sent in one write: about a third of the CPU
    of ``write_row`` per row (2.5 -> 0.9 ms for 500 rows). Built plainly first; if any value
    holds a character COPY must escape (counted over the whole text: every tab and newline
    must be a separator, no backslash, no carriage return), built again with each value
    escaped; the fields are typed, so only strings can hold one."""
    texts: dict[int, str] = {}
    out: list[str] = []
    append = out.append
    prefix = f"{household_id}\t{batch_id}\t"
    for c, t, ts, day, payload in events:
        ts_text = texts.get(id(ts)) or texts.setdefault(id(ts), ts.isoformat())
        day_text = texts.get(id(day)) or texts.setdefault(id(day), day.isoformat())
        append(f"{prefix}{c}\t{t}\t{ts_text}\t{day_text}\t{payload}\n")
    data = "".join(out)
    if (
        data.count("\t") == (_WIDTH - 1) * len(events)
        and data.count("\n") == len(events)
        and "\\" not in data
        and "\r" not in data
    ):
        return data
    return "".join("\t".join(map(_copy_value, (household_id, batch_id, *e))) + "\n" for e in events)


def _pg_copy(
    cursor: Any, household_id: int, batch_id: int, events: Sequence[EventRow], *, clear: bool
) -> int:
    """COPY into the session's temporary table, then one INSERT .. SELECT. The temporary table
    empties itself at commit; inside a caller's transaction, or with more batches to come in
    this one (``clear``), it is emptied here, or the next batch would move these rows again."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS devices_event_staging (household_id bigint, "
        "batch_id bigint, client_event_id varchar(64), type varchar(32), "
        "device_ts timestamptz, day date, payload jsonb) ON COMMIT DELETE ROWS"
    )
    with cursor.copy(f"COPY devices_event_staging ({_COLS}) FROM STDIN") as copy:
        copy.write(_copy_text(household_id, batch_id, events))
    cursor.execute(
        f"INSERT INTO {TABLE} ({_COLS}) SELECT {_COLS} FROM devices_event_staging "
        "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
    )
    stored = int(cursor.rowcount)
    if clear:
        cursor.execute("DELETE FROM devices_event_staging")
    return stored


def raw_insert(rows: Sequence[Row], *, using: str = "default", method: Method = "auto") -> int:
    """The same statements with no validation and no HTTP."""
    return insert_events(rows, using=using, method=method)
