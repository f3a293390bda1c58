"""Telemetry through NATS JetStream against the direct path (issue #17 item 4).

python bench/telemetry_stream.py [--postgres] [--seconds 8] [--clients 4] [--rate 10]

On SQLite (``--postgres``: PostgreSQL, where the consumer's insert is a COPY), against the
machine's NATS (127.0.0.1:4222, a stream of the bench's own, deleted after):

1. **direct**: gunicorn (3 workers) with the stream off; 500-event batches at full speed for
   ``--seconds``; accepted events/s (each answered after its commit);
2. **edge**: the same server with ``HEARTH_TELEMETRY_STREAM`` set and no consumer running;
   accepted events/s, each answered after the stream's PubAck;
3. **consumer**: the backlog of step 2 drained by the consumer (in this process, one round of
   ``--batch`` messages = one COPY); rows/s from its first fetch to the empty stream;
4. **lag**: a consumer process running and a steady load of ``--rate`` batches/s for
   ``--seconds``; the end-to-end lag of each batch is the time from the edge's answer (its
   PubAck) to the consumer's write (the row's ``received_at`` is the consumer's clock in
   stream mode): p50, p95 and max. A round waits up to ``--max-wait`` for a full batch of
   messages, so at a low rate the lag is about that wait plus a round's insert.

Bounded: each phase stops by itself; about 60 s in all on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._harness import PYTHON, postgres_url, running_server  # noqa: E402
from bench.telemetry import BATCH, _households  # noqa: E402
from bench.telemetry import _event_template as _template  # noqa: E402

NATS = "nats://127.0.0.1:4222"


def _post(conn: http.client.HTTPConnection, token: str, body: bytes) -> tuple[int, dict]:
    conn.request(
        "POST",
        "/api/v1/telemetry/batches",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = conn.getresponse()
    payload = response.read()
    return response.status, (json.loads(payload) if response.status == 200 else {})


def _drive(args: tuple[str, list[str], float, int, float]) -> tuple[int, int, list[tuple]]:
    """One client: post fresh batches (at full speed, or ``rate`` batches/s when > 0); return
    accepted events, errors, and (batch tag, answered at) of each accepted batch."""
    address, tokens, seconds, worker, rate = args
    host, port = address.rsplit(":", 1)
    template = _template()
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    accepted = errors = 0
    answered: list[tuple[str, float]] = []
    start = time.monotonic()
    deadline = start + seconds
    n = 0
    while time.monotonic() < deadline:
        if rate > 0:
            due = start + n / rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
        tag = f"w{worker}b{n}-{uuid.uuid4().hex[:6]}"
        token = tokens[n % len(tokens)]
        n += 1
        try:
            status, body = _post(conn, token, template.replace(b"@@", tag.encode()))
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            errors += 1
            continue
        if status != 200:
            errors += 1
            continue
        accepted += int(body["accepted"])
        answered.append((tag, time.time()))
    conn.close()
    return accepted, errors, answered


def drive(address: str, tokens: list[str], *, seconds: float, clients: int, rate: float = 0):
    per_client = [tokens[i::clients] for i in range(clients)]
    start = time.monotonic()
    with mp.get_context("spawn").Pool(clients) as pool:
        results = pool.map(
            _drive,
            [(address, per_client[i], seconds, i, rate / clients) for i in range(clients)],
        )
    elapsed = time.monotonic() - start
    accepted = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    answered = [a for r in results for a in r[2]]
    return accepted, errors, answered, elapsed


def wait_for_start(out: Path, limit: float = 60.0) -> None:
    """Until the consumer process has subscribed (its first line), then one more second."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and b"draining" not in out.read_bytes():
        time.sleep(0.2)
    time.sleep(1)


