"""Faults on the telemetry stream (issue #17 item 4): a consumer SIGKILLed between its commit and
its acks, and a NATS server restarted under the edge and the consumer. Nothing lost, nothing
twice: checked by counting rows in the real database.

The killed consumer is a real ``manage.py telemetry_consumer`` process on a database this test
shares with it (a temporary SQLite file, or the PostgreSQL test database), against the
machine's NATS. The restart uses a private nats-server on a free port with its own store (the
machine's shared server is never stopped).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from hearth.checkout.tests.conftest import file_db  # noqa: F401  (the shared database fixture)
from hearth.comms.tests.test_worker_killed_mid_send import database_url
from hearth.devices import stream
from hearth.devices.consumer import Consumer
from hearth.devices.models import TelemetryEvent
from hearth.devices.tests.ingest_helpers import new_household, post_batch, set_tier
from hearth.devices.tests.stream_helpers import (
    NatsServer,
    delete_streams,
    run,
    wait_until,
)

ROOT = Path(django_settings.BASE_DIR)
BATCHES = 20
PER_BATCH = 50


def usage(cid: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "client_event_id": cid,
        "device_ts": at.isoformat(),
        "type": "usage",
        "service": "tunewave",
        "service_minutes": 3,
    }


def send_batches(client: Client, token: str, *, prefix: str, count: int, at: dt.datetime) -> int:
    accepted = 0
    for b in range(count):
        events = [usage(f"{prefix}-{b}-{n}", at) for n in range(PER_BATCH)]
        response = post_batch(client, token, events)
        assert response.status_code == 200, response.content
        accepted += response.json()["queued"]
    return accepted


def consumer_state(url: str, name: str) -> tuple[int, int]:
    async def go(js: Any) -> tuple[int, int]:
        info = await js.consumer_info(name, "hearth-db")
        return int(info.num_pending), int(info.num_ack_pending)

    return run(go, url)  # type: ignore[no-any-return]


def start_consumer(env: dict[str, str], out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "telemetry_consumer",
            "--batch",
            "5",
            "--ack-wait",
            "2",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
    )


def test_a_consumer_killed_between_commit_and_ack_loses_and_duplicates_nothing(
    file_db: str,  # noqa: F811
    machine_nats: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    name = f"HEARTH_TEST_{uuid.uuid4().hex[:10].upper()}"
    settings.HEARTH_TELEMETRY_STREAM = machine_nats
    settings.HEARTH_TELEMETRY_STREAM_NAME = name
    stream.close_links()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hearth.settings",
        "DATABASE_URL": database_url(),
        "HEARTH_TELEMETRY_STREAM": machine_nats,
        "HEARTH_TELEMETRY_STREAM_NAME": name,
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        client = Client()
        hid, token = new_household(client)
        set_tier(hid, "registered_opt_in", at=dt.datetime.now(dt.UTC))
        at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        sent = send_batches(client, token, prefix="k", count=BATCHES, at=at)
        assert sent == BATCHES * PER_BATCH
        assert TelemetryEvent.objects.count() == 0

        # The first consumer commits its first round (5 batches) and is killed before its acks.
        first_out = tmp_path / "first.out"
        first = start_consumer(env, first_out, "--pause-after-commit", "120")
        procs.append(first)
        wait_until(
            "the first consumer committed a round",
            lambda: b"not acked yet" in first_out.read_bytes(),
            timeout=60,
        )
        committed = TelemetryEvent.objects.filter(household_id=hid).count()
        assert committed == 5 * PER_BATCH
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert consumer_state(machine_nats, name)[1] == 5  # delivered, never acked

        # A second consumer drains the rest and the 5 redelivered batches.
        second_out = tmp_path / "second.out"
        second = start_consumer(env, second_out)
        procs.append(second)
        wait_until(
            "the stream is drained and acked",
            lambda: consumer_state(machine_nats, name) == (0, 0),
            timeout=90,
        )
        second.send_signal(signal.SIGTERM)  # graceful: stops after its round
        assert second.wait(timeout=30) == 0
        log = second_out.read_text()
        assert "stopped:" in log, log
        redelivered = sum(
            int(line.split(", ")[-1].split()[0]) for line in log.splitlines() if "round:" in line
        )
        assert redelivered >= 5, log

        rows = TelemetryEvent.objects.filter(household_id=hid)
        assert rows.count() == BATCHES * PER_BATCH  # nothing lost, nothing twice
        assert rows.values("client_event_id").distinct().count() == BATCHES * PER_BATCH
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        stream.close_links()
        delete_streams(machine_nats, name)


@pytest.mark.django_db
def test_a_nats_restart_answers_503_then_recovers_and_loses_nothing(
    settings: Any, tmp_path: Path, machine_nats: str
) -> None:
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    settings.HEARTH_TELEMETRY_STREAM = server.url
    settings.HEARTH_TELEMETRY_STREAM_NAME = "HEARTH_RESTART"
    settings.HEARTH_TELEMETRY_STREAM_TIMEOUT = 1
    stream.close_links()
    consumer: Consumer | None = None
    try:
        client = Client()
        hid, token = new_household(client)
        now = dt.datetime.now(dt.UTC)
        set_tier(hid, "registered_opt_in", at=now)
        at = now.replace(microsecond=0) - dt.timedelta(hours=1)
        before = send_batches(client, token, prefix="a", count=3, at=at)
        consumer = Consumer(batch=2, fetch_timeout=0.5, clock=lambda: dt.datetime.now(dt.UTC))
        consumer.drain_once()  # one round before the restart: 2 of 3 batches stored
        assert TelemetryEvent.objects.filter(household_id=hid).count() == 2 * PER_BATCH

        server.stop()
        down = post_batch(client, token, [usage("down-1", at)])
        assert down.status_code == 503 and down["Retry-After"] == "5"

        server.start()  # same port, same store: the stream and the consumer survive
        wait_until(
            "the edge publishes again",
            lambda: post_batch(client, token, [usage("down-1", at)]).status_code == 200,
            timeout=30,
        )
        after = send_batches(client, token, prefix="b", count=2, at=at)

        def drained() -> bool:
            try:
                assert consumer is not None
                consumer.drain_once()
            except Exception:  # the link is still reconnecting
                consumer.close()
                return False
            return consumer_state(server.url, "HEARTH_RESTART") == (0, 0)

        wait_until("the consumer drained the stream after the restart", drained, timeout=60)
        rows = TelemetryEvent.objects.filter(household_id=hid)
        assert rows.count() == before + 1 + after  # the 503's event too, once: it was resent
        assert rows.values("client_event_id").distinct().count() == rows.count()
    finally:
        if consumer is not None:
            consumer.close()
        stream.close_links()
        server.stop()
