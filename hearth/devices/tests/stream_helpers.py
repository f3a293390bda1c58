"""Real NATS servers for the telemetry stream tests (issue #17 item 4).

``machine_nats``: the machine's NATS with JetStream on 127.0.0.1:4222 (started with the env
entry's command when it does not answer, as .ci/run does; the tests are skipped, saying why,
only when the nats-server binary is absent). Each test gets its own stream name, deleted after.

``NatsServer``: a private nats-server on a free port with its own store directory, which a
test may stop and start again (the machine's shared server is never stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hearth.devices import stream

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
MACHINE_URL = "nats://127.0.0.1:4222"
START_MACHINE_NATS = [
    "start-stop-daemon",
    "--start",
    "--oknodo",
    "--background",
    "--exec",
    "/usr/sbin/nats-server",
    "--",
    "-a",
    "127.0.0.1",
    "-p",
    "4222",
    "-js",
    "-sd",
    "/var/lib/nats-server",
    "-l",
    "/var/log/nats-server.log",
]


def answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False


def wait_until(what: str, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def machine_nats() -> str:
    if not os.path.exists(NATS_SERVER):
        pytest.skip(f"no nats-server binary at {NATS_SERVER} (Debian package nats-server)")
    if not answers(4222):
        subprocess.run(START_MACHINE_NATS, check=False, timeout=30)  # noqa: S603
        wait_until("the machine's NATS answers on 4222", lambda: answers(4222))
    return MACHINE_URL


def run(coro_fn: Callable[[Any], Any], url: str) -> Any:
    """Run ``coro_fn(js)`` on a fresh connection (the tests' own view of the stream)."""
    import nats

    async def go() -> Any:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
        try:
            return await coro_fn(nc.jetstream(timeout=5))
        finally:
            await nc.close()

    return asyncio.run(go())


def delete_streams(url: str, name: str) -> None:
    from nats.js.errors import NotFoundError

    async def go(js: Any) -> None:
        for each in (name, f"{name}_DEAD"):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(each)

    run(go, url)


@pytest.fixture
def stream_on(machine_nats: str, settings: Any) -> Iterator[stream.StreamConfig]:
    """HEARTH_TELEMETRY_STREAM on for this test, on a stream of its own."""
    name = f"HEARTH_TEST_{uuid.uuid4().hex[:10].upper()}"
    settings.HEARTH_TELEMETRY_STREAM = machine_nats
    settings.HEARTH_TELEMETRY_STREAM_NAME = name
    settings.HEARTH_TELEMETRY_STREAM_TIMEOUT = 2
    stream.close_links()
    try:
        yield stream.config()
    finally:
        stream.close_links()
        delete_streams(machine_nats, name)


def messages_in(url: str, name: str) -> int:
    async def go(js: Any) -> int:
        return int((await js.stream_info(name)).state.messages)

    return int(run(go, url))


class NatsServer:
    """A private nats-server with JetStream, on a free port, in ``store``; start and stop."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until("the private nats-server answers", lambda: answers(self.port))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
