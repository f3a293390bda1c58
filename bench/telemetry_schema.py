"""What each column and index of the raw event table costs at insert (ADR 0004).

python bench/telemetry_schema.py [--postgres] [--seconds 2] [--rounds 3]

Inserts the same fresh telemetry rows (batches of 500, one transaction each, each database's
bulk path: multi-row VALUES on SQLite, COPY on PostgreSQL) into tables that add one thing at a
time, from the minimal table (household id, day, client event ID, type, device time, payload,
one unique index for the dedupe key) to Hearth's own; and the minimal table plus each of
Hearth's three extra columns alone, to price each column. Rounds are interleaved; prints the median
rows/s of each variant and its share of the minimal table's rate.
"""

# ruff: noqa: S608 (SQL built only from module constants)

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import postgres_url

BATCH = 500
BASE = "household_id, day, client_event_id, type, device_ts, payload"
FULL = f"{BASE}, tier_at_receipt, received_at, service"

# (name, columns inserted, SQLite DDL, PostgreSQL DDL); {t} is the table name.
VARIANTS = [
    (
        "minimal (6 columns, unique dedupe index)",
        BASE,
        "CREATE TABLE {t} (household_id integer NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts datetime NOT NULL, payload "
        "text NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (household_id bigint NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts timestamptz NOT NULL, "
        "payload jsonb NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ tier_at_receipt only",
        f"{BASE}, tier_at_receipt",
        "CREATE TABLE {t} (household_id integer NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts datetime NOT NULL, payload "
        "text NOT NULL, tier_at_receipt varchar(20) NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (household_id bigint NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts timestamptz NOT NULL, "
        "payload jsonb NOT NULL, tier_at_receipt varchar(20) NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ received_at only",
        f"{BASE}, received_at",
        "CREATE TABLE {t} (household_id integer NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts datetime NOT NULL, payload "
        "text NOT NULL, received_at datetime NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (household_id bigint NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts timestamptz NOT NULL, "
        "payload jsonb NOT NULL, received_at timestamptz NOT NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ service only",
        f"{BASE}, service",
        "CREATE TABLE {t} (household_id integer NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts datetime NOT NULL, payload "
        "text NOT NULL, service varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (household_id bigint NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts timestamptz NOT NULL, "
        "payload jsonb NOT NULL, service varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ tier_at_receipt, received_at, service",
        FULL,
        "CREATE TABLE {t} (household_id integer NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts datetime NOT NULL, payload "
        "text NOT NULL, tier_at_receipt varchar(20) NOT NULL, received_at datetime NOT NULL, "
        "service varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (household_id bigint NOT NULL, day date NOT NULL, client_event_id "
        "varchar(64) NOT NULL, type varchar(32) NOT NULL, device_ts timestamptz NOT NULL, "
        "payload jsonb NOT NULL, tier_at_receipt varchar(20) NOT NULL, received_at timestamptz "
        "NOT NULL, service varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ id primary key (Hearth's columns and indexes, one table)",
        FULL,
        "CREATE TABLE {t} (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, household_id integer "
        "NOT NULL, day date NOT NULL, client_event_id varchar(64) NOT NULL, type varchar(32) NOT "
        "NULL, device_ts datetime NOT NULL, payload text NOT NULL, tier_at_receipt varchar(20) "
        "NOT NULL, received_at datetime NOT NULL, service varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
        "CREATE TABLE {t} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, household_id "
        "bigint NOT NULL, day date NOT NULL, client_event_id varchar(64) NOT NULL, type "
        "varchar(32) NOT NULL, device_ts timestamptz NOT NULL, payload jsonb NOT NULL, "
        "tier_at_receipt varchar(20) NOT NULL, received_at timestamptz NOT NULL, service "
        "varchar(40) NULL, "
        "UNIQUE (household_id, day, client_event_id))",
    ),
    (
        "+ monthly partitions (PostgreSQL only; primary key (id, day))",
        FULL,
        "",
        "CREATE TABLE {t} (id bigint GENERATED BY DEFAULT AS IDENTITY, household_id bigint NOT "
        "NULL, day date NOT NULL, client_event_id varchar(64) NOT NULL, type varchar(32) NOT "
        "NULL, device_ts timestamptz NOT NULL, payload jsonb NOT NULL, tier_at_receipt "
        "varchar(20) NOT NULL, received_at timestamptz NOT NULL, service varchar(40) NULL, "
        "PRIMARY KEY (id, day), UNIQUE (household_id, day, client_event_id)) "
        "PARTITION BY RANGE (day); CREATE TABLE {t}_default PARTITION OF {t} DEFAULT; "
        "CREATE TABLE {t}_now PARTITION OF {t} FOR VALUES FROM ('{lo}') TO ('{hi}')",
    ),
]


