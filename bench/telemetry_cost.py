"""Server CPU per telemetry batch, in one process, stage by stage (ADR 0004's method).

    .venv/bin/python bench/telemetry_cost.py [--postgres] [--rounds 5] [--batches 40]
        [--events 500] [--profile FILE]

Migrates a fresh database (SQLite file in WAL, or a throwaway PostgreSQL database), creates one
opted-in household through the services, then times by CPU time (``time.process_time``) rounds of
``--batches`` fresh 500-event ``usage`` batches (new client event IDs each time), interleaving:

- request: the whole request through the WSGI application (what a server worker runs for it:
  middleware, routing, the cached token auth, decode, consent, validation, insert, commit,
  the response body);
- fixed: the same request with an empty batch (everything but the batch's own work);
- decode, consent (``tier_in_force``), validate (``rules.validate_events``), check (consent,
  validation and payload encoding: ``services.check_batch``), store (``repository.insert_batch``
  of the checked events, commit included): the stages, called directly on the same bodies.

The cyclic collector is frozen after start-up and paused around each request, as in
production (hearth/wsgi.py, core.collector). Prints the median per stage in ms per batch (on
PostgreSQL also the CPU its backend spent serving the stage, from /proc: ticks of 10 ms, so
read it over many batches).
``--profile FILE`` writes a cProfile (CPU time) of whole requests to FILE (``--profile-empty``:
of empty batches, the fixed cost).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import postgres_url, process_cpu_ms
from bench.telemetry import _event_template

BATCH_PATH = "/api/v1/telemetry/batches"


def _template(events: int) -> list[bytes]:
    return _event_template(events).split(b"@@")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--profile", type=Path)
    parser.add_argument(
        "--profile-empty", action="store_true", help="profile empty batches (the fixed cost)"
    )
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="hearth-telemetry-cost-")
    os.environ.update(
        {
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "hearth.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        url = postgres_url("hearth_bench_telemetry_cost")
        if url is None:
            raise SystemExit("PostgreSQL is not available")
        os.environ["DATABASE_URL"] = url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/cost.sqlite3"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--noinput", verbosity=0)

    from hearth.core import clock
    from hearth.devices import conf, repository, rules, services
    from hearth.devices.selectors import tier_in_force
    from hearth.wsgi import application  # freezes the start-up objects, as a worker does

    at = clock.now()
    household, token = services.create_household(serials=["BENCH-COST-1"], at=at)
    household = services.register_household(
        household=household,
        email="bench.cost@example.com",
        postal_code="K1A 0B1",
        country="CA",
        tier="registered_opt_in",
        at=at,
    )
    gc.collect()
    gc.freeze()
    parts = _template(args.events)
    counter = iter(range(10**9))

    def body() -> bytes:
        return f"r{next(counter)}".encode().join(parts)

    def environ(data: bytes) -> dict[str, Any]:
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": BATCH_PATH,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }

    statuses: list[str] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        statuses.append(status)

    def request(data: bytes) -> None:
        result = application(environ(data), start_response)
        b"".join(result)
        result.close()  # type: ignore[attr-defined]

    empty = b'{"events": []}'
    schema = rules.event_schema()
    oldest_days = conf.retention_days()

    def prepared() -> tuple[list[Any], dt.datetime]:
        return services.decode_batch(body()), clock.now()

    stages: dict[str, Callable[[int], float]] = {}

    backend_cpu: list[float] = []  # per run: the PostgreSQL backend's CPU ms per batch

    def backend_ms() -> float:
        if not args.postgres:
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return process_cpu_ms(pid)

    def timed(fn: Callable[[], Callable[[], object]]) -> Callable[[int], float]:
        def run(n: int) -> float:
            calls = [fn() for _ in range(n)]  # inputs made outside the clock
            was = gc.isenabled()
            gc.disable()
            try:
                backend = backend_ms()
                start = time.process_time()
                for call in calls:
                    call()
                spent = (time.process_time() - start) * 1000 / n
                backend_cpu.append((backend_ms() - backend) / n)
                return spent
            finally:
                if was:
                    gc.enable()

        return run

    def request_call() -> Callable[[], object]:
        data = body()
        return lambda: request(data)

    def fixed_call() -> Callable[[], object]:
        return lambda: request(empty)

    def decode_call() -> Callable[[], object]:
        data = body()
        return lambda: services.decode_batch(data)

    def consent_call() -> Callable[[], object]:
        return lambda: tier_in_force(household, clock.now())

    def validate_call() -> Callable[[], object]:
        events, now = prepared()
        oldest = now - dt.timedelta(days=oldest_days)
        return lambda: rules.validate_events(
            events, schema=schema, tier="registered_opt_in", now=now, oldest=oldest, from_json=True
        )

    def check_call() -> Callable[[], object]:
        events, now = prepared()
        return lambda: services.check_batch(
            household=household, events=events, at=now, from_json=True
        )

    def store_call() -> Callable[[], object]:
        events, now = prepared()
        checked = services.check_batch(household=household, events=events, at=now, from_json=True)
        rows = [
            (e.client_event_id, e.type, e.device_ts, e.day, payload)
            for e, payload in zip(checked.valid, checked.payloads, strict=False)
        ]
        return lambda: repository.insert_batch(
            household_id=household.id, tier=checked.tier, received_at=now, events=rows
        )

    stages = {
        "request (WSGI, whole)": timed(request_call),
        "fixed (empty batch)": timed(fixed_call),
        "decode": timed(decode_call),
        "consent (tier_in_force)": timed(consent_call),
        "validate (validate_events)": timed(validate_call),
        "check (consent+validate+payloads)": timed(check_call),
        "store (insert_batch, commit)": timed(store_call),
    }
    for run in stages.values():  # warm every path
        run(3)
    results: dict[str, list[float]] = {name: [] for name in stages}
    backends: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(args.rounds):
        for name, run in stages.items():
            results[name].append(run(args.batches))
            backends[name].append(backend_cpu[-1])
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise SystemExit(f"requests failed: {bad[:3]}")
    db = "PostgreSQL" if args.postgres else "SQLite (file, WAL)"
    print(
        f"{db}: CPU ms per {args.events}-event batch, median of {args.rounds} rounds of "
        f"{args.batches} (load {os.getloadavg()[0]:.2f})"
    )
    for name, values in results.items():
        server = (
            f"  PostgreSQL backend {statistics.median(backends[name]):5.2f}"
            if args.postgres
            else ""
        )
        print(
            f"  {name:36s} {statistics.median(values):6.3f}{server}  "
            f"(rounds {', '.join(f'{v:.2f}' for v in values)})"
        )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        datas = [empty if args.profile_empty else body() for _ in range(args.batches * args.rounds)]
        gc.disable()
        profiler.enable()
        for data in datas:
            request(data)
        profiler.disable()
        gc.enable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(35)
        args.profile.write_text(out.getvalue())
        print(f"  profile written to {args.profile}")


if __name__ == "__main__":
    main()
