"""Monthly range partitions of the raw event table on PostgreSQL (no-ops on SQLite).

Partitions are named ``devices_telemetryevent_yYYYYmMM`` and cover [first of month, first of next
month) of ``day``. A default partition catches anything else; if it already holds rows of a month
being created, they are moved into the new partition first.
"""

# ruff: noqa: S608 (SQL built only from module constants and generated partition names)

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection as default_connection
from django.db import transaction

from hearth.core import clock
from hearth.devices.repository import TABLE

_NAME = re.compile(rf"{TABLE}_y(\d{{4}})m(\d{{2}})$")


def _month(day: dt.date, delta: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _is_partitioned(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
    return cursor.fetchone() is not None


def existing_partitions(connection: Any = None) -> list[str]:
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        return [r[0] for r in cursor.fetchall()]


def ensure_partitions(
    *, connection: Any = None, at: dt.date | None = None, back: int = 3, ahead: int = 2
) -> list[str]:
    """Create the monthly partitions from ``back`` months before ``at`` to ``ahead`` after."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    today = at or clock.now().date()
    created: list[str] = []
    have = set(existing_partitions(connection))
    for delta in range(-back, ahead + 1):
        start = _month(today, delta)
        end = _month(start, 1)
        name = partition_name(start)
        if name in have:
            continue
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if not _is_partitioned(cursor):
                return created
            bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            cursor.execute(
                f"SELECT 1 FROM {TABLE}_default WHERE day >= %s AND day < %s LIMIT 1",
                [start, end],
            )
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES {bounds}")
            else:
                cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)")
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {TABLE}_default WHERE day >= %s AND day < %s "
                    f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                    [start, end],
                )
                cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES {bounds}")
        created.append(name)
    return created


def drop_partitions_before(cutoff: dt.date, *, connection: Any = None) -> int:
    """Drop monthly partitions whose whole range lies before ``cutoff``; rows dropped."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return 0
    dropped = 0
    for name in existing_partitions(connection):
        match = _NAME.match(name)
        if not match:
            continue
        end = _month(dt.date(int(match.group(1)), int(match.group(2)), 1), 1)
        if end <= cutoff:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {name}")
                dropped += int(cursor.fetchone()[0])
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
                cursor.execute(f"DROP TABLE {name}")
    return dropped
