"""Shared benchmark plumbing: timing loops, a bounded HTTP load generator and a real server.

Everything listens on and talks to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def calls_per_second(fn: Callable[[], object], *, seconds: float = 1.0, repeats: int = 5) -> float:
    """Median, over ``repeats`` runs of about ``seconds`` each, of calls per second of ``fn``."""
    fn()  # warm caches
    batch = 1
    while True:  # size a batch to ~10 ms
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        if time.perf_counter() - start > 0.01:
            break
        batch *= 2
    rates = []
    for _ in range(repeats):
        calls = 0
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            for _ in range(batch):
                fn()
            calls += batch
        rates.append(calls / (time.perf_counter() - start))
    return statistics.median(rates)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(
    database_url: str | None = None, *, workers: int = 3, server: str = "gunicorn"
) -> Iterator[str]:
    """Migrate a fresh database and serve Hearth on 127.0.0.1 with gunicorn (sync workers) or
    granian (``server="granian"``: Rust HTTP, one blocking thread per worker, the production
    server); yield its base URL."""
    with serving(database_url, workers=workers, server=server) as (address, _process):
        yield address


def process_cpu_ms(pid: int) -> float:
    """User + system CPU time of one process so far (/proc/<pid>/stat), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a server's master and workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier]
        tree += kids
        frontier = kids
    return tree


def tree_cpu_ms(pid: int) -> float:
    """CPU ms so far of a process and its live descendants (the workers live for the run)."""
    return sum(process_cpu_ms(p) for p in process_tree(pid))


@contextlib.contextmanager
def serving(
    database_url: str | None = None, *, workers: int = 3, server: str = "gunicorn"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``running_server``, yielding the server's process too (its CPU: ``tree_cpu_ms``)."""
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as var_dir:
        env = {
            **os.environ,
            "HEARTH_VAR_DIR": var_dir,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "LOG_LEVEL": "ERROR",
        }
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env.pop("DATABASE_URL", None)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(
            [PYTHON, "manage.py", "load_demo", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        if server == "granian":
            command = [
                PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
                "--log-level", "warning", "--no-ws", "hearth.wsgi:application",
            ]  # fmt: skip
        else:
            command = [
                PYTHON, "-m", "gunicorn", "hearth.wsgi", "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    status, _ = request("127.0.0.1", port, "GET", "/healthz", None)
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("the server did not start within 30 s")
            yield f"127.0.0.1:{port}", process
        finally:
            process.terminate()
            process.wait(timeout=15)


def request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(
            method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _client(args: tuple[str, str, str, bytes | None, float, int]) -> tuple[int, list[float]]:
    address, method, path, body, seconds, max_requests = args
    host, port = address.rsplit(":", 1)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(latencies) + errors < max_requests:
        start = time.perf_counter()
        try:
            status, _ = request(host, int(port), method, path, body)
        except OSError:
            errors += 1
            continue
        if status >= 400:
            errors += 1
        else:
            latencies.append((time.perf_counter() - start) * 1000)
    return errors, latencies


def load(
    address: str,
    method: str,
    path: str,
    payload: object | None,
    *,
    seconds: float = 5.0,
    clients: int = 4,
    max_requests: int = 50_000,
) -> LoadResult:
    """Drive ``clients`` processes against one endpoint for at most ``seconds`` and requests."""
    body = json.dumps(payload).encode() if payload is not None else None
    per_client = max(1, max_requests // clients)
    start = time.monotonic()
    with mp.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_client, [(address, method, path, body, seconds, per_client)] * clients)
    elapsed = time.monotonic() - start
    errors = sum(r[0] for r in results)
    latencies = sorted(lat for r in results for lat in r[1])
    if not latencies:
        return LoadResult(0, errors, elapsed, 0.0, 0.0)
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=min(elapsed, seconds),
        p50_ms=latencies[len(latencies) // 2],
        p95_ms=latencies[int(len(latencies) * 0.95) - 1],
    )


def postgres_url(name: str) -> str | None:
    """A PostgreSQL URL for a throwaway benchmark database, or None when no server answers."""
    base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    try:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"  (PostgreSQL not available: {exc})")
        return None
    return f"{base}/{name}"
