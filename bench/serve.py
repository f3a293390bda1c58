"""Guest journeys per second under ``hearth serve`` on PostgreSQL, against the embedded run.

The same walker as ``bench/journey.py`` (a fresh guest per journey: product page, basket,
checkout forms, the sandbox card page, placing, the confirmation page; every order number checked
against the database) runs against:

- ``embedded``: ``manage.py run`` as a maker first starts it: SQLite, Django's runserver (one
  process, a thread per request), the database task worker and the scheduler;
- ``serve``: ``hearth serve`` on PostgreSQL: granian with ``--workers`` processes, one task
  worker, the elected scheduler, JSON logs with an access line per request, metrics on.

Server CPU is summed over the whole process tree (supervisor, granian and its workers, task
worker, scheduler). The load is bounded (``--flows`` journeys and ``--timeout`` seconds per
level) and everything listens on 127.0.0.1 only.

    .venv/bin/python bench/serve.py [--levels 1,8] [--flows 40] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import journey
from bench._harness import PYTHON, ROOT, free_port, postgres_url


def tree_cpu_ms(pid: int) -> float:
    """CPU of ``pid`` and every descendant (granian's workers are grandchildren here)."""
    total = journey._proc_cpu_ms(pid)
    for kid in journey._children(pid):
        total += tree_cpu_ms(kid)
    return total


@contextlib.contextmanager
def serving(mode: str, database_url: str | None, workers: int) -> Iterator[journey.Server]:
    with tempfile.TemporaryDirectory(prefix=f"hearth-{mode}-") as var_dir:
        env = {
            **os.environ,
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
            "HEARTH_THROTTLE_OFF": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env.pop("DATABASE_URL", None)
        run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], **run)  # type: ignore[call-overload]
        subprocess.run([PYTHON, "manage.py", "load_demo", "-v0"], **run)  # type: ignore[call-overload]
        subprocess.run([PYTHON, "manage.py", "shell", "-c", journey.STOCK_UP], **run)  # type: ignore[call-overload]
        port = free_port()
        if mode == "serve":
            env.update(
                {"PORT": str(port), "WEB_CONCURRENCY": str(workers), "HEARTH_TASK_WORKERS": "1"}
            )
            command = [PYTHON, "-m", "hearth", "serve"]
            probe = "/readyz"
        else:
            command = [PYTHON, "manage.py", "run", "--port", str(port)]
            probe = "/healthz"
        log = Path(var_dir) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            import httpx

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{probe}").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            else:
                raise RuntimeError(f"{mode} did not start within 120 s:\n{log.read_text()[-3000:]}")
            yield journey.Server(f"http://127.0.0.1:{port}", server.pid, env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def bench_mode(
    mode: str, url: str | None, levels: list[int], flows: int, workers: int, timeout: float
) -> list[journey.Level]:
    database = "PostgreSQL" if url else "SQLite"
    label = (
        f"hearth serve, {database}, granian {workers} workers"
        if mode == "serve"
        else "embedded run (manage.py run: SQLite, runserver)"
    )
    print(f"\n== {label}")
    results = []
    with serving(mode, url, workers) as server:
        product = journey.first_product_path(server)
        for _ in range(max(2, workers * 2)):  # warm every worker's imports and caches
            journey.walk(server.base, 0, product)
        offset = 1
        for buyers in levels:
            level = journey.run_level(server, product, buyers, flows, timeout, offset)
            offset += flows
            results.append(level)
            print(
                f"  {buyers:>3} buyers: {level.orders_per_s:6.2f} journeys/s  "
                f"place p50/p95 {level.place_p50_ms:5.0f}/{level.place_p95_ms:5.0f} ms  "
                f"server CPU {level.cpu_ms_per_journey:6.1f} ms/journey  "
                f"{level.orders} orders, {level.errors} errors, "
                f"{'verified' if level.verified else 'NOT VERIFIED against the database'}"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,8")
    parser.add_argument("--flows", type=int, default=60, help="journeys per level")
    parser.add_argument("--workers", type=int, default=2, help="granian workers under serve")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per level at most")
    parser.add_argument(
        "--serve-sqlite",
        action="store_true",
        help="also hearth serve on SQLite: the process set's cost apart from the database's",
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--postgres", action="store_true", help="(always: bench/run.py passes it)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    # run_level measures the server's CPU through journey.server_cpu_ms: the whole tree here.
    journey.server_cpu_ms = tree_cpu_ms
    results: dict[str, list[journey.Level]] = {}
    results["embedded"] = bench_mode("embedded", None, levels, args.flows, 1, args.timeout)
    if args.serve_sqlite:
        results["serve_sqlite"] = bench_mode(
            "serve", None, levels, args.flows, args.workers, args.timeout
        )
    url = postgres_url("hearth_bench_serve")
    if url:
        results["serve"] = bench_mode("serve", url, levels, args.flows, args.workers, args.timeout)
        print("\n== hearth serve (PostgreSQL) / embedded run (SQLite), journeys per second")
        for embedded, served in zip(results["embedded"], results["serve"], strict=True):
            ratio = served.orders_per_s / embedded.orders_per_s if embedded.orders_per_s else 0.0
            print(
                f"  {served.buyers:>3} buyers: {embedded.orders_per_s:6.2f} -> "
                f"{served.orders_per_s:6.2f} journeys/s ({ratio:4.2f}x)"
            )
    if args.json:
        args.json.write_text(
            json.dumps({k: [vars(x) for x in v] for k, v in results.items()}, indent=2)
        )


if __name__ == "__main__":
    main()
