"""Telemetry ingestion against a running server (gunicorn or granian, 3 workers), per database.

python bench/telemetry.py [--postgres] [--seconds 12] [--clients 4] [--households 64]
    [--server gunicorn|granian]  (or TELEMETRY_SERVER)

For each database: migrate a fresh one, serve it, create N virtual opt-in households over HTTP,
then drive them at full speed posting 500-event batches (new client event IDs each time) for a
bounded time; count the rows durably stored (read back from the database after the run) per
second. In the same run, the raw insert rates of the same rows straight into the same database
(no HTTP, no validation, batches of 500, one transaction each), by executemany and by each
database's bulk path (multi-row VALUES on SQLite, COPY on PostgreSQL), into two tables:

- a minimal table: household id, device day, client event id, type, device time, payload (jsonb
  on PostgreSQL, like Hearth's), with one unique index for the dedupe key;
- Hearth's own raw event table.

Prints the HTTP rate against the best raw rate of each table (issue #12 item 5: aim >= 0.5 of the
minimal table on SQLite, >= 0.7 on PostgreSQL). Bounded to about 45 s per database.
"""

# ruff: noqa: S608 (SQL built only from module constants and generated partition names)

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import postgres_url, request, running_server

BATCH = 500
COLUMNS = "household_id, batch_id, client_event_id, type, device_ts, day, payload"


def _event_template() -> bytes:
    ts = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = [
        {
            "client_event_id": f"@@-{i}",
            "device_ts": ts,
            "type": "usage",
            "service": ("tunewave", "radiolia", "local")[i % 3],
            "service_minutes": i % 90,
            "queue_actions": i % 7,
            "eq_changes": i % 2,
        }
        for i in range(BATCH)
    ]
    return json.dumps({"events": events}).encode()


