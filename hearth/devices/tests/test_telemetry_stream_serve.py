"""One command with the stream on: ``hearth serve`` with HEARTH_TELEMETRY_STREAM set runs the web
edge and a telemetry consumer; a batch posted over HTTP reaches the database once, the merged
metrics show it published by the web process and stored by the consumer process, readiness
checks the stream, and SIGTERM stops the set cleanly (issue #17 items 1, 2 and 4)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import httpx
import pytest

from hearth.checkout.tests.conftest import file_db  # noqa: F401  (the shared database fixture)
from hearth.core.tests.test_serve import (
    answers,
    base_env,
    database_url,
    free_port,
    start,
    stop,
    wait_until,
)
from hearth.devices.models import TelemetryEvent
from hearth.devices.tests.stream_helpers import delete_streams


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else -1.0


@pytest.mark.serve
def test_hearth_serve_with_the_stream_stores_a_posted_batch_once_and_stops_cleanly(
    file_db: str,  # noqa: F811
    machine_nats: str,
    tmp_path: Path,
) -> None:
    name = f"HEARTH_TEST_{uuid.uuid4().hex[:10].upper()}"
    port = free_port()
    env = base_env(
        tmp_path,
        DATABASE_URL=database_url(),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        HEARTH_TASK_WORKERS="0",
        HEARTH_SCHEDULER="0",
        HEARTH_METRICS_TOKEN="stream-test-token",
        HEARTH_TELEMETRY_STREAM=machine_nats,
        HEARTH_TELEMETRY_STREAM_NAME=name,
    )
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = start(["serve"], env, log)
    try:
        wait_until("/readyz answers 200", lambda: answers(base + "/readyz", 200), 90, log)
        assert httpx.get(base + "/readyz").json()["checks"]["telemetry_stream"] == "ok"
        created = httpx.post(
            base + "/api/v1/households", json={"serials": ["EO-ONE-SERVE1"]}, timeout=30
        ).json()
        headers = {"Authorization": f"Bearer {created['token']}"}
        registered = httpx.post(
            base + f"/api/v1/households/{created['household_id']}/registration",
            json={
                "email": "serve@example.com",
                "postal_code": "K1A 0B1",
                "country": "CA",
                "tier": "registered_opt_in",
            },
            headers=headers,
            timeout=30,
        )
        assert registered.status_code == 200, registered.text
        now = dt.datetime.now(dt.UTC)
        ts = (now - dt.timedelta(hours=1)).isoformat()
        events = [
            {
                "client_event_id": f"s-{n}",
                "device_ts": ts,
                "type": "usage",
                "service": "tunewave",
                "service_minutes": n,
            }
            for n in range(50)
        ]
        for _ in range(2):  # the second is a device's retry: the same dedupe key
            answer = httpx.post(
                base + "/api/v1/telemetry/batches",
                json={"events": events},
                headers=headers,
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["queued"] == 50

        rows = TelemetryEvent.objects.filter(household_id=created["household_id"])
        wait_until(
            "the consumer under hearth serve stored the batch", lambda: rows.count() == 50, 60, log
        )
        scrape = ""

        def metrics_caught_up() -> bool:
            nonlocal scrape
            scrape = httpx.get(
                base + "/metrics", headers={"Authorization": "Bearer stream-test-token"}
            ).text
            return metric(scrape, "hearth_telemetry_stream_stored_events_total") == 50

        wait_until("the consumer's counter reaches the merged metrics", metrics_caught_up, 30, log)
        assert metric(scrape, "hearth_telemetry_stream_published_events_total") == 100
        assert metric(scrape, "hearth_telemetry_stream_duplicate_batches_total") == 1
        assert metric(scrape, "hearth_telemetry_stream_pending_batches") == 0
        assert metric(scrape, "hearth_telemetry_stream_up") == 1
    finally:
        code = stop(process)
        delete_streams(machine_nats, name)
    assert code == 0, log.read_text(errors="replace")[-4000:]
    assert rows.count() == 50