def _django(database_url: str, name: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["HEARTH_TELEMETRY_STREAM"] = NATS
    os.environ["HEARTH_TELEMETRY_STREAM_NAME"] = name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")
    # The server's key (bench/_harness.running_server): the consumer opens the households'
    # encrypted fields when it asks the consent gate again.
    os.environ["SECRET_KEY"] = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
    import django

    django.setup()


def _write_times(tags: list[str]) -> dict[str, float]:
    """Each batch tag's write time (its first event's ``received_at``)."""
    from hearth.devices.models import TelemetryEvent

    names = {f.name for f in TelemetryEvent._meta.get_fields()}
    path = "received_at" if "received_at" in names else "batch__received_at"
    ids = [f"{tag}-0" for tag in tags]
    out: dict[str, float] = {}
    for start in range(0, len(ids), 500):
        for cid, at in TelemetryEvent.objects.filter(
            client_event_id__in=ids[start : start + 500]
        ).values_list("client_event_id", path):
            out[cid[:-2]] = at.timestamp()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--households", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="consumer: messages per round")
    parser.add_argument("--rate", type=float, default=10.0, help="lag phase: batches per second")
    parser.add_argument("--max-wait", type=float, default=0.5, help="consumer: a round's wait, s")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 15.0)
    name = f"HEARTH_BENCH_{uuid.uuid4().hex[:8].upper()}"
    with tempfile.TemporaryDirectory(prefix="hearth-bench-stream-") as tmp:
        urls: list[str] = []
        for phase in ("direct", "stream"):
            if not args.postgres:
                urls.append(f"sqlite:///{Path(tmp) / f'{phase}.sqlite3'}")
                continue
            found = postgres_url(f"hearth_bench_stream_{phase}")
            if not found:
                print("PostgreSQL is not answering; run without --postgres for SQLite")
                return 1
            urls.append(found)
        direct_url, url = urls
        label = "PostgreSQL" if args.postgres else "SQLite"
        print(f"--- {label}, NATS {NATS}, stream {name}", flush=True)

        os.environ.pop("HEARTH_TELEMETRY_STREAM", None)
        with running_server(direct_url) as address:
            tokens = _households(address, args.households)
            accepted, errors, _a, elapsed = drive(
                address, tokens, seconds=args.seconds, clients=args.clients
            )
        direct = accepted / elapsed
        print(
            f"  direct path: {direct:,.0f} accepted events/s stored "
            f"({accepted} in {elapsed:.1f} s, {errors} errors)",
            flush=True,
        )

        os.environ["HEARTH_TELEMETRY_STREAM"] = NATS
        os.environ["HEARTH_TELEMETRY_STREAM_NAME"] = name
        try:
            with running_server(url) as address:
                tokens = _households(address, args.households)
                accepted, errors, _a, elapsed = drive(
                    address, tokens, seconds=args.seconds, clients=args.clients
                )
                edge = accepted / elapsed
                print(
                    f"  stream edge: {edge:,.0f} accepted events/s acked by JetStream "
                    f"({accepted} in {elapsed:.1f} s, {errors} errors; "
                    f"{edge / direct if direct else 0:.2f}x the direct path)",
                    flush=True,
                )

                _django(url, name)
                from hearth.devices.consumer import Consumer

                consumer = Consumer(
                    batch=args.batch,
                    fetch_timeout=1.0,
                    clock=lambda: dt.datetime.now(dt.UTC),
                )
                consumer.start()
                events = stored = 0
                first = last = time.perf_counter()
                deadline = first + 30
                while time.perf_counter() < deadline:
                    result = consumer.drain_once()
                    if not result.messages:
                        break
                    events += result.events
                    stored += result.stored
                    last = time.perf_counter()
                consumer.close()
                span = (last - first) if events else 0.0
                print(
                    f"  consumer: {stored:,} rows stored from {events:,} events in {span:.1f} s "
                    f"= {stored / span if span else 0:,.0f} rows/s "
                    f"({args.batch} messages of {BATCH} events per round, one insert each)",
                    flush=True,
                )

                env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR"}
                with (Path(tmp) / "consumer.out").open("wb") as out:
                    proc = subprocess.Popen(
                        [
                            PYTHON,
                            "manage.py",
                            "telemetry_consumer",
                            "--batch",
                            str(args.batch),
                            "--max-wait",
                            str(args.max_wait),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                    try:
                        wait_for_start(Path(tmp) / "consumer.out")
                        accepted, errors, answered, elapsed = drive(
                            address,
                            tokens,
                            seconds=args.seconds,
                            clients=min(args.clients, 2),
                            rate=args.rate,
                        )
                        wanted = [tag for tag, _t in answered]
                        written: dict[str, float] = {}
                        settle = time.monotonic() + 20
                        while time.monotonic() < settle:
                            written = _write_times(wanted)
                            if len(written) == len(wanted):
                                break
                            time.sleep(0.5)
                    finally:
                        proc.terminate()
                        proc.wait(timeout=30)
                lags = sorted(max(0.0, written[tag] - at) for tag, at in answered if tag in written)
                if lags:
                    p95 = lags[max(0, int(len(lags) * 0.95) - 1)]
                    print(
                        f"  end-to-end lag at {len(answered) / elapsed:.1f} batches/s "
                        f"({len(answered) * BATCH / elapsed:,.0f} events/s), from the edge's "
                        f"answer to the consumer's write: p50 {statistics.median(lags):.2f} s, "
                        f"p95 {p95:.2f} s, max {lags[-1]:.2f} s "
                        f"({len(lags)}/{len(answered)} batches written, {errors} errors)",
                        flush=True,
                    )
                else:
                    print(f"  lag: nothing written ({len(answered)} batches answered)")
        finally:
            from hearth.devices.tests.stream_helpers import delete_streams

            delete_streams(NATS, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