def _drive(args: tuple[str, list[str], float, int]) -> tuple[int, int, int]:
    """One client process: cycle through its households' tokens posting fresh batches."""
    address, tokens, seconds, worker = args
    host, port = address.rsplit(":", 1)
    template = _event_template()
    batches = stored = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        token = tokens[batches % len(tokens)]
        body = template.replace(b"@@", f"w{worker}b{batches}".encode())
        batches += 1
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request(
                "POST",
                "/api/v1/telemetry/batches",
                body=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            response = conn.getresponse()
            payload = response.read()
            conn.close()
        except OSError:
            errors += 1
            continue
        if response.status != 200:
            errors += 1
            continue
        stored += json.loads(payload)["stored"]
    return batches, stored, errors


def _households(address: str, n: int) -> list[str]:
    host, port = address.rsplit(":", 1)
    tokens = []
    for i in range(n):
        status, body = request(
            host,
            int(port),
            "POST",
            "/api/v1/households",
            json.dumps({"serials": [f"BENCH-{i:05d}"]}).encode(),
        )
        assert status == 201, body
        created = json.loads(body)
        token = created["token"]
        status, body = request(
            host,
            int(port),
            "POST",
            f"/api/v1/households/{created['household_id']}/registration",
            json.dumps(
                {
                    "email": f"bench{i}@example.com",
                    "postal_code": "K1A 0B1",
                    "country": "CA",
                    "tier": "registered_opt_in",
                }
            ).encode(),
            {"Authorization": f"Bearer {token}"},
        )
        assert status == 200, body
        tokens.append(token)
    return tokens


def _raw_rows(n: int, household: int, sqlite: bool) -> list[tuple]:
    now = dt.datetime.now(dt.UTC)
    ts = now - dt.timedelta(hours=1)
    day = ts.date()
    rows = []
    for i in range(n):
        payload = json.dumps(
            {
                "service": ("tunewave", "radiolia", "local")[i % 3],
                "service_minutes": i % 90,
                "queue_actions": i % 7,
                "eq_changes": i % 2,
            },
            separators=(",", ":"),
        )
        row = (
            household + i // BATCH,
            f"raw-{i}",
            "usage",
            "registered_opt_in",
            ts,
            now,
            day,
            ("tunewave", "radiolia", "local")[i % 3],
            payload,
        )
        if sqlite:
            row = (
                *row[:4],
                ts.replace(tzinfo=None).isoformat(" "),
                now.replace(tzinfo=None).isoformat(" "),
                day.isoformat(),
                *row[7:],
            )
        rows.append(row)
    return rows


MINIMAL = "bench_minimal_event"
MINIMAL_COLUMNS = "household_id, day, client_event_id, type, device_ts, payload"


def _minimal_rows(rows: list[tuple]) -> list[tuple]:
    """The same events reduced to the minimal table's columns."""
    return [(r[0], r[6], r[1], r[2], r[4], r[8]) for r in rows]


def _own_rows(rows: list[tuple]) -> list[tuple]:
    """The same events as Hearth's raw table holds them: the receipt time and tier are on the
    batch row (one per 500 events, not timed here), the service in the payload (ADR 0004)."""
    return [(r[0], 1 + i // BATCH, r[1], r[2], r[4], r[6], r[8]) for i, r in enumerate(rows)]


def _sqlite_methods(table: str, columns: str, on_conflict: str) -> dict[str, object]:
    n = columns.count(",") + 1
    one = f"({','.join('?' * n)})"
    insert = f"INSERT {on_conflict} INTO {table} ({columns}) VALUES "

    def executemany(conn: sqlite3.Connection, batch: list[tuple]) -> None:
        conn.executemany(insert + one, batch)

    def values(conn: sqlite3.Connection, batch: list[tuple]) -> None:
        conn.execute(insert + ",".join([one] * len(batch)), [v for row in batch for v in row])

    return {"executemany": executemany, "multi-row VALUES": values}


def _timed(run, rows: list[tuple], seconds: float) -> float:  # type: ignore[no-untyped-def]
    done = 0
    start = time.perf_counter()
    while done < len(rows) and time.perf_counter() - start < seconds:
        run(rows[done : done + BATCH])
        done += BATCH
    return done / (time.perf_counter() - start)


def raw_rates_sqlite(path: Path, seconds: float) -> dict[str, float]:
    """Best raw insert rates of fresh rows, per table and method, no HTTP, no validation."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        f"CREATE TABLE {MINIMAL} (household_id integer NOT NULL, day date NOT NULL, "
        "client_event_id varchar(64) NOT NULL, type varchar(32) NOT NULL, "
        "device_ts datetime NOT NULL, payload text NOT NULL)"
    )
    conn.execute(
        f"CREATE UNIQUE INDEX {MINIMAL}_once ON {MINIMAL} (household_id, day, client_event_id)"
    )
    rates: dict[str, float] = {}
    base = 900_000_000_000
    for table, columns, reshape in (
        (MINIMAL, MINIMAL_COLUMNS, _minimal_rows),
        ("devices_telemetryevent", COLUMNS, _own_rows),
    ):
        for name, insert in _sqlite_methods(table, columns, "OR IGNORE").items():
            base += 1_000
            rows = reshape(_raw_rows(200_000, base, sqlite=True))

            def run(batch: list[tuple], insert=insert) -> None:  # type: ignore[no-untyped-def]
                conn.execute("BEGIN IMMEDIATE")
                insert(conn, batch)
                conn.execute("COMMIT")

            rates[f"{table} {name}"] = _timed(run, rows, seconds)
    conn.close()
    return rates


def raw_rates_postgres(url: str, seconds: float) -> dict[str, float]:
    import psycopg

    rates: dict[str, float] = {}
    base = 900_000_000_000
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {MINIMAL} (household_id bigint NOT NULL, day date NOT NULL, "
            "client_event_id varchar(64) NOT NULL, type varchar(32) NOT NULL, "
            "device_ts timestamptz NOT NULL, payload jsonb NOT NULL)"
        )
        conn.execute(
            f"CREATE UNIQUE INDEX {MINIMAL}_once ON {MINIMAL} (household_id, day, client_event_id)"
        )
        for table, columns, reshape in (
            (MINIMAL, MINIMAL_COLUMNS, _minimal_rows),
            ("devices_telemetryevent", COLUMNS, _own_rows),
        ):
            n = columns.count(",") + 1
            insert = (
                f"INSERT INTO {table} ({columns}) VALUES ({','.join(['%s'] * n)}) "
                "ON CONFLICT (household_id, day, client_event_id) DO NOTHING"
            )

            def executemany(batch: list[tuple], insert: str = insert) -> None:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(insert, batch)

            def copy(batch: list[tuple], table: str = table, columns: str = columns) -> None:
                with (
                    conn.transaction(),
                    conn.cursor() as cur,
                    cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out,
                ):
                    for row in batch:
                        out.write_row(row)

            for name, run in (("executemany", executemany), ("COPY", copy)):
                base += 1_000
                rows = reshape(_raw_rows(100_000, base, sqlite=False))
                rates[f"{table} {name}"] = _timed(run, rows, seconds)
    return rates


def count_stored(database_url: str, sqlite_path: Path | None) -> int:
    query = "SELECT count(*) FROM devices_telemetryevent"
    if sqlite_path is not None:
        with sqlite3.connect(sqlite_path) as conn:
            return int(conn.execute(query).fetchone()[0])
    import psycopg

    with psycopg.connect(database_url) as conn:
        return int(conn.execute(query).fetchone()[0])


def run_one(
    label: str, database_url: str, sqlite_path: Path | None, args: argparse.Namespace
) -> float:
    print(f"--- {label} ({args.server}, 3 workers)", flush=True)
    with running_server(database_url, server=args.server) as address:
        tokens = _households(address, args.households)
        per_client = [tokens[i :: args.clients] for i in range(args.clients)]
        start = time.monotonic()
        with mp.get_context("spawn").Pool(args.clients) as pool:
            results = pool.map(
                _drive, [(address, per_client[i], args.seconds, i) for i in range(args.clients)]
            )
        elapsed = time.monotonic() - start
        batches = sum(r[0] for r in results)
        reported = sum(r[1] for r in results)
        errors = sum(r[2] for r in results)
        durable = count_stored(database_url, sqlite_path)
        http_rate = durable / elapsed
        print(
            f"  HTTP: {batches} batches of {BATCH} from {args.households} households, "
            f"{args.clients} clients, {elapsed:.1f} s, {errors} errors; "
            f"stored {durable} rows (responses said {reported})",
            flush=True,
        )
        if sqlite_path is not None:
            raws = raw_rates_sqlite(sqlite_path, args.raw_seconds)
        else:
            raws = raw_rates_postgres(database_url, args.raw_seconds)
    for name, rate in raws.items():
        print(f"  raw insert, {name} (batches of {BATCH}): {rate:,.0f} rows/s")
    minimal = max(rate for name, rate in raws.items() if name.startswith(MINIMAL))
    own = max(rate for name, rate in raws.items() if not name.startswith(MINIMAL))
    aim = 0.5 if sqlite_path is not None else 0.7
    vs_minimal = http_rate / minimal if minimal else 0.0
    vs_own = http_rate / own if own else 0.0
    print(f"  accepted events/s durably stored over HTTP: {http_rate:,.0f}")
    print(
        f"  ratio to the minimal table's best raw insert: {vs_minimal:.2f} (aim >= {aim:.2f}) "
        f"{'OK' if vs_minimal >= aim else 'BELOW AIM'}"
    )
    print(f"  ratio to Hearth's own table's best raw insert: {vs_own:.2f}", flush=True)
    return vs_minimal


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--raw-seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--households", type=int, default=32)
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default=os.environ.get("TELEMETRY_SERVER", "granian"),
        help="the HTTP server (3 workers either way); granian, the production server, is the "
        "default (ADR 0004: 3x gunicorn's sync workers on this path in the same window)",
    )
    args = parser.parse_args()
    args.seconds = min(args.seconds, 20.0)
    with tempfile.TemporaryDirectory(prefix="hearth-bench-telemetry-") as tmp:
        path = Path(tmp) / "telemetry.sqlite3"
        run_one("SQLite", f"sqlite:///{path}", path, args)
    if args.postgres:
        url = postgres_url("hearth_bench_telemetry")
        if url:
            run_one("PostgreSQL", url, None, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