def _rows(n: int, household: int, sqlite: bool, columns: str) -> list[tuple]:
    now = dt.datetime.now(dt.UTC)
    ts = now - dt.timedelta(hours=1)
    out = []
    for i in range(n):
        service = ("tunewave", "radiolia", "local")[i % 3]
        payload = json.dumps(
            {"service": service, "service_minutes": i % 90, "queue_actions": i % 7},
            separators=(",", ":"),
        )
        t, r, d = (
            (
                ts.replace(tzinfo=None).isoformat(" "),
                now.replace(tzinfo=None).isoformat(" "),
                ts.date().isoformat(),
            )
            if sqlite
            else (ts, now, ts.date())
        )
        row: tuple = (household + i // BATCH, d, f"e-{i}", "usage", t, payload)
        extra = {"tier_at_receipt": "registered_opt_in", "received_at": r, "service": service}
        row = (*row, *(extra[c.strip()] for c in columns.split(",")[6:]))
        out.append(row)
    return out


def _timed(run, rows: list[tuple], seconds: float) -> float:  # type: ignore[no-untyped-def]
    done = 0
    start = time.perf_counter()
    while done < len(rows) and time.perf_counter() - start < seconds:
        run(rows[done : done + BATCH])
        done += BATCH
    return done / (time.perf_counter() - start)


def sqlite_rates(path: Path, seconds: float, rounds: int) -> dict[str, list[float]]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    rates: dict[str, list[float]] = {}
    base = 100_000_000_000
    for k, (_name, _columns, ddl, _pg) in enumerate(VARIANTS):
        if ddl:
            conn.execute(ddl.format(t=f"v{k}"))
    for _round in range(rounds):
        for k, (name, columns, ddl, _pg) in enumerate(VARIANTS):
            if not ddl:
                continue
            n = columns.count(",") + 1
            one = f"({','.join('?' * n)})"
            sql = f"INSERT OR IGNORE INTO v{k} ({columns}) VALUES " + ",".join([one] * BATCH)
            base += 10_000

            def run(batch: list[tuple], sql: str = sql) -> None:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(sql, [v for row in batch for v in row])
                conn.execute("COMMIT")

            rows = _rows(200_000, base, True, columns)
            rates.setdefault(name, []).append(_timed(run, rows, seconds))
    conn.close()
    return rates


def postgres_rates(url: str, seconds: float, rounds: int) -> dict[str, list[float]]:
    import psycopg

    today = dt.datetime.now(dt.UTC).date()
    lo, hi = today.replace(day=1), (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    rates: dict[str, list[float]] = {}
    base = 100_000_000_000
    with psycopg.connect(url, autocommit=True) as conn:
        for k, (_name, _columns, _lite, ddl) in enumerate(VARIANTS):
            for statement in ddl.format(t=f"v{k}", lo=lo, hi=hi).split("; "):
                conn.execute(statement)
        for _round in range(rounds):
            for k, (name, columns, _lite, _ddl) in enumerate(VARIANTS):
                base += 10_000

                def run(batch: list[tuple], k: int = k, columns: str = columns) -> None:
                    with (
                        conn.transaction(),
                        conn.cursor() as cur,
                        cur.copy(f"COPY v{k} ({columns}) FROM STDIN") as out,
                    ):
                        for row in batch:
                            out.write_row(row)

                rows = _rows(60_000, base, False, columns)
                rates.setdefault(name, []).append(_timed(run, rows, seconds))
    return rates


def report(label: str, rates: dict[str, list[float]]) -> None:
    print(f"--- {label} (median of {len(next(iter(rates.values())))} interleaved rounds)")
    first = statistics.median(next(iter(rates.values())))
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"  {name}: {median:,.0f} rows/s ({median / first:.2f}x minimal)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-schema-") as tmp:
        report("SQLite", sqlite_rates(Path(tmp) / "schema.sqlite3", args.seconds, args.rounds))
    if args.postgres:
        url = postgres_url("hearth_bench_telemetry_schema")
        if url:
            report("PostgreSQL", postgres_rates(url, args.seconds, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
