"""Telemetry ingestion against a running server (gunicorn or granian, 3 workers), per database.

python bench/telemetry.py [--postgres] [--seconds 12] [--clients 4] [--households 64]
    [--server gunicorn|granian]  (or TELEMETRY_SERVER)  [--client lean|fresh|http.client]

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

Where the machine's CPU goes during the HTTP phase, per batch: the server's (master and workers,
from /proc/<pid>/stat, user + system), the load clients' (each client process's own CPU time),
PostgreSQL's backends for the bench database, and the whole machine's busy time (/proc/stat:
everything running, other sessions' work included). On 2 cores the HTTP rate is bounded by their
sum: what the clients spend is taken from the server.

The load client (ADR 0004, fourth pass) stands in for the devices; its own cost is load-generator
overhead, not the server's work, so it is kept small. ``--client lean`` (the default): one
kept-alive HTTP/1.1 connection per client process (as a reverse proxy keeps to the app server), a
raw socket, the request head pre-built per household token, the body a fresh batch each time (the
template split once at its placeholder and joined around a new prefix, so every event has a new
client event ID); each answer's status and ``stored`` count are read and checked. ``fresh``: the
same with a new connection per batch. ``http.client``: the former client (a new http.client
connection per batch, ``json.loads`` per answer; about 0.5 ms CPU per batch against the lean
client's 0.13). Nothing is pre-stored and the server does all of its work every time.
"""

# ruff: noqa: S608 (SQL built only from module constants and generated partition names)

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import re
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import postgres_url, process_cpu_ms, request, serving, tree_cpu_ms

BATCH = 500
COLUMNS = "household_id, batch_id, client_event_id, type, device_ts, day, payload"


def _event_template(n: int = BATCH) -> bytes:
    """One batch of ``n`` usage events as JSON, with ``@@`` where each client event ID's prefix
    goes (the drivers put a fresh one there for every batch)."""
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
        for i in range(n)
    ]
    return json.dumps({"events": events}).encode()


_STORED = re.compile(rb'"stored":\s*(\d+)')


class _Connection:
    """One client's HTTP/1.1 connection on a raw socket: a pre-built request head and body
    sent in one ``sendall``, the answer's status line, ``Content-Length`` and body read back.
    Reconnects when the server closes (or ``fresh``: one connection per batch)."""

    def __init__(self, host: str, port: int, *, fresh: bool) -> None:
        self.address = (host, port)
        self.fresh = fresh
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        try:
            self.sock.sendall(head + body)
            status, headers, answer = self._read()
        except OSError:
            self.close()
            raise
        if self.fresh or b"connection: close" in headers.lower():
            self.close()
        return status, answer

    def _read(self) -> tuple[int, bytes, bytes]:
        assert self.sock is not None
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        headers, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = int(headers.split(b" ", 2)[1])
        length = 0
        for line in headers.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._fill()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, answer

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-answer")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _drive_lean(address: str, tokens: list[str], seconds: float, worker: int, fresh: bool):  # type: ignore[no-untyped-def]
    """The lean client: a fresh body per batch (new client event IDs: the template split at
    its placeholders once, joined around a new prefix), sent on a raw socket with a pre-built
    head; each answer's status and ``stored`` count checked."""
    host, port = address.rsplit(":", 1)
    parts = _event_template().split(b"@@")
    heads = [
        (
            "POST /api/v1/telemetry/batches HTTP/1.1\r\n"
            f"Host: {address}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\n"
            + ("Connection: close\r\n" if fresh else "")
            + "Content-Length: {}\r\n\r\n"
        )
        for token in tokens
    ]
    connection = _Connection(host, int(port), fresh=fresh)
    batches = stored = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = f"w{worker}b{batches}".encode().join(parts)
        head = heads[batches % len(heads)].format(len(body)).encode()
        batches += 1
        try:
            status, answer = connection.post(head, body)
        except OSError:
            errors += 1
            continue
        found = _STORED.search(answer)
        if status != 200 or found is None:
            errors += 1
            continue
        stored += int(found.group(1))
    connection.close()
    return batches, stored, errors


def _drive_httpclient(address: str, tokens: list[str], seconds: float, worker: int):  # type: ignore[no-untyped-def]
    """The former client: an http.client connection per batch, json.loads per answer."""
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


def _drive(args: tuple[str, list[str], float, int, str]) -> tuple[int, int, int, float]:
    """One client process: cycle through its households' tokens posting fresh batches; returns
    (batches, stored as answered, errors, this process's CPU ms)."""
    address, tokens, seconds, worker, client = args
    cpu = time.process_time()
    if client == "http.client":
        result = _drive_httpclient(address, tokens, seconds, worker)
    else:
        result = _drive_lean(address, tokens, seconds, worker, fresh=client == "fresh")
    return (*result, (time.process_time() - cpu) * 1000)


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


def _machine_busy_ms() -> float:
    """CPU ms all cores spent busy so far (/proc/stat): everything on the machine."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) * 1000.0 / os.sysconf("SC_CLK_TCK")


def _postgres_backends(database_url: str) -> list[int]:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def run_one(
    label: str, database_url: str, sqlite_path: Path | None, args: argparse.Namespace
) -> float:
    print(f"--- {label} ({args.server}, 3 workers, {args.client} client)", flush=True)
    with serving(database_url, server=args.server) as (address, server):
        tokens = _households(address, args.households)
        per_client = [tokens[i :: args.clients] for i in range(args.clients)]
        backends = (
            {}
            if sqlite_path is not None
            else {pid: process_cpu_ms(pid) for pid in _postgres_backends(database_url)}
        )
        server_cpu, machine = tree_cpu_ms(server.pid), _machine_busy_ms()
        start = time.monotonic()
        with mp.get_context("spawn").Pool(args.clients) as pool:
            results = pool.map(
                _drive,
                [
                    (address, per_client[i], args.seconds, i, args.client)
                    for i in range(args.clients)
                ],
            )
        elapsed = time.monotonic() - start
        server_cpu = tree_cpu_ms(server.pid) - server_cpu
        machine = _machine_busy_ms() - machine
        database_cpu = 0.0
        if sqlite_path is None:
            database_cpu = sum(
                process_cpu_ms(pid) - backends.get(pid, 0.0)
                for pid in _postgres_backends(database_url)
            )
        batches = sum(r[0] for r in results)
        reported = sum(r[1] for r in results)
        errors = sum(r[2] for r in results)
        client_cpu = sum(r[3] for r in results)
        durable = count_stored(database_url, sqlite_path)
        http_rate = durable / elapsed
        print(
            f"  HTTP: {batches} batches of {BATCH} from {args.households} households, "
            f"{args.clients} clients, {elapsed:.1f} s, {errors} errors; "
            f"stored {durable} rows (responses said {reported})",
            flush=True,
        )
        per = max(1, batches)
        print(
            f"  CPU ms per batch: server (granian/gunicorn master + workers) "
            f"{server_cpu / per:.2f}, clients {client_cpu / per:.2f}"
            + (f", PostgreSQL backends {database_cpu / per:.2f}" if sqlite_path is None else "")
            + f"; whole machine busy {machine / per:.2f} (anything else running included; "
            f"{machine / elapsed / 10:.0f} % of one core, load {os.getloadavg()[0]:.2f})",
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
    parser.add_argument(
        "--client",
        choices=("lean", "fresh", "http.client"),
        default="lean",
        help="the load client: lean (raw socket, one kept-alive connection per client process, "
        "pre-built request), fresh (the same, a new connection per batch), http.client (the "
        "former client: a new http.client connection per batch, json.loads per answer)",
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
