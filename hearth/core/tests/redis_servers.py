"""Redis for the task tests: the machine's server (started with the env entry's command when it
is not answering, as .ci/run does for PostgreSQL), on a database index this test run holds alone,
or a private server on a free port that a test may stop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MACHINE = "redis://127.0.0.1:6379"
START_MACHINE_REDIS = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _wait_for(url: str, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(url):
            return True
        time.sleep(0.1)
    return False


@contextmanager
def machine_redis_db() -> Iterator[str]:
    """A URL on the machine's Redis, at a database index no concurrent test run holds."""
    import redis

    if not _answers(MACHINE):
        if shutil.which("redis-server") is None:
            pytest.skip("no redis-server on this machine (apt-get install redis-server)")
        subprocess.run(START_MACHINE_REDIS, check=False, capture_output=True)  # noqa: S603
        if not _wait_for(MACHINE):
            pytest.skip("the machine's Redis did not start")
    owner = f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}"
    for index in range(1, 16):
        url = f"{MACHINE}/{index}"
        client = redis.Redis.from_url(url)
        if client.set("hearth:test:owner", owner, nx=True, ex=900):
            client.flushdb()
            client.set("hearth:test:owner", owner, ex=900)
            try:
                yield url
            finally:
                client.flushdb()
            return
    pytest.skip("every Redis database index is held by another test run")


@contextmanager
def private_redis(tmp_path: Path) -> Iterator[tuple[str, PrivateRedis]]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on this machine (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server.url, server
    finally:
        server.stop()


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and restart."""

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [  # noqa: S607 (redis-server from the PATH, as the env entry starts it)
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not _wait_for(self.url):
            raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
