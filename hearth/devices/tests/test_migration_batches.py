"""Migration 0007 moves stored events' receipt time and tier to batch rows (ADR 0004), on SQLite
and PostgreSQL (partitioned): existing data keeps its meaning both ways, and event ids never
come back below the rollup watermark."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hearth.devices import repository
from hearth.devices.models import TelemetryBatch, TelemetryEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("devices", "0006_telemetry_payload_unchecked")]
R1 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
R2 = R1 + dt.timedelta(minutes=5)
TS = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)
H1, H2 = 111111111111, 222222222222


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "devices"]


def _old_events(executor: MigrationExecutor) -> list[tuple]:
    old = executor.loader.project_state(BEFORE).apps.get_model("devices", "TelemetryEvent")
    return sorted(
        old.objects.values_list(
            "household_id", "client_event_id", "tier_at_receipt", "received_at", "service"
        )
    )


def test_stored_events_become_one_batch_row_per_receipt_and_back() -> None:
    latest = _latest()
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps.get_model("devices", "TelemetryEvent")
        made = [
            (H1, "a", "usage", "registered_opt_in", R1, "tunewave"),
            (H1, "b", "playback_error", "registered_opt_in", R1, "radiolia"),
            (H1, "c", "usage", "registered_opt_out", R2, "local"),
            (H2, "a", "system_report", "registered_opt_out", R1, None),
            (H2, "gone", "usage", "registered_opt_out", R2, "local"),
        ]
        for hid, cid, etype, tier, received, service in made:
            old.objects.create(
                household_id=hid,
                client_event_id=cid,
                type=etype,
                tier_at_receipt=tier,
                device_ts=TS,
                received_at=received,
                day=TS.date(),
                service=service,
                payload={"service": service} if service else {"products": []},
            )
        high = old.objects.order_by("-id").values_list("id", flat=True)[0]
        old.objects.filter(client_event_id="gone").delete()  # the newest row, purged
        before = _old_events(executor)

        _migrate(latest)
        events = {
            (e.household_id, e.client_event_id): (e.batch.tier_at_receipt, e.batch.received_at)
            for e in TelemetryEvent.objects.select_related("batch")
        }
        assert events == {
            (H1, "a"): ("registered_opt_in", R1),
            (H1, "b"): ("registered_opt_in", R1),
            (H1, "c"): ("registered_opt_out", R2),
            (H2, "a"): ("registered_opt_out", R1),
        }
        assert TelemetryBatch.objects.count() == 3  # (H1, R1), (H1, R2), (H2, R1)
        assert TelemetryEvent.objects.get(household_id=H1, client_event_id="b").payload == {
            "service": "radiolia"
        }
        # A new event never takes an id at or below one already used (the rollup watermark).
        row = (H2, "new", "usage", "registered_opt_out", TS, R2, TS.date(), "local", "{}")
        assert repository.insert_events([row]) == 1
        assert TelemetryEvent.objects.get(client_event_id="new").id > high
        TelemetryEvent.objects.filter(client_event_id="new").delete()

        # Back: the columns come back filled from the batch rows and the payloads.
        executor = _migrate(BEFORE)
        assert _old_events(executor) == before
    finally:
        _migrate(latest)
